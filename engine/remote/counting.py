"""Counting a conversation's tokens for a remote model: on the server where it can, else an estimate.

The server applies the chat template, so only the server knows the exact count. llama-server
counts a chat request (``POST /v1/chat/completions/input_tokens``; older builds: ``/apply-template``
then ``/tokenize``); vLLM
and SGLang count messages in one call (``POST /tokenize`` with ``messages`` → ``count``). Ollama and
other servers have no such endpoint: the count is estimated from the text (about 3.5 characters a
token for Latin script, one token per CJK character, 8 tokens a message for the template's framing)
and raised by ``ESTIMATE_MARGIN`` so that an estimate errs toward "full" rather than overflow.

Counts are cached by text: fitting a long conversation counts the same candidates several times.
"""
from __future__ import annotations

import json
import math
from collections import OrderedDict
from typing import Any

from engine.errors import RemoteError, RemoteLoading, RemoteRateLimited, RemoteServerError, RemoteUnreachable
from engine.remote.backend import Backend, server_root
from engine.remote.http import json_of, request

ESTIMATE_MARGIN = 0.15         # an estimate is raised by 15 %
PER_MESSAGE = 8                # role markers and separators a template adds around each message
COUNT_TIMEOUT = (3.0, 30.0)
_CACHE_SIZE = 512


def estimate_tokens(text: str) -> int:
    """Tokens ``text`` is likely to take, with the margin: CJK characters one each, other text 3.5
    characters a token."""
    wide = sum(1 for ch in text if ord(ch) >= 0x2E80)
    narrow = len(text) - wide
    return math.ceil((wide + narrow / 3.5) * (1 + ESTIMATE_MARGIN))


def estimate_messages(messages: list[dict[str, Any]]) -> int:
    return sum(estimate_tokens(_text_of(m.get("content"))) + PER_MESSAGE for m in messages) + PER_MESSAGE


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):   # content parts: only the text parts count here
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


class Counter:
    """Counts for one backend and model; ``method`` says how the last count was made."""

    def __init__(self, backend: Backend, model: str) -> None:
        self.backend = backend
        self.model = model
        self.method = "server" if backend.preset in ("llama-server", "vllm", "sglang") else "estimate"
        self._cache: OrderedDict[tuple[str, str], int] = OrderedDict()

    @property
    def exact(self) -> bool:
        return self.method == "server"

    def messages(self, messages: list[dict[str, Any]], extra: dict[str, Any] | None = None) -> int:
        """The prompt tokens of a request with ``messages`` (and template kwargs in ``extra``)."""
        key = ("m", json.dumps([messages, extra], ensure_ascii=False, sort_keys=True))
        return self._cached(key, lambda: self._server_messages(messages, extra), lambda: estimate_messages(messages))

    def text(self, text: str) -> int:
        """The tokens of a piece of text alone (a document block, a message)."""
        return self._cached(("t", text), lambda: self._server_text(text), lambda: estimate_tokens(text))

    def _cached(self, key: tuple[str, str], exact: Any, estimate: Any) -> int:
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        value = None
        if self.method == "server":
            try:
                value = exact()
            except (RemoteUnreachable, RemoteLoading, RemoteRateLimited, RemoteServerError):
                return estimate()   # down for now: estimate this once, ask the server again next time
            except (RemoteError, KeyError, TypeError, ValueError):
                value = None
            if value is None:   # the server has no counting endpoint after all: estimate from now on
                self.method = "estimate"
        if value is None:
            value = estimate()
        self._cache[key] = value
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return value

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        url = f"{server_root(self.backend.base_url)}{path}"
        with request(self.backend, "POST", url, json_body=body, timeout=COUNT_TIMEOUT) as response:
            return json_of(self.backend, response)

    def _server_messages(self, messages: list[dict[str, Any]], extra: dict[str, Any] | None) -> int | None:
        plain = [{"role": m["role"], "content": _text_of(m.get("content"))} for m in messages]
        if self.backend.preset == "llama-server":
            body: dict[str, Any] = {"model": self.model, "messages": plain,
                                    **({"chat_template_kwargs": extra} if extra else {})}
            try:   # one call on a current llama-server; older ones render, then tokenize
                count = self._post("/v1/chat/completions/input_tokens", body).get("input_tokens")
                if isinstance(count, int):
                    return count
            except RemoteError:
                pass
            prompt = self._post("/apply-template", body).get("prompt")
            if not isinstance(prompt, str):
                return None
            return self._llama_tokens(prompt)
        reply = self._post("/tokenize", {"model": self.model, "messages": plain, "add_generation_prompt": True,
                                         **({"chat_template_kwargs": extra} if extra else {})})
        count = reply.get("count")
        return int(count) if isinstance(count, int) else None

    def _server_text(self, text: str) -> int | None:
        if self.backend.preset == "llama-server":
            return self._llama_tokens(text, add_special=False)
        reply = self._post("/tokenize", {"model": self.model, "prompt": text, "add_special_tokens": False})
        count = reply.get("count")
        return int(count) if isinstance(count, int) else None

    def _llama_tokens(self, text: str, *, add_special: bool = True) -> int | None:
        tokens = self._post("/tokenize", {"content": text, "add_special": add_special,
                                          "parse_special": True}).get("tokens")
        return len(tokens) if isinstance(tokens, list) else None
