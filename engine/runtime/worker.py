"""The worker process: owns llama.cpp and answers the parent over a pipe.

Everything native lives here, so a segfault or abort in llama.cpp kills only
this process. Requests are ``(op, args)`` tuples; replies are ``("ok", value)``,
``("tok", text)`` while generating, ``("done", stats)`` and
``("error", kind, message)``. Cancel arrives through shared memory, read
between tokens, never through the request queue.
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
