"""The parent side of the worker process: load, generate, cancel, survive crashes.

``Runtime`` starts a worker process that owns llama.cpp. Every wait on the
worker also watches the process itself, so a segfault, abort or ``kill -9``
raises ``ModelCrashed`` at once instead of hanging. After a crash the next
call starts a fresh worker and reloads the same model. The same worker can
also hold an embedding model (``load_embedder``, ``embed``) beside the chat
model; each is reloaded on its next use after a crash.

A chat model may come with an image projector (``load(..., mmproj=...)``, or
paired automatically by :func:`engine.models.vision.find_mmproj`); the projector
runs in the worker too, so one that crashes llama.cpp takes down only the
worker (``ModelCrashed``). ``generate(..., images=...)`` sends decoded images
with a prompt holding one media marker per image. The records it takes and
returns (``ModelInfo``, ``Done`` …) are in :mod:`engine.runtime.records`.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import threading
from dataclasses import replace
from multiprocessing.connection import wait
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

from engine import errors
from engine.childproc import start_child
from engine.filehash import sha256_file
from engine.models.files import check_header as _check_header
from engine.models.gguf import GGUFInfo, read_gguf_info
from engine.paths import paths
from engine.sampling import CancelToken, Sampling
from engine.models.templates import SHOWN_SPECIALS, ChatTemplate, template_for_file
from engine.runtime import worker
from engine.runtime.faults import BROKEN_AFTER, NATIVE_FAULTS, broken, count_fault, faults, forget_faults
from engine.runtime.formats import GRAMMAR_HINT, response_format_parts
from engine.runtime.records import Done, EmbedderInfo, EmbedRequest, LoadRequest, ModelInfo

if TYPE_CHECKING:
    import numpy

__all__ = ["Done", "EmbedderInfo", "ModelInfo", "Runtime", "default_threads"]

_ERRORS: dict[str, type[errors.HearthError]] = {
    "ModelLoadFailed": errors.ModelLoadFailed,
    "ModelInvalid": errors.ModelInvalid,
    "ModelNotFound": errors.ModelNotFound,
    "VisionUnsupported": errors.VisionUnsupported,
    "ModelError": errors.ModelError,
    "NoModelLoaded": errors.NoModelLoaded,
    "MessageTooLong": errors.MessageTooLong,
    "ContextFull": errors.ContextFull,
    "TemplateError": errors.TemplateError,
    "GrammarInvalid": errors.GrammarInvalid,
}

_MEMORY_WORDS = ("memory", "alloc", "mmap", "oom", "cudamalloc", "buffer")
_REFUSED = ("llama.cpp refused the file for the reason above: it is damaged, converted wrongly or made for a newer "
            "llama.cpp. Download another conversion of this model, or update Hearth.")


def default_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


class Runtime:
    """One worker process running one model at a time. Use from one thread;
    ``cancel()`` may be called from any thread."""

    def __init__(self, *, log_path: Path | None = None, cache_dir: Path | None = None) -> None:
        """``log_path`` receives llama.cpp's own log; ``cache_dir`` keeps model hashes (defaults: the home's)."""
        self._ctx = mp.get_context("spawn")
        home = paths() if log_path is None or cache_dir is None else None
        self._log_path = log_path or home.runtime_log  # type: ignore[union-attr]
        self._cache_dir = cache_dir or home.cache  # type: ignore[union-attr]
        self._proc: Any = None
        self._conn: Any = None
        self._flag = self._ctx.RawValue("b", 0)
        self._request: LoadRequest | None = None
        self.info: ModelInfo | None = None
        self._model_proc: Any = None      # the worker process the chat model was loaded into
        self._embed_request: EmbedRequest | None = None
        self.embedder: EmbedderInfo | None = None
        self._embedder_proc: Any = None   # the worker process the embedder was loaded into
        self.last_embed_stats: dict[str, Any] = {}
        self._lock = threading.RLock()
        self._streaming = False
        self._image_tokens: dict[tuple[int, int], int] = {}   # (width, height) -> positions, for this projector

    # --- process management ---------------------------------------------------
    @property
    def worker_pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.is_alive() else None

    def _ensure_worker(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            return
        self._drop_worker()
        parent, child = self._ctx.Pipe(duplex=True)
        log = str(self._log_path) if self._log_path else None
        self._proc = self._ctx.Process(target=worker.main, args=(child, self._flag, log, os.getpid()),
                                       name="hearth-llama", daemon=True)
        start_child(self._proc)   # the worker ignores Ctrl+C: this process stops it
        child.close()
        self._conn = parent

    def _drop_worker(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._proc is not None:
            if self._proc.is_alive():
                self._proc.kill()
            self._proc.join(timeout=2)
        self._proc = self._conn = None

    def _crashed(self) -> errors.ModelError:
        """The worker died: ``ModelCrashed`` (reload to continue), or ``ModelBroken`` once llama.cpp has
        crashed on the same file ``BROKEN_AFTER`` times in a row."""
        proc = self._proc
        code = None
        if proc is not None:
            proc.join(timeout=2)
            code = proc.exitcode
        self._drop_worker()
        request = self._request
        path = request.path if request else None
        if request is not None and code in NATIVE_FAULTS:
            count = count_fault(request)
            if count >= BROKEN_AFTER:
                self.info = None
                return broken(request, code, count)
        return _crash_error(path, code, "the model")

    def _recv(self) -> tuple[Any, ...]:
        conn, proc = self._conn, self._proc
        while True:
            ready = wait([conn, proc.sentinel])
            if conn in ready or conn.poll():
                try:
                    return conn.recv()
                except (EOFError, OSError):
                    raise self._crashed() from None
            if proc.sentinel in ready:
                raise self._crashed()

    def _call(self, op: str, args: dict[str, Any] | None = None) -> Any:
        try:
            self._conn.send((op, args or {}))
        except (BrokenPipeError, OSError):
            raise self._crashed() from None
        reply = self._recv()
        if reply[0] == "error":
            raise self._error(*reply[1:])
        return reply[1]

    def _error(self, kind: str, message: str, reason: str = "",
               params: dict[str, Any] | None = None) -> errors.HearthError:
        """The worker's ``("error", kind, message, reason, params)`` as the engine error it names; the
        reason and parameters let the window say it in the user's language."""
        cls = _ERRORS.get(kind, errors.ModelError)
        params = dict(params or {})
        # the file the worker names (an embedding model, a projector), else the chat model being run
        path = params.get("path") or (self._request.path if self._request else None)
        if cls is errors.ModelLoadFailed and "llama.cpp says:" in message:
            said = message.split("llama.cpp says:", 1)[1].strip()
            if not any(word in said.lower() for word in _MEMORY_WORDS):   # the file, not the memory
                return errors.ModelLoadFailed(message, hint=_REFUSED, path=path, reason="refused",
                                              params={**params, "said": said})
        if cls is errors.GrammarInvalid:
            return errors.GrammarInvalid(message, hint=GRAMMAR_HINT, reason=reason, params=params)
        if cls is errors.VisionUnsupported:
            from engine.models.vision import vision_model_names
            return errors.VisionUnsupported(message, suggestions=vision_model_names(), path=path)
        return cls(message, path=path, reason=reason, params=params)

    def _hash(self, path: str) -> tuple[threading.Thread, dict[str, str]]:
        """Start hashing a model file beside its load; ``digest["sha256"]`` is set once the thread ends."""
        digest: dict[str, str] = {}
        hasher = threading.Thread(target=lambda: digest.update(sha256=sha256_file(path, self._cache_dir)),
                                  name="hearth-sha256", daemon=True)
        hasher.start()
        return hasher, digest

    # --- public API -------------------------------------------------------------
    def load(self, path: str | os.PathLike[str], *, n_ctx: int | None = None, n_gpu_layers: int | str = "auto",
             n_threads: int | None = None, template: str | None = None,
             mmproj: str | os.PathLike[str] | None = None) -> ModelInfo:
        """Validate the file, pick its chat template, load it in the worker.

        ``mmproj`` is the image projector to load with the model; None pairs one automatically
        (:func:`engine.models.vision.find_mmproj`: the catalog's, or a fitting ``*mmproj*.gguf`` beside the
        model), "" loads none. A chosen projector that fails fails the load; a paired one that fails
        leaves the model text-only, with the reason in ``info.vision_error``.
        """
        resolved = str(Path(path).expanduser().resolve())
        gguf = read_gguf_info(resolved)
        _check_header(resolved, gguf)
        if mmproj is None:
            from engine.models.vision import find_mmproj
            found = find_mmproj(resolved, model=gguf)
            projector, required = (str(found) if found else ""), False
        else:
            projector = str(Path(mmproj).expanduser().resolve()) if os.fspath(mmproj) else ""
            required = True
        if projector and required:
            from engine.models.vision import check_projector
            check_projector(projector, gguf)
        request = LoadRequest(resolved, n_ctx, n_gpu_layers, n_threads, template, projector, required)
        with self._lock:
            return self._load(request, gguf)

    def _load(self, request: LoadRequest, gguf: GGUFInfo | None = None) -> ModelInfo:
        count = faults(request)
        if count >= BROKEN_AFTER:
            if request.mmproj and not request.mmproj_required:   # a paired projector that crashes: text only
                return self._without_projector(request, gguf, broken(request, None, count))
            raise broken(request, None, count)
        if gguf is None:
            gguf = read_gguf_info(request.path)  # fast, bounded: bad files never reach llama.cpp
            _check_header(request.path, gguf)
        chat_template = _template_for(gguf, request)
        self._image_tokens.clear()
        n_ctx = request.n_ctx or min(4096, gguf.context_length or 4096)
        threads = request.n_threads or default_threads()
        hasher, digest = self._hash(request.path)
        self._request = request
        self.info = None
        self._ensure_worker()
        args = {"path": request.path, "n_ctx": n_ctx, "n_threads": threads,
                "n_gpu_layers": _chat_gpu_layers(request.n_gpu_layers),
                "mmproj": request.mmproj or None, "mmproj_required": request.mmproj_required,
                "shown_specials": SHOWN_SPECIALS}
        try:
            facts = self._call("load", args)
        except (errors.ModelCrashed, errors.ModelBroken) as exc:
            if not request.mmproj or request.mmproj_required:
                raise
            hasher.join()   # a projector found beside the model crashed llama.cpp: load the model without it
            return self._without_projector(request, gguf, exc)
        self._model_proc = self._proc
        hasher.join()
        self.info = ModelInfo(
            path=request.path, name=gguf.name, architecture=gguf.architecture,
            parameters=facts["parameters"], quantization=gguf.quantization,
            size_bytes=gguf.file_size or facts["size_bytes"], n_ctx_train=facts["n_ctx_train"],
            n_ctx=facts["n_ctx"], n_layers=facts["n_layers"], backend=facts["backend"],
            gpu_layers=facts["gpu_layers"], vram_bytes=facts.get("vram_bytes", 0),
            offload_note=facts.get("offload_note", ""), threads=facts["threads"], sha256=digest.get("sha256", ""),
            load_seconds=facts["load_seconds"], template=chat_template, vision=bool(facts.get("vision")),
            mmproj=request.mmproj if facts.get("vision") else None, vision_error=facts.get("vision_error", ""))
        return self.info

    def _without_projector(self, request: LoadRequest, gguf: GGUFInfo | None, exc: errors.ModelError) -> ModelInfo:
        why = errors.ModelCrashed.describe_exit(getattr(exc, "exitcode", None))
        info = self._load(replace(request, mmproj="", mmproj_required=True), gguf)
        self.info = replace(info, vision_error=f"The image projector {request.mmproj} crashed llama.cpp ({why}); "
                                               "the model was loaded without it.")
        return self.info

    def _ready(self) -> ModelInfo:
        """The loaded model; after a crash, a fresh worker with the same model."""
        if self.info is not None and self._proc is not None and self._proc.is_alive() \
                and self._model_proc is self._proc:
            return self.info
        if self._request is None:
            raise errors.NoModelLoaded("No model is loaded.")
        return self._load(self._request)

    def count_tokens(self, text: str) -> int:
        with self._lock:
            self._ready()
            return int(self._call("count", {"text": text}))

    def image_tokens(self, sizes: Sequence[tuple[int, int]]) -> list[int]:
        """Context positions an image of each ``(width, height)`` (as sent, see ``engine.images.fit_size``)
        takes with the loaded projector; the worker preprocesses a blank image of that size once per size."""
        with self._lock:
            info = self._ready()
            if not info.vision:
                from engine.models.vision import vision_model_names
                raise errors.VisionUnsupported(f"{info.name} cannot see images.", suggestions=vision_model_names())
            missing = sorted({(int(w), int(h)) for w, h in sizes} - set(self._image_tokens))
            if missing:
                self._image_tokens.update(zip(missing, self._call("image_tokens", {"sizes": missing})))
            return [self._image_tokens[(int(w), int(h))] for w, h in sizes]

    def grammar_for(self, response_format: Mapping[str, Any] | None) -> str:
        """The GBNF text that holds a reply to an OpenAI ``response_format`` (``{"type": "json_object"}``, or
        ``{"type": "json_schema", "json_schema": {"schema": {...}}}``; "" for none or "text"), converted and
        checked in the worker against the loaded model; raises ``GrammarInvalid`` (the worker lives on)."""
        kind, schema = response_format_parts(response_format)
        if not kind:
            return ""
        with self._lock:
            self._ready()
            return str(self._call("grammar", {"type": kind, "schema": schema}))

    def generate(self, prompt: str, sampling: Sampling, *, images: Sequence[tuple[int, int, bytes]] = (),
                 cancel: CancelToken | None = None, reuse_prefix: bool = True,
                 grammar: str = "") -> Iterator[str | Done]:
        """Yield text pieces as they are generated, then one ``Done``.

        ``images`` are ``(width, height, rgb_bytes)``, one per media marker in ``prompt`` (in order);
        they need a model loaded with a projector. ``grammar`` (GBNF, see :meth:`grammar_for`) holds the
        reply to it; one llama.cpp refuses raises ``GrammarInvalid`` before anything is generated.
        """
        if not prompt:
            raise errors.TemplateError(
                "The chat template produced an empty prompt, so there is nothing to send to the model "
                "(llama.cpp would crash on it).", path=self._request.path if self._request else None)
        with self._lock:
            self._ready()
            self._flag.value = 0
            unhook = cancel.on_cancel(self.cancel) if cancel is not None else (lambda: None)
            try:
                try:
                    self._conn.send(("generate", {"prompt": prompt, "sampling": sampling.to_dict(),
                                                  "reuse_prefix": reuse_prefix, "grammar": grammar,
                                                  "images": [(int(w), int(h), bytes(b)) for w, h, b in images]}))
                except (BrokenPipeError, OSError):
                    raise self._crashed() from None
                self._streaming = True
                while True:
                    reply = self._recv()
                    kind = reply[0]
                    if kind == "tok":
                        yield reply[1]
                        continue
                    self._streaming = False
                    if kind == "done":
                        forget_faults(self._request)  # the file works
                        yield Done(reply[1])
                        return
                    raise self._error(*reply[1:])
            except (errors.ModelCrashed, errors.ModelBroken):
                self._streaming = False
                raise
            finally:
                unhook()
                if self._streaming:
                    self._finish_abandoned()

    def _finish_abandoned(self) -> None:
        """The caller stopped iterating early: stop the worker and drain its replies."""
        self._flag.value = 1
        while self._streaming:
            try:
                if self._recv()[0] in ("done", "error"):
                    self._streaming = False
            except (errors.ModelCrashed, errors.ModelBroken):
                self._streaming = False

    # --- embeddings ---------------------------------------------------------------
    def load_embedder(self, path: str | os.PathLike[str], *, n_threads: int | None = None,
                      n_gpu_layers: int | str = "auto") -> EmbedderInfo:
        """Load an embedding model into the worker, beside the chat model (if any)."""
        request = EmbedRequest(str(Path(path).expanduser().resolve()), n_threads, n_gpu_layers)
        with self._lock:
            return self._load_embedder(request)

    def _load_embedder(self, request: EmbedRequest) -> EmbedderInfo:
        gguf = read_gguf_info(request.path)  # bad files never reach llama.cpp
        _check_header(request.path, gguf)
        hasher, digest = self._hash(request.path)
        self._embed_request = request
        self.embedder = None
        self._ensure_worker()
        args = {"path": request.path, "n_threads": request.n_threads or default_threads(), "n_ctx": None,
                "n_gpu_layers": _gpu_layers(request.n_gpu_layers)}
        try:
            facts = self._call("load_embedder", args)
        except errors.ModelCrashed as exc:
            raise self._embedder_crashed(exc) from None
        finally:
            hasher.join()
        self._embedder_proc = self._proc
        self.embedder = EmbedderInfo(
            path=request.path, name=gguf.name, dim=facts["dim"], n_ctx_train=facts["n_ctx_train"],
            n_ctx=facts["n_ctx"], pooling=facts["pooling"], sha256=digest.get("sha256", ""),
            backend=facts["backend"], load_seconds=facts["load_seconds"])
        return self.embedder

    def embed(self, texts: list[str]) -> "numpy.ndarray":
        """One L2-normalised float32 row per text, shape ``(len(texts), dim)``.

        Texts longer than the model's context are truncated; ``last_embed_stats``
        counts them, with the tokens embedded and the seconds taken.
        """
        import numpy

        with self._lock:
            info = self._embedder_ready()
            if not texts:
                return numpy.zeros((0, info.dim), dtype=numpy.float32)
            try:
                reply = self._call("embed", {"texts": list(texts)})
            except errors.ModelCrashed as exc:
                raise self._embedder_crashed(exc) from None
            self.last_embed_stats = reply["stats"]
            return numpy.frombuffer(reply["data"], dtype=numpy.float32).reshape(len(texts), reply["dim"]).copy()

    def _embedder_ready(self) -> EmbedderInfo:
        """The loaded embedder; after a crash or a restart, a fresh worker with the same embedder."""
        if self.embedder is not None and self._proc is not None and self._proc.is_alive() \
                and self._embedder_proc is self._proc:
            return self.embedder
        if self._embed_request is None:
            raise errors.EmbeddingModelMissing("No embedding model is loaded.")
        return self._load_embedder(self._embed_request)

    def _embedder_crashed(self, exc: errors.ModelCrashed) -> errors.ModelCrashed:
        """The same crash, named after the embedding model."""
        return _crash_error(self._embed_request.path if self._embed_request else None,
                            getattr(exc, "exitcode", None), "the embedding model")

    def unload_embedder(self) -> None:
        with self._lock:
            if self._proc is not None and self._proc.is_alive() and self._embedder_proc is self._proc:
                try:
                    self._call("unload_embedder")
                except errors.ModelError:
                    pass
            self.embedder = None
            self._embed_request = None
            self._embedder_proc = None

    def cancel(self) -> None:
        """Stop the current generation before its next token (any thread)."""
        self._flag.value = 1

    def unload(self) -> None:
        with self._lock:
            if self._proc is not None and self._proc.is_alive():
                try:
                    self._call("unload")
                except errors.ModelError:
                    pass
            self.info = None
            self._request = None

    def close(self) -> None:
        """Stop the worker process."""
        with self._lock:
            if self._proc is not None and self._proc.is_alive():
                try:
                    self._conn.send(("exit", {}))
                    self._proc.join(timeout=5)
                except (BrokenPipeError, OSError):
                    pass
            self._drop_worker()
            self.info = None
            self.embedder = None

    def __enter__(self) -> "Runtime":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _chat_gpu_layers(value: int | str) -> int | str:
    """A chat model's ``n_gpu_layers`` for the worker: "auto" stays "auto", for the worker to plan from the
    free GPU memory (:mod:`engine.runtime.offload`); a count is sent as it is."""
    return "auto" if value == "auto" else int(value)


def _gpu_layers(value: int | str) -> int:
    """The worker's ``n_gpu_layers``: "auto" offloads every layer (-1); a CPU-only llama.cpp ignores it."""
    return -1 if value == "auto" else int(value)


def _crash_error(path: str | None, exitcode: int | None, unnamed: str) -> errors.ModelCrashed:
    """The worker died while it ran the model at ``path`` (``unnamed`` when there is none)."""
    name = Path(path).name if path else unnamed
    return errors.ModelCrashed(
        f"The process running {name} stopped unexpectedly ({errors.ModelCrashed.describe_exit(exitcode)}).",
        exitcode=exitcode, path=path)


def _template_for(gguf: GGUFInfo, request: LoadRequest) -> ChatTemplate:
    return template_for_file(gguf, request.path, builtin=request.template)

