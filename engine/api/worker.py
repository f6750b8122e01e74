"""The one thread that owns the model: it loads the chat model, then serves queued requests in turn.

llama.cpp runs one reply at a time, so requests wait on a bounded queue (a full queue is the API's
429, never a cancelled neighbour). The thread has its own store connection (a connection belongs to
one thread) and the runtime; results go back to the request's event loop piece by piece.
"""
from __future__ import annotations

import asyncio
import base64
import logging
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import errors
from engine.api.replies import ApiProblem
from engine.home import Engine, Home
from engine.sampling import CancelToken, Sampling

log = logging.getLogger(__name__)

KB_PREFIX = "hearth-kb/"
_STOP = object()
FINISH_FALLBACK = "stop"


@dataclass
class Job:
    """One request: what was asked, where its results go, and the flag its client's disconnect sets."""

    kind: str                      # "chat" | "embed" | "search"
    request: dict[str, Any]
    loop: asyncio.AbstractEventLoop
    out: "asyncio.Queue[tuple[Any, ...]]" = field(default_factory=asyncio.Queue)
    cancel: CancelToken = field(default_factory=CancelToken)

    def emit(self, *item: Any) -> None:
        try:
            self.loop.call_soon_threadsafe(self.out.put_nowait, item)
        except RuntimeError:   # the server's loop has closed: nobody is listening any more
            self.cancel.cancel()


def model_id(path: Path | str) -> str:
    """A model's id in the API: its file name without ``.gguf``."""
    return Path(path).name.removesuffix(".gguf")


class ModelWorker:
    """Loads ``model`` (a path) and answers jobs put with :meth:`submit` until :meth:`stop`."""

    def __init__(self, home: Home, model: Path | None, *, n_ctx: int | None, n_threads: int | None,
                 max_queue: int, max_tokens_cap: int, store_conversations: bool = False) -> None:
        self.home = home
        self.store_conversations = store_conversations   # the user opted in to keeping the API's chats
        self.model = model
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.max_tokens_cap = max_tokens_cap
        self.jobs: "queue.Queue[Any]" = queue.Queue(maxsize=max_queue)
        self.state = "loading"            # loading | ready | failed
        self.problem = ""
        self.loaded_id: str | None = None
        self.n_ctx_loaded = 0
        self.busy = False
        self._thread = threading.Thread(target=self._run, name="hearth-api-model", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        if self._thread.ident is None:   # never started (the port was taken)
            return
        while True:   # make room for the stop mark: queued jobs are dropped, their clients told
            try:
                job = self.jobs.get_nowait()
            except queue.Empty:
                break
            if isinstance(job, Job):
                job.emit("error", ApiProblem(503, "The server is shutting down.", code="server_shutting_down"))
        self.jobs.put(_STOP)
        self._thread.join(timeout)

    def submit(self, job: Job) -> None:
        """Queue ``job``; a full queue raises the API's 429 (the client retries after a while)."""
        try:
            self.jobs.put_nowait(job)
        except queue.Full:
            raise ApiProblem(429, "The model is busy with other requests; try again shortly.",
                             code="queue_full", headers={"Retry-After": "2"}) from None

    def waiting(self) -> int:
        return self.jobs.qsize()

    # --- the thread -----------------------------------------------------------------
    def _run(self) -> None:
        eng = self.home.engine()
        try:
            if self.model is not None:
                try:
                    self._load(eng, self.model)
                except errors.HearthError as exc:
                    self.state, self.problem = "failed", exc.full_text()
                    log.error("the API's model did not load: %s", exc)
            self.state = "ready" if self.state == "loading" else self.state
            while True:
                job = self.jobs.get()
                if job is _STOP:
                    return
                if job.cancel.cancelled:   # its client left while it waited
                    continue
                self.busy = True
                try:
                    if job.kind == "chat":
                        from engine.api.completions import serve_chat
                        serve_chat(self, eng, job)
                    elif job.kind == "search":
                        from engine.api.search import serve_search
                        job.emit("result", serve_search(eng, job.request))
                    else:
                        job.emit("result", self._embed(eng, job.request))
                except ApiProblem as exc:
                    job.emit("error", exc)
                except errors.HearthError as exc:
                    job.emit("error", _problem(exc))
                except Exception:   # a bug: the client gets a 500, the server keeps serving
                    log.exception("the API failed to serve a %s request", job.kind)
                    job.emit("error", ApiProblem(500, "Hearth failed to answer; see its log.", code="internal_error"))
                finally:
                    self.busy = False
        finally:
            eng.close()

    def _load(self, eng: Engine, path: Path) -> None:
        self.state = "loading"
        info = eng.runtime.load(path, n_ctx=self.n_ctx, n_threads=self.n_threads)
        self.loaded_id, self.n_ctx_loaded = model_id(info.path), info.n_ctx
        self.state = "ready"

    def chat_model(self, eng: Engine, name: str | None) -> Any:
        """The runtime's model info for ``name`` (None: the loaded one), loading an installed one if needed."""
        if name is not None and name != self.loaded_id:
            from engine.models.installed import installed_models
            found = [m for m in installed_models(eng.store, self.home.paths.models).models
                     if name in (model_id(m.path), m.name, m.path.name)]
            if not found:
                raise not_found(name)
            self._load(eng, found[0].path)
        if eng.runtime.info is None:
            raise ApiProblem(503, "No chat model is loaded; start the server with --model.", code="model_not_loaded")
        return eng.runtime.info

    def _embed(self, eng: Engine, request: dict[str, Any]) -> dict[str, Any]:
        from engine.models.installed import installed_models
        name = request["model"]
        found = [m for m in installed_models(eng.store, self.home.paths.models).embedding
                 if name in (model_id(m.path), m.name, m.path.name)]
        if not found:
            raise not_found(name)
        path = str(found[0].path.resolve())
        if eng.runtime.embedder is None or eng.runtime.embedder.path != path:
            eng.runtime.load_embedder(path, n_threads=self.n_threads)
        texts = request["input"]
        vectors = eng.runtime.embed(texts)
        as_base64 = request.get("encoding_format") == "base64"
        data = [{"object": "embedding", "index": i,
                 "embedding": base64.b64encode(row.astype("<f4").tobytes()).decode("ascii") if as_base64
                 else [float(x) for x in row]} for i, row in enumerate(vectors)]
        tokens = int(eng.runtime.last_embed_stats.get("tokens", 0))
        return {"object": "list", "data": data, "model": model_id(path),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


def not_found(name: str) -> ApiProblem:
    return ApiProblem(404, f"The model '{name}' does not exist here. GET /v1/models lists the installed ones.",
                      code="model_not_found", param="model")


def _problem(exc: errors.HearthError) -> ApiProblem:
    if isinstance(exc, errors.ContextError):
        return ApiProblem(400, exc.message, code="context_length_exceeded", param="messages")
    if isinstance(exc, errors.CollectionNotFound):
        return ApiProblem(404, exc.message, code="model_not_found", param="model")
    if isinstance(exc, (errors.TemplateError, errors.VisionUnsupported)):
        return ApiProblem(400, exc.message, code=exc.code)
    if isinstance(exc, errors.ModelCrashed):   # the window's hint ("your conversation is saved") is not the client's
        return ApiProblem(503, exc.message + " The server starts it again for the next request; retry.",
                          code="model_crashed")
    return ApiProblem(500, exc.full_text(), code=exc.code)


def default_sampling(request: dict[str, Any], max_tokens: int, stop: tuple[str, ...]) -> Sampling:
    """OpenAI's fields on Hearth's sampler; no repeat penalty (as llama-server, and as OpenAI clients expect)."""
    base = Sampling()
    return Sampling(temperature=float(request.get("temperature", base.temperature)),
                    top_p=float(request.get("top_p", base.top_p)), top_k=base.top_k, min_p=base.min_p,
                    repeat_penalty=1.0, seed=request.get("seed"), max_tokens=max_tokens, stop=stop).resolved()
