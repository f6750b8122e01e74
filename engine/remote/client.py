"""Talking to one backend: its models, a connection test, its context size, and a streamed chat.

Chat sends messages, never a pre-templated prompt (the server applies the model's template). A streamed
reply stops when the cancel token is set: the HTTP response is closed, which is how llama-server, vLLM
and Ollama learn to stop generating.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

import requests

from engine.errors import RemoteError, RemoteReplyInvalid, RemoteServerError
from engine.remote import sse
from engine.remote.backend import Backend, server_root
from engine.remote.http import json_of, request, status_error
from engine.sampling import CancelToken

TEST_TIMEOUT = (5.0, 60.0)   # a connection test should not hang for the long streaming read timeout


@dataclass(frozen=True)
class ChatDelta:
    """A piece of the reply: answer text and/or reasoning text."""

    text: str = ""
    reasoning: str = ""


@dataclass(frozen=True)
class ChatDone:
    """The end of a reply: why it ended ("stop", "length", "cancelled", "incomplete": the stream broke off
    with neither a finish reason nor [DONE]), the usage the server reported, and who answered."""

    finish_reason: str
    backend: str
    model: str
    usage: dict[str, Any] = field(default_factory=dict)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ContextSize:
    tokens: int
    source: str   # where it was read: "/props n_ctx", "/models meta.n_ctx", "/models max_model_len", "/api/show"…


@dataclass(frozen=True)
class ConnectionReport:
    backend: str
    models: list[str]
    model: str
    reply: str
    seconds: float
    context: ContextSize | None
    warnings: list[str] = field(default_factory=list)


def list_models(backend: Backend, *, timeout: tuple[float, float] = TEST_TIMEOUT) -> list[dict[str, Any]]:
    """The server's ``GET /models`` entries (each has an ``id``)."""
    url = f"{backend.base_url}/models"
    with request(backend, "GET", url, timeout=timeout) as response:
        body = json_of(backend, response)
    entries = body.get("data") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and "id" in e for e in entries):
        raise RemoteReplyInvalid(f"Backend {backend.name!r} answered {url} without a model list.",
                                 params={"name": backend.name, "url": url})
    return entries


def discover_context(backend: Backend, model: str | None = None) -> ContextSize | None:
    """The context window the server runs the model with, asked of the server; None when it does not say.

    llama-server: ``/props`` ``default_generation_settings.n_ctx`` (the per-slot size, what one request
    gets), else ``/models`` ``meta.n_ctx``; vLLM: ``/models`` ``max_model_len``; Ollama: ``/api/show``, whose
    ``num_ctx`` (default 4096) is what it runs at, not the trained maximum.
    """
    if backend.preset == "llama-server":
        found = _props_n_ctx(backend)
        if found:
            return found
    try:
        entries = list_models(backend)
    except RemoteError:
        entries = []
    wanted = model or backend.model
    entry = next((e for e in entries if e.get("id") == wanted), entries[0] if entries else None)
    if entry is not None:
        meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
        for key, source in ((meta.get("n_ctx"), "/models meta.n_ctx"), (entry.get("max_model_len"),
                            "/models max_model_len"), (entry.get("context_length"), "/models context_length")):
            if isinstance(key, int) and key > 0:
                return ContextSize(key, source)
    if backend.preset == "ollama":
        return _ollama_ctx(backend, wanted or (entry or {}).get("id"))
    if backend.preset != "llama-server":
        return _props_n_ctx(backend)
    return None


def _props_n_ctx(backend: Backend) -> ContextSize | None:
    try:
        with request(backend, "GET", f"{server_root(backend.base_url)}/props", timeout=TEST_TIMEOUT) as response:
            body = json_of(backend, response)
    except RemoteError:
        return None
    n_ctx = (body.get("default_generation_settings") or {}).get("n_ctx") if isinstance(body, dict) else None
    return ContextSize(n_ctx, "/props n_ctx") if isinstance(n_ctx, int) and n_ctx > 0 else None


OLLAMA_DEFAULT_NUM_CTX = 4096   # what Ollama runs a model at unless its Modelfile sets num_ctx


def _ollama_ctx(backend: Backend, model: str | None) -> ContextSize | None:
    if not model:
        return None
    try:
        with request(backend, "POST", f"{server_root(backend.base_url)}/api/show", json_body={"model": model},
                     timeout=TEST_TIMEOUT) as response:
            body = json_of(backend, response)
    except RemoteError:
        return None
    params = str(body.get("parameters") or "")
    match = re.search(r"^\s*num_ctx\s+(\d+)", params, re.MULTILINE)
    running = int(match.group(1)) if match else OLLAMA_DEFAULT_NUM_CTX
    trained = next((v for k, v in (body.get("model_info") or {}).items()
                    if k.endswith(".context_length") and isinstance(v, int)), None)
    return ContextSize(min(running, trained) if trained else running, "/api/show num_ctx")


def test_connection(backend: Backend) -> ConnectionReport:
    """``GET /models``, then a one-token chat; raises the matching RemoteError when either fails."""
    started = time.monotonic()
    warnings: list[str] = []
    if backend.api_key and backend.plain_http_to_network:
        warnings.append(f"The API key travels unencrypted (plain http) to {backend.base_url}; use https "
                        "for a server on another machine.")
    ids = [str(e["id"]) for e in list_models(backend)]
    model = backend.model or (ids[0] if ids else "")
    if backend.model and ids and backend.model not in ids:
        warnings.append(f"The server lists {', '.join(ids)}, not {backend.model!r}; it may still answer by alias.")
    url = f"{backend.base_url}/chat/completions"
    body = {"model": model, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1, "stream": False}
    with request(backend, "POST", url, json_body=body, timeout=TEST_TIMEOUT) as response:
        reply = json_of(backend, response)
    try:
        text = reply["choices"][0]["message"].get("content") or ""
    except (KeyError, IndexError, TypeError, AttributeError):
        raise RemoteReplyInvalid(f"Backend {backend.name!r} answered the test chat without a message.",
                                 params={"name": backend.name, "url": url}) from None
    return ConnectionReport(backend=backend.name, models=ids, model=str(reply.get("model") or model), reply=text,
                            seconds=time.monotonic() - started, context=discover_context(backend, model),
                            warnings=warnings)


test_connection.__test__ = False   # type: ignore[attr-defined]  # not a pytest test when imported into one


def stream_chat(backend: Backend, messages: list[dict[str, Any]], *, model: str | None = None,
                options: dict[str, Any] | None = None, cancel: CancelToken | None = None
                ) -> Iterator[ChatDelta | ChatDone]:
    """Stream a reply: ``ChatDelta`` pieces, then one ``ChatDone``. ``options`` are request fields
    (temperature, top_p, max_tokens, seed, stop…). Setting ``cancel`` closes the stream and ends with
    finish reason "cancelled"."""
    name = model or backend.model or ""
    url = f"{backend.base_url}/chat/completions"
    body = {**(options or {}), "model": name, "messages": messages, "stream": True,
            "stream_options": {"include_usage": True}}
    if cancel is not None and cancel.cancelled:
        yield ChatDone("cancelled", backend.name, name)
        return
    response = request(backend, "POST", url, json_body=body, stream=True)
    unregister = cancel.on_cancel(response.close) if cancel is not None else None
    finish, usage, used, done = "", {}, name, False
    calls: dict[int, dict[str, Any]] = {}
    try:
        for kind, data in sse.events(response.iter_content(chunk_size=None)):
            if cancel is not None and cancel.cancelled:
                break
            if data.strip() == sse.DONE:
                done = True
                break
            try:
                chunk = json.loads(data)
            except ValueError:
                raise RemoteReplyInvalid(f"Backend {backend.name!r} streamed something that is not JSON: "
                                         f"{data[:80]!r}.", params={"name": backend.name, "url": url}) from None
            if kind == "error" or (isinstance(chunk, dict) and "error" in chunk):
                raise status_error(backend, url, 0, chunk)
            if not isinstance(chunk, dict):
                continue
            used = str(chunk.get("model") or used)
            usage = chunk.get("usage") or usage
            for choice in chunk.get("choices") or []:
                delta = choice.get("delta") or {}
                text = delta.get("content") or ""
                reasoning = delta.get("reasoning_content") or delta.get("reasoning") or ""
                if text or reasoning:
                    yield ChatDelta(text, reasoning)
                for call in delta.get("tool_calls") or []:
                    _merge_tool_call(calls, call)
                finish = choice.get("finish_reason") or finish
    except (requests.exceptions.RequestException, AttributeError, OSError, ValueError) as exc:
        # closing the response from the cancelling thread makes the blocked read fail one of these ways
        if not (cancel is not None and cancel.cancelled):
            raise RemoteServerError(f"Backend {backend.name!r} broke off the reply: {str(exc)[:200]}.",
                                    params={"name": backend.name, "url": url}) from exc
    finally:
        if unregister is not None:
            unregister()
        response.close()
    if cancel is not None and cancel.cancelled:
        finish = "cancelled"
    yield ChatDone(finish or ("stop" if done else "incomplete"), backend.name, used, dict(usage),
                   [calls[i] for i in sorted(calls)])


def _merge_tool_call(calls: dict[int, dict[str, Any]], part: dict[str, Any]) -> None:
    """Tool calls stream in pieces (the arguments' JSON split across chunks): join them by index."""
    index = int(part.get("index", len(calls)))
    call = calls.setdefault(index, {"id": "", "type": "function", "function": {"name": "", "arguments": ""}})
    call["id"] = part.get("id") or call["id"]
    function = part.get("function") or {}
    call["function"]["name"] += function.get("name") or ""
    call["function"]["arguments"] += function.get("arguments") or ""

