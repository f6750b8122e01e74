"""A remote model behind the same interface as the local runtime, so ``Chat`` works unchanged.

A conversation bound to ``remote://<backend>/<model>`` is answered by that backend (and any other
backend serving the same model, in the order added, when it cannot answer: ``failover``). The server
applies the chat template, so the "prompt" the chat service fits and stores is the request itself:
``ServerTemplate`` renders messages as JSON, ``count_tokens`` counts that request on the server where
it can (``counting``), and ``generate`` sends it. Everything built on counting (the context meter,
the overflow policy, dropped turns, "too big" attachments, the knowledge base's room) works the same
as for a local model.

Reasoning comes back in its own field (``reasoning_content``): it is streamed inside ``<think>`` tags,
which the chat's splitter turns back into the reasoning pane. A server that saw fewer prompt tokens
than were sent cut the conversation itself (Ollama at its ``num_ctx``): the reply's statistics say so.
"""
from __future__ import annotations

import base64
import io
import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence
from urllib.parse import quote, unquote

from engine import errors
from engine.models.templates import ChatTemplate
from engine.models.vision import MEDIA_MARKER
from engine.remote.backend import Backend
from engine.remote.client import ChatDelta, ChatDone, discover_context
from engine.remote.counting import Counter
from engine.remote.failover import Answer, backends_for_model, stream_with_failover
from engine.runtime.records import Done, ModelInfo
from engine.sampling import CancelToken, Sampling

SCHEME = "remote://"
FALLBACK_CTX = 4096          # a server that does not say its context: assume Ollama's default
IMAGE_TOKENS = 768           # an image's share of the context when the server cannot say (estimate)
TRUNCATION_SLACK = 0.9       # the server saw under 90 % of the tokens sent: it cut the prompt
_EXTRA_SAMPLING = {"llama-server": {"top_k": "top_k", "min_p": "min_p", "repeat_penalty": "repeat_penalty"},
                   "vllm": {"top_k": "top_k", "min_p": "min_p", "repeat_penalty": "repetition_penalty"},
                   "sglang": {"top_k": "top_k", "min_p": "min_p", "repeat_penalty": "repetition_penalty"}}
_TEMPLATE_KWARGS = ("llama-server", "vllm", "sglang")   # servers that take chat_template_kwargs


def remote_path(backend: str, model: str) -> str:
    """The model path a conversation stores for ``model`` on ``backend``."""
    return f"{SCHEME}{quote(backend, safe='')}/{quote(model, safe='')}"


def parse_remote_path(path: str | None) -> tuple[str, str] | None:
    """``(backend, model)`` of a remote model path; None for a local file."""
    if not path or not str(path).startswith(SCHEME):
        return None
    backend, _, model = str(path)[len(SCHEME):].partition("/")
    return unquote(backend), unquote(model)


@dataclass(frozen=True)
class ServerTemplate(ChatTemplate):
    """The "template" of a model whose server applies its own: the request's messages as JSON."""

    @property
    def merges_system(self) -> bool:   # type: ignore[override]
        return False

    @property
    def generation_starts_in_reasoning(self) -> bool:   # type: ignore[override]
        return False

    def render(self, messages: Sequence[Mapping[str, Any]], *, add_generation_prompt: bool = True,
               timeout_s: float = 2.0, thinking: bool | None = None) -> str:
        body: dict[str, Any] = {"messages": [{"role": m["role"], "content": m["content"]} for m in messages]}
        if thinking is not None:
            body["chat_template_kwargs"] = {"enable_thinking": thinking}
        return json.dumps(body, ensure_ascii=False, indent=1)


SERVER_TEMPLATE = ServerTemplate(source="", name="server", origin="applied by the server")


def request_of(prompt: str) -> dict[str, Any]:
    """The request body a ``ServerTemplate`` rendered (``messages``, maybe ``chat_template_kwargs``)."""
    try:
        body = json.loads(prompt)
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        raise errors.ModelError("A remote model was given a prompt that is not a list of messages.",
                                hint="This is a bug in Hearth: please report it.")
    return body


class RemoteRuntime:
    """The chat side of ``engine.runtime.client.Runtime`` for a model on remote backends."""

    def __init__(self, backends: Callable[[], list[Backend]]) -> None:
        """``backends``: the user's backends, read at each load (keys filled in from the keychain)."""
        self._backends = backends
        self.info: ModelInfo | None = None
        self.answered_by: Answer | None = None   # who answered the last reply
        self._serving: list[Backend] = []
        self._model = ""
        self._counter: Counter | None = None
        self._cancel: CancelToken | None = None
        self._lock = threading.Lock()

    @property
    def counting(self) -> str:
        """How prompts are counted: "server" (exact) or "estimate" (with ``counting.ESTIMATE_MARGIN``)."""
        return self._counter.method if self._counter else "estimate"

    def load(self, path: str, *, n_ctx: int | None = None, **_ignored: Any) -> ModelInfo:
        """Bind to ``remote://backend/model``: find the backends serving it and ask the first its context.
        ``n_ctx`` smaller than the server's limits what is sent; larger is cut to the server's."""
        parsed = parse_remote_path(path)
        if parsed is None:
            raise errors.ModelError(f"{path!r} is not a remote model.", hint="This is a bug in Hearth.")
        name, model = parsed
        started = time.monotonic()
        everything = self._backends()
        serving = backends_for_model(everything, model, first=name)
        if not any(b.name == name for b in serving):
            raise errors.BackendNotFound(f"There is no backend named {name!r} for the model {model!r}.",
                                         params={"name": name})
        first = serving[0]
        server_ctx = first.context_window
        source = "typed" if server_ctx else ""
        for backend in serving if not server_ctx else []:   # the first that answers (failover serves alike)
            found = discover_context(backend, model)
            if found is not None:
                server_ctx, source = found.tokens, found.source
                break
        if not server_ctx:
            server_ctx, source = FALLBACK_CTX, "assumed"
        ctx = min(n_ctx, server_ctx) if n_ctx else server_ctx
        self._serving, self._model = serving, model
        self._counter = Counter(first, model)
        self.info = ModelInfo(
            path=remote_path(name, model), name=model, architecture="remote", parameters=0, quantization="",
            size_bytes=0, n_ctx_train=server_ctx, n_ctx=ctx, n_layers=0, backend=f"remote:{name}", gpu_layers=0,
            threads=0, sha256="", load_seconds=time.monotonic() - started, template=SERVER_TEMPLATE,
            vision=first.vision, offload_note=f"context from the server ({source})" if source else "")
        return self.info

    def _ready(self) -> ModelInfo:
        if self.info is None or self._counter is None:
            raise errors.NoModelLoaded("No model is loaded.")
        return self.info

    def count_tokens(self, text: str) -> int:
        self._ready()
        assert self._counter is not None
        if text.startswith("{"):
            try:
                body = request_of(text)
            except errors.ModelError:
                body = None
            if body is not None:
                return self._counter.messages(body["messages"], body.get("chat_template_kwargs"))
        return self._counter.text(text)

    def image_tokens(self, sizes: Sequence[tuple[int, int]]) -> list[int]:
        info = self._ready()
        if not info.vision:
            raise errors.VisionUnsupported(f"{info.name} cannot see images (its backend is not marked vision).")
        return [IMAGE_TOKENS for _ in sizes]

    def generate(self, prompt: str, sampling: Sampling, *, images: Sequence[tuple[int, int, bytes]] = (),
                 cancel: CancelToken | None = None, reuse_prefix: bool = True,
                 response_format: Mapping[str, Any] | None = None) -> Iterator[str | Done]:
        """Send the request ``prompt`` holds; yield text (reasoning inside ``<think>`` tags), then ``Done``.
        ``response_format`` (OpenAI's, as the client sent it) goes to the server unchanged."""
        self._ready()
        body = request_of(prompt)
        messages = _with_images(body["messages"], list(images))
        options = self.options(sampling)
        if response_format is not None:
            options["response_format"] = dict(response_format)
        if "chat_template_kwargs" in body and self._serving[0].preset in _TEMPLATE_KWARGS:
            options["chat_template_kwargs"] = body["chat_template_kwargs"]
        token = cancel or CancelToken()
        with self._lock:
            self._cancel = token
        sent = self.count_tokens(prompt)
        started = time.monotonic()
        first_at = last_at = 0.0
        pieces = 0
        thinking = False
        done: ChatDone | None = None
        try:
            for event in stream_with_failover(self._serving, messages, model=self._model, options=options,
                                              cancel=token):
                if isinstance(event, Answer):
                    self.answered_by = event
                elif isinstance(event, ChatDelta):
                    last_at = time.monotonic()
                    first_at = first_at or last_at
                    pieces += 1
                    if event.reasoning:
                        if not thinking:
                            thinking = True
                            yield "<think>"
                        yield event.reasoning
                    if event.text:
                        if thinking:
                            thinking = False
                            yield "</think>"
                        yield event.text
                elif isinstance(event, ChatDone):
                    done = event
        finally:
            with self._lock:
                self._cancel = None
        if thinking:
            yield "</think>"
        assert done is not None
        yield Done(self._stats(done, sent, started, first_at, last_at, pieces))

    def _stats(self, done: ChatDone, sent: int, started: float, first_at: float, last_at: float,
               pieces: int) -> dict[str, Any]:
        usage = done.usage
        completion = int(usage.get("completion_tokens") or pieces)
        seen = usage.get("prompt_tokens")
        decode = max(last_at - first_at, 0.0)
        remote: dict[str, Any] = {"backend": done.backend, "model": done.model, "counting": self.counting,
                                  "prompt_tokens_sent": sent, "usage": usage}
        if self.answered_by is not None and self.answered_by.skipped:
            remote["skipped"] = [list(s) for s in self.answered_by.skipped]
        if isinstance(seen, int) and seen < sent * TRUNCATION_SLACK and sent - seen > 16:
            remote["truncated"] = {"sent": sent, "seen": seen}
        return {"finish_reason": done.finish_reason, "prompt_tokens": seen if isinstance(seen, int) else sent,
                "prompt_evaluated": seen if isinstance(seen, int) else sent, "completion_tokens": completion,
                "ttft_seconds": (first_at - started) if first_at else 0.0, "decode_seconds": decode,
                "tokens_per_s": (completion - 1) / decode if completion > 1 and decode > 0 else 0.0,
                "remote": remote}

    def options(self, sampling: Sampling) -> dict[str, Any]:
        """The request's sampling fields: the OpenAI ones, plus those the server's preset understands."""
        s = sampling.resolved()
        out: dict[str, Any] = {"temperature": s.temperature, "top_p": s.top_p, "max_tokens": s.max_tokens}
        if s.seed is not None:
            out["seed"] = s.seed
        if s.stop:
            out["stop"] = list(s.stop)[:4]   # OpenAI's limit; llama-server and vLLM take more, others refuse
        for field, key in _EXTRA_SAMPLING.get(self._serving[0].preset if self._serving else "", {}).items():
            out[key] = getattr(s, field)
        return out

    def cancel(self) -> None:
        with self._lock:
            token = self._cancel
        if token is not None:
            token.cancel()

    def unload(self) -> None:
        self.info = None
        self._counter = None
        self._serving = []

    def close(self) -> None:
        self.cancel()
        self.unload()


def _with_images(messages: list[dict[str, Any]], images: list[tuple[int, int, bytes]]) -> list[dict[str, Any]]:
    """Each image marker in a message becomes an ``image_url`` part (a PNG data URL), in order."""
    if not images:
        return [{"role": m["role"], "content": str(m["content"]).replace(MEDIA_MARKER, "")} for m in messages]
    out: list[dict[str, Any]] = []
    queue = list(images)
    for m in messages:
        text = str(m["content"])
        if MEDIA_MARKER not in text:
            out.append({"role": m["role"], "content": text})
            continue
        parts: list[dict[str, Any]] = []
        for n, piece in enumerate(text.split(MEDIA_MARKER)):
            if n and queue:
                parts.append({"type": "image_url", "image_url": {"url": _png_url(*queue.pop(0))}})
            if piece:
                parts.append({"type": "text", "text": piece})
        out.append({"role": m["role"], "content": parts})
    return out


def _png_url(width: int, height: int, rgb: bytes) -> str:
    from PIL import Image
    buffer = io.BytesIO()
    Image.frombytes("RGB", (width, height), rgb).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
