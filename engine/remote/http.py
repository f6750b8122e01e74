"""HTTP to a backend (``requests``), with every failure turned into one of Hearth's remote errors.

Each error says which backend and what happened; its hint (engine/errors.py) says what to do.
"""
from __future__ import annotations

import json
from typing import Any

import requests

from engine.errors import RemoteAuthFailed, RemoteContextExceeded, RemoteError, RemoteLoading, RemoteNotFound, \
    RemoteRateLimited, RemoteReplyInvalid, RemoteServerError, RemoteTLSFailed, RemoteUnreachable
from engine.remote.backend import Backend

CONNECT_TIMEOUT_S = 5.0
# how long a streamed reply may go silent: a big prompt on a slow server takes a while to its first token
READ_TIMEOUT_S = 300.0
# error types llama-server, vLLM and OpenAI use for a conversation longer than the context window
_CONTEXT_CODES = ("context_length_exceeded", "exceed_context_size_error")
_CONTEXT_WORDS = ("context length", "context size", "maximum context", "context window")


def headers(backend: Backend) -> dict[str, str]:
    out = {"Accept": "application/json"}
    if backend.api_key:
        out["Authorization"] = f"Bearer {backend.api_key}"
    return out


def request(backend: Backend, method: str, url: str, *, json_body: Any = None, stream: bool = False,
            timeout: tuple[float, float] | None = None, session: requests.Session | None = None
            ) -> requests.Response:
    """One request; a non-2xx answer or a network failure raises the matching ``RemoteError``."""
    sender = session or requests
    try:
        response = sender.request(method, url, json=json_body, headers=headers(backend), stream=stream,
                                  timeout=timeout or (CONNECT_TIMEOUT_S, READ_TIMEOUT_S), allow_redirects=False)
    except requests.exceptions.SSLError as exc:
        raise RemoteTLSFailed(f"The secure connection to backend {backend.name!r} ({url}) failed: "
                              f"{_short(exc)}.", params={"name": backend.name, "url": url}) from exc
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
        raise RemoteUnreachable(f"Backend {backend.name!r} did not answer at {url}: {_short(exc)}.",
                                params={"name": backend.name, "url": url}) from exc
    except requests.exceptions.RequestException as exc:
        raise RemoteError(f"Backend {backend.name!r} could not be asked ({url}): {_short(exc)}.",
                          params={"name": backend.name, "url": url}) from exc
    if response.status_code >= 300:
        try:
            raise status_error(backend, url, response.status_code, _body(response),
                               response.headers.get("Retry-After"))
        finally:
            response.close()
    return response


def status_error(backend: Backend, url: str, status: int, body: Any, retry_after: str | None = None) -> RemoteError:
    """The error for an HTTP status (or an error object met mid-stream, ``status`` 0)."""
    detail, code = _detail(body)
    where = f"Backend {backend.name!r}"
    params: dict[str, object] = {"name": backend.name, "url": url, "status": status, "detail": detail}
    if _is_context_error(code, detail):
        return RemoteContextExceeded(f"{where} refused the conversation: it is longer than the model's context "
                                     f"window ({detail}).", params=params)
    if status in (401, 403):
        return RemoteAuthFailed(f"{where} refused the request ({status}: {detail or 'no API key, or a wrong one'}).",
                                params=params)
    if status == 404:
        return RemoteNotFound(f"{where} has nothing at {url} (404{': ' + detail if detail else ''}).", params=params)
    if status == 429:
        seconds = _seconds(retry_after)
        wait = f" It asks to wait {seconds:g} s." if seconds is not None else ""
        err = RemoteRateLimited(f"{where} is busy with other requests (429).{wait}", params={**params,
                                                                                               "retry_after": seconds})
        err.retry_after = seconds   # type: ignore[attr-defined]
        return err
    if status == 503:
        return RemoteLoading(f"{where} is not ready yet (503{': ' + detail if detail else ', loading the model'}).",
                             params=params)
    if status >= 500 or status == 0:
        what = f"{status}: " if status else ""
        return RemoteServerError(f"{where} failed ({what}{detail or 'no detail given'}).", params=params)
    return RemoteReplyInvalid(f"{where} refused the request ({status}: {detail or 'no detail given'}).", params=params)


def json_of(backend: Backend, response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise RemoteReplyInvalid(f"Backend {backend.name!r} answered {response.url} with something that is not "
                                 "JSON.", params={"name": backend.name, "url": response.url}) from exc


def _body(response: requests.Response) -> Any:
    text = response.text[:4000]
    try:
        return json.loads(text)
    except ValueError:
        return text.strip()


def _detail(body: Any) -> tuple[str, str]:
    """(message, error type or code) from OpenAI's ``{"error": {...}}``, vLLM's, Ollama's or plain text."""
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            message = str(err.get("message") or err.get("detail") or "")
            code = f"{err.get('type') or ''} {err.get('code') or ''}"   # OpenAI puts the reason in either
            return message[:300], code
        if isinstance(err, str):
            return err[:300], str(body.get("type") or body.get("code") or "")
        detail = body.get("detail") or body.get("message")
        return (str(detail)[:300] if detail else ""), ""
    return (str(body)[:300] if body else ""), ""


def _is_context_error(code: str, detail: str) -> bool:
    if any(c in code for c in _CONTEXT_CODES):
        return True
    low = detail.lower()
    return any(c in low for c in _CONTEXT_CODES) or ("exceed" in low and any(w in low for w in _CONTEXT_WORDS))


def _seconds(retry_after: str | None) -> float | None:
    if not retry_after:
        return None
    try:
        return max(0.0, float(retry_after))
    except ValueError:
        return None   # an HTTP date: rare from these servers; the message then says only "busy"


def _short(exc: BaseException) -> str:
    """The innermost reason of a requests failure ("Connection refused"), not its whole chain."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out", "Temporary failure in name "
                   "resolution", "WRONG_VERSION_NUMBER", "CERTIFICATE_VERIFY_FAILED", "No route to host",
                   "Connection reset"):
        if marker.lower() in text.lower():
            return marker
    return text[:200]
