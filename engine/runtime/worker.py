"""The worker process: owns llama.cpp and answers the parent over a pipe.

Everything native lives here, so a segfault or abort in llama.cpp kills only
this process. Requests are ``(op, args)`` tuples; replies are ``("ok", value)``,
``("tok", text)`` while generating, ``("done", stats)`` and
``("error", kind, message)``. Cancel arrives through shared memory, read
between tokens, never through the request queue. Beside the chat model the
worker may hold one embedding model (``load_embedder``, ``embed``), which
answers ``("ok", {"data": float32 bytes, "dim": n, "stats": {...}})``.
"""
from __future__ import annotations

import os
import sys
from multiprocessing.connection import Connection
from typing import Any


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


def _die_with_parent() -> None:
    """On Linux, have the kernel kill this worker when the parent dies (even by SIGKILL)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def main(conn: Connection, cancel_flag: Any, log_path: str | None) -> None:
    """Serve requests until the pipe closes or ``exit`` arrives."""
    _die_with_parent()
    _redirect_output(log_path)
    from ..sampling import Sampling
    from .native import GenerationStats, NativeError, NativeModel

    model: NativeModel | None = None
    held: dict[str, Any] = {}  # "embedder": a NativeEmbedder, imported on first use
    cancelled = lambda: cancel_flag.value != 0  # noqa: E731 - read per token, keep it cheap
    send = conn.send
    while True:
        try:
            op, args = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            if op == "load":
                if model is not None:
                    model.close()
                    model = None
                model = NativeModel(**args)
                send(("ok", model.describe()))
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
                for piece in model.generate(args["prompt"], Sampling.from_dict(args["sampling"]),
                                            cancelled=cancelled, reuse_prefix=args.get("reuse_prefix", True),
                                            stats=stats):
                    send(("tok", piece))
                send(("done", stats.to_dict()))
            elif op == "unload":
                model.close()
                model = None
                send(("ok", None))
            else:
                send(("error", "ModelError", f"Unknown request {op!r}."))
        except NativeError as exc:
            send(("error", exc.kind, str(exc)))
        except Exception as exc:  # report, keep serving
            send(("error", "ModelError", f"{type(exc).__name__}: {exc}"))


def _embedder_op(op: str, args: dict[str, Any], held: dict[str, Any], send: Any) -> None:
    """Serve one embedding request; ``held["embedder"]`` is the embedding model, if any."""
    if op == "load_embedder":
        from .native_embed import NativeEmbedder
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
