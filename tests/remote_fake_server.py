"""A scripted OpenAI-compatible server on loopback, for what a real llama-server cannot be made to send.

``FakeOpenAI`` answers ``GET /v1/models``, ``POST /v1/chat/completions`` (streamed or not), llama-server's
``/props`` and Ollama's ``/api/show``, the way each test scripts it: ``status`` (503 loading, 401, 429 with
``retry_after``, 500…) answers every request with that error; ``stream`` picks the framing of a streamed
reply: "lf", "crlf" (CRLF line ends, written in pieces that split lines and even the CR from its LF),
"pings" (``:`` keep-alive comments between events), "no_done" (the connection closes without
``data: [DONE]``), "error_mid" (two pieces, then an error object), "tools" (a tool call whose arguments
arrive split across chunks). ``requests`` records (method, path, headers, body) of every request.

Use the ``fake_openai`` fixture (``from tests.remote_fake_server import fake_openai  # noqa: F401``).
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest

PIECES = ["Hel", "lo", " there", "!"]


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "fake-model",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


class FakeOpenAI:
    def __init__(self) -> None:
        self.status: int | None = None
        self.retry_after: str | None = None
        self.error_body: dict[str, Any] | None = None
        self.stream = "lf"
        self.models: list[dict[str, Any]] = [{"id": "fake-model", "object": "model", "owned_by": "test"}]
        self.props: dict[str, Any] | None = None
        self.ollama_show: dict[str, Any] | None = None
        self.usage: dict[str, Any] | None = None   # sent in a last chunk with no choices (include_usage)
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"   # the body ends when the connection closes: "no_done" can just stop

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._serve(self, "GET", None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                fake._serve(self, "POST", json.loads(raw) if raw else None)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"{self.root}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- answers -----------------------------------------------------------------------------------

    def _serve(self, h: BaseHTTPRequestHandler, method: str, body: Any) -> None:
        self.requests.append((method, h.path, dict(h.headers.items()), body))
        if self.status is not None:
            extra = {"Retry-After": self.retry_after} if self.retry_after else {}
            default = {"error": {"message": {503: "Loading model", 401: "Invalid API Key", 429: "Too many requests"}
                                 .get(self.status, "Internal error"), "type": "server_error", "code": self.status}}
            return self._json(h, self.status, self.error_body or default, extra)
        if h.path == "/v1/models" and method == "GET":
            return self._json(h, 200, {"object": "list", "data": self.models})
        if h.path == "/props" and self.props is not None:
            return self._json(h, 200, self.props)
        if h.path == "/api/show" and self.ollama_show is not None:
            return self._json(h, 200, self.ollama_show)
        if h.path == "/v1/chat/completions" and method == "POST":
            if not body.get("stream"):
                return self._json(h, 200, {"id": "chatcmpl-1", "object": "chat.completion", "model": "fake-model",
                                           "choices": [{"index": 0, "finish_reason": "length",
                                                        "message": {"role": "assistant", "content": "Hel"}}]})
            return self._stream(h)
        return self._json(h, 404, {"error": {"message": "File Not Found", "type": "not_found_error"}})

    def _json(self, h: BaseHTTPRequestHandler, status: int, body: Any, extra: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        for key, value in (extra or {}).items():
            h.send_header(key, value)
        h.end_headers()
        h.wfile.write(data)

    def _stream(self, h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.end_headers()
        mode = self.stream
        eol = "\r\n" if mode == "crlf" else "\n"
        events = [_chunk({"role": "assistant", "content": ""})] + [_chunk({"content": p}) for p in PIECES]
        if mode == "error_mid":
            events = events[:3] + [{"error": {"message": "CUDA out of memory", "type": "server_error"}}]
        if mode == "tools":
            events = [_chunk({"role": "assistant", "tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                                                    "function": {"name": "get_weather",
                                                                                 "arguments": ""}}]})]
            events += [_chunk({"tool_calls": [{"index": 0, "function": {"arguments": part}}]})
                       for part in ['{"ci', 'ty": "Os', 'lo"}']]
            events.append(_chunk({}, "tool_calls"))
        elif mode == "reasoning":   # a reasoning model: reasoning_content first, then the answer
            events = [_chunk({"role": "assistant", "content": ""})]
            events += [_chunk({"reasoning_content": p}) for p in ["The user ", "greets me."]]
            events += [_chunk({"content": p}) for p in PIECES] + [_chunk({}, "stop")]
        elif mode != "error_mid":
            events.append(_chunk({}, "stop"))
        if self.usage is not None and mode != "error_mid":
            events.append({"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "fake-model",
                           "choices": [], "usage": self.usage})
        text = ""
        for event in events:
            if mode == "pings":
                text += f": ping{eol}{eol}"
            text += f"data: {json.dumps(event)}{eol}{eol}"
        if mode not in ("no_done", "error_mid"):
            text += f"data: [DONE]{eol}{eol}"
        data = text.encode()
        # written in small pieces (a CRLF split between two of them too), as a network delivers them
        step = 7
        for start in range(0, len(data), step):
            h.wfile.write(data[start:start + step])
            h.wfile.flush()
            if start % 70 == 0:
                time.sleep(0.001)


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    yield server
    server.close()
