"""The checks every request passes before the API sees it: Host, Origin/CORS, API key, body size.

A plain ASGI middleware (not Starlette's), so a refused request costs no routing and the body is
read, and capped, before any handler runs. The rules, and why:

- Host must be a literal IP address or a name on the allowlist (``localhost`` and the bind host):
  DNS rebinding (Ollama CVE-2024-28224) reaches a loopback server through a hostile domain name.
- CORS is off unless exact origins are configured; a request from any other Origin is refused (403),
  so a web page cannot make the browser post to the API, and no ``Access-Control-*`` header is sent.
- With a key configured every path but ``/health`` needs ``Authorization: Bearer <key>``.
- A body over the cap is refused (413) before it is parsed.
"""
from __future__ import annotations

import ipaddress
import json
from typing import Any, Awaitable, Callable

from engine.api.keys import key_matches
from engine.api.replies import error_body

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = {"/health"}


def host_name(value: str) -> str:
    """The host of a Host header, without its port and IPv6 brackets, lower case."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value[1:]
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class Guard:
    """Wraps the API app with the checks above."""

    def __init__(self, app: App, *, allowed_hosts: set[str], cors_origins: set[str], api_key: str | None,
                 max_body_bytes: int) -> None:
        self.app = app
        self.allowed_hosts = {h.lower() for h in allowed_hosts}
        self.cors_origins = set(cors_origins)
        self.api_key = api_key
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = host_name(headers.get("host", ""))
        if not host or not (is_ip(host) or host in self.allowed_hosts):
            await _refuse(send, 403, "This host name is not allowed (Host header check against DNS rebinding).",
                          "host_not_allowed")
            return
        origin = headers.get("origin")
        cors: list[tuple[bytes, bytes]] = []
        if origin is not None:
            if origin not in self.cors_origins:
                await _refuse(send, 403, "Requests from this web origin are not allowed.", "origin_not_allowed")
                return
            cors = [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
            if scope["method"] == "OPTIONS":   # a preflight: answer it here, before the key is asked for
                await _respond(send, 204, b"", cors + [
                    (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
                    (b"access-control-allow-headers", b"authorization, content-type"),
                    (b"access-control-max-age", b"600")])
                return
        if self.api_key is not None and scope["path"] not in OPEN_PATHS:
            auth = headers.get("authorization", "")
            offered = auth[7:].strip() if auth[:7].lower() == "bearer " else None
            if not key_matches(self.api_key, offered):
                await _refuse(send, 401, "Missing or wrong API key. Send it as 'Authorization: Bearer <key>'; "
                                         "`hearth serve` prints where the key is kept.", "invalid_api_key",
                              [(b"www-authenticate", b"Bearer")])
                return
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await _too_large(send, self.max_body_bytes)
            return
        body = bytearray()
        if scope["method"] in ("POST", "PUT", "PATCH"):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body += message.get("body", b"")
                if len(body) > self.max_body_bytes:
                    await _too_large(send, self.max_body_bytes)
                    return
                if not message.get("more_body"):
                    break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        async def send_with_cors(message: Message) -> None:
            if cors and message["type"] == "http.response.start":
                message = {**message, "headers": list(message.get("headers", [])) + cors}
            await send(message)

        await self.app(scope, replay, send_with_cors)


async def _too_large(send: Send, cap: int) -> None:
    await _refuse(send, 413, f"The request body is larger than this server accepts ({cap} bytes).",
                  "request_too_large")


async def _refuse(send: Send, status: int, message: str, code: str,
                  extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps(error_body(status, message, code=code)).encode("utf-8")
    await _respond(send, status, body, [(b"content-type", b"application/json")] + (extra or []))


async def _respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": headers + [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
