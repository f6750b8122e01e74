"""The worker process: owns llama.cpp and answers the parent over a pipe.

Everything native lives here, so a segfault or abort in llama.cpp kills only
this process. Requests are ``(op, args)`` tuples; replies are ``("ok", value)``,
``("tok", text)`` while generating, ``("done", stats)`` and
``("error", kind, message[, reason, params])`` (the reason and parameters of the
message let the window say it in the user's language). Cancel arrives through shared memory, never
through the request queue: it is read between tokens and, while a prompt is
read, inside llama.cpp between graph nodes (``NativeModel.abortable``), so a
long prompt stops within milliseconds, not at the end of its batch. Beside
the chat model the worker may hold one embedding model (``load_embedder``, ``embed``), which
answers ``("ok", {"data": float32 bytes, "dim": n, "stats": {...}})``.

``load`` may name an image projector (``mmproj``): a ``VisionProjector`` is
then made for the model (imported only then). With ``mmproj_required`` false
(a projector found by pairing, not chosen) a projector that fails to load
leaves the text model loaded and says why in ``vision_error``. ``generate``
takes ``images``, ``(width, height, rgb_bytes)`` for each media marker in the
prompt; ``image_tokens`` says how many positions images of given sizes take.

``generate`` may carry a ``grammar`` (GBNF) that holds the reply to it; ``grammar`` turns an OpenAI
response format (``type``, ``schema`` as JSON text) or a GBNF text into a grammar checked against the
loaded model's vocabulary (``engine.runtime.native_grammar``): a bad one is an error reply, never a crash.
"""
from __future__ import annotations

import os
import sys
from multiprocessing.connection import Connection
from typing import Any

from engine.childproc import die_with_parent, watch_parent

NO_PROJECTOR = "The loaded model has no image projector: it cannot see images."

def _redirect_output(log_path: str | None) -> None:
    """Send native stdout/stderr (llama.cpp's log) to the log file."""
    if not log_path:
        return
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _log_size(log_path: str | None) -> int:
    try:
        return os.path.getsize(log_path) if log_path else 0
    except OSError:
        return 0


_LOAD_MARKERS = ("error loading model:", "failed to load model:")
_GRAMMAR_MARKERS = ("error parsing grammar:", "unsupported grammar, ")


def _load_reason(log_path: str | None, start: int, markers: tuple[str, ...] = _LOAD_MARKERS) -> str:
    """Why llama.cpp refused a model (or a grammar), from what it logged since ``start`` ('' when it said nothing)."""
    if not log_path:
        return ""
    sys.stderr.flush()
    try:
        with open(log_path, "rb") as f:
            f.seek(start)
            text = f.read(256 * 1024).decode("utf-8", "replace")
    except OSError:
        return ""
    for line in text.splitlines():
        for marker in markers:
            if marker in line:
                return line.split(marker, 1)[1].strip()[:500]
    return ""


def main(conn: Connection, cancel_flag: Any, log_path: str | None, parent_pid: int | None = None) -> None:
    """Serve requests until the pipe closes, ``exit`` arrives or the parent process dies."""
    die_with_parent(parent_pid)
    if parent_pid is not None:
        watch_parent(parent_pid)
    _redirect_output(log_path)
    from engine.sampling import Sampling
    from engine.runtime.native import GenerationStats, NativeError, NativeModel

    model: NativeModel | None = None
    held: dict[str, Any] = {}  # "embedder": a NativeEmbedder; "projector": a VisionProjector (imported on first use)
    cancelled = lambda: cancel_flag.value != 0  # noqa: E731 - read per token, keep it cheap
    send = conn.send
    while True:
        try:
            op, args = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            if op == "load":
                _close_projector(held)
                if model is not None:
                    model.close()
                    model = None
                mmproj, required = args.pop("mmproj", None), args.pop("mmproj_required", True)
                mark = _log_size(log_path)
                try:
                    model = NativeModel(**args)
                except NativeError as exc:
                    said = _load_reason(log_path, mark)
                    if said:   # the same message with llama.cpp's own words after it: "<reason>_said"
                        send(("error", exc.kind, f"{exc} llama.cpp says: {said}",
                              f"{exc.reason}_said" if exc.reason else "", {**exc.params, "said": said}))
                    else:
                        send(("error", exc.kind, str(exc), exc.reason, exc.params))
                    continue
                facts = model.describe()
                facts["vision"], facts["vision_error"] = False, ""
                if mmproj:
                    try:
                        _load_projector(model, mmproj, args, held)
                        facts["vision"] = True
                    except NativeError as exc:
                        if required:
                            model.close()
                            model = None
                            raise
                        facts["vision_error"] = str(exc)
                send(("ok", facts))
            elif op == "exit":
                send(("ok", None))
                return
            elif op in ("load_embedder", "embed", "unload_embedder"):
                _embedder_op(op, args, held, send)
            elif model is None:
                send(("error", "NoModelLoaded", "No model is loaded."))
            elif op == "count":
                send(("ok", len(model.tokenize(args["text"]))))
            elif op == "generate":
                stats = GenerationStats()
                images = args.get("images") or []
                sampling = Sampling.from_dict(args["sampling"])
                reuse = args.get("reuse_prefix", True)
                grammar = args.get("grammar") or ""
                if images and "projector" not in held:
                    send(("error", "VisionUnsupported", NO_PROJECTOR))
                    continue
                if images and grammar:
                    send(("error", "GrammarInvalid", "A reply about images cannot be held to a grammar yet."))
                    continue
                if grammar:
                    _check_grammar(model, grammar, log_path)
                if images:
                    pieces = held["projector"].generate(args["prompt"], images, sampling, cancelled=cancelled,
                                                        reuse_prefix=reuse, stats=stats)
                else:
                    pieces = model.generate(args["prompt"], sampling, cancelled=cancelled, reuse_prefix=reuse,
                                            stats=stats, grammar=grammar)
                for piece in pieces:
                    send(("tok", piece))
                send(("done", stats.to_dict()))
            elif op == "grammar":   # a response format as GBNF, checked against this model's vocabulary
                from engine.runtime.native_grammar import gbnf_for
                text = gbnf_for(args["type"], args.get("schema")) if args.get("type") else str(args["grammar"])
                _check_grammar(model, text, log_path)
                send(("ok", text))
            elif op == "image_tokens":
                if "projector" not in held:
                    send(("error", "VisionUnsupported", NO_PROJECTOR))
                    continue
                send(("ok", [held["projector"].image_tokens(w, h) for w, h in args["sizes"]]))
            elif op == "unload":
                _close_projector(held)
                model.close()
                model = None
                send(("ok", None))
            else:
                send(("error", "ModelError", f"Unknown request {op!r}."))
        except NativeError as exc:
            send(("error", exc.kind, str(exc), exc.reason, exc.params))
        except Exception as exc:  # report, keep serving
            send(("error", "ModelError", f"{type(exc).__name__}: {exc}"))


def _check_grammar(model: Any, grammar: str, log_path: str | None) -> None:
    """Raise ``NativeError("GrammarInvalid")``, with llama.cpp's own words, unless it accepts ``grammar``."""
    from engine.runtime.native import NativeError
    from engine.runtime.native_grammar import check_grammar
    mark = _log_size(log_path)
    try:
        check_grammar(model.vocab, grammar)
    except NativeError as exc:
        said = _load_reason(log_path, mark, _GRAMMAR_MARKERS)
        if not said:
            raise
        raise NativeError(exc.kind, f"{exc} llama.cpp says: {said}", reason=exc.reason,
                          params={**exc.params, "said": said}) from None


def _load_projector(model: Any, mmproj: str, args: dict[str, Any], held: dict[str, Any]) -> None:
    from engine.runtime.native_vision import VisionProjector
    held["projector"] = VisionProjector(model, mmproj, n_threads=args["n_threads"],
                                        use_gpu=args["n_gpu_layers"] != 0)


def _close_projector(held: dict[str, Any]) -> None:
    """The projector goes before its model (libmtmd holds a pointer to it)."""
    projector = held.pop("projector", None)
    if projector is not None:
        projector.close()


def _embedder_op(op: str, args: dict[str, Any], held: dict[str, Any], send: Any) -> None:
    """Serve one embedding request; ``held["embedder"]`` is the embedding model, if any."""
    if op == "load_embedder":
        from engine.runtime.native_embed import NativeEmbedder
        old = held.pop("embedder", None)
        if old is not None:
            old.close()
        held["embedder"] = NativeEmbedder(**args)
        send(("ok", held["embedder"].describe()))
    elif "embedder" not in held:
        send(("error", "NoModelLoaded", "No embedding model is loaded."))
    elif op == "embed":
        data, dim, stats = held["embedder"].embed(args["texts"])
        send(("ok", {"data": data, "dim": dim, "stats": stats}))
    else:  # unload_embedder
        held.pop("embedder").close()
        send(("ok", None))
