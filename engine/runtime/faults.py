"""Native crashes counted per file: a model (or a model with its projector) that crashes llama.cpp
again and again is broken, and reloading it would only crash again.

Only signals with which llama.cpp itself dies count (GGML_ASSERT aborts, bad reads); SIGKILL and
SIGTERM come from outside (the user, the OOM killer). A completed reply forgets the count.
"""
from __future__ import annotations

import os
import threading

from engine import errors
from engine.runtime.records import LoadRequest

# Signals with which llama.cpp itself dies (GGML_ASSERT aborts, bad reads): counted per file.
# SIGKILL and SIGTERM are not: they come from outside (the user, the OOM killer).
NATIVE_FAULTS = frozenset(-s for s in (6, 4, 7, 8, 11))   # SIGABRT, SIGILL, SIGBUS, SIGFPE, SIGSEGV
BROKEN_AFTER = 2          # this many native crashes on the same file (no completed reply between): broken
_faults: dict[tuple[object, ...], int] = {}   # (model, projector or None) -> native crashes in a row
_faults_lock = threading.Lock()


def _identity(path: str) -> tuple[str, int, int]:
    """The same file: same path, size and modification time (a re-download is a new file)."""
    try:
        st = os.stat(path)
        return path, st.st_size, st.st_mtime_ns
    except OSError:
        return path, -1, -1


def fault_key(request: LoadRequest) -> tuple[object, ...]:
    """What crashed: the model file with its image projector, if one was loaded with it (a crashing
    projector must not condemn the model, which loads fine without it)."""
    return _identity(request.path), _identity(request.mmproj) if request.mmproj else None


def forget_faults(request: LoadRequest | None) -> None:
    if request is not None:
        with _faults_lock:
            _faults.pop(fault_key(request), None)


def broken(request: LoadRequest, exitcode: int | None, count: int) -> errors.ModelBroken:
    last = errors.ModelCrashed.describe_exit(exitcode)
    if request.mmproj:
        return errors.ModelBroken(
            f"The image projector {request.mmproj} is broken or does not fit {request.path}: llama.cpp crashed "
            f"{count} times with it (last: {last}), so Hearth will not load this pair again.",
            exitcode=exitcode, path=request.mmproj, reason="projector",
            params={"model": os.path.basename(request.path), "count": count})
    return errors.ModelBroken(
        f"{request.path} is broken: llama.cpp crashed on it {count} times "
        f"(last: {last}), so Hearth will not load it again.", exitcode=exitcode, path=request.path,
        params={"count": count})


def count_fault(request: LoadRequest) -> int:
    """One more native crash on ``request``'s files; the count so far."""
    key = fault_key(request)
    with _faults_lock:
        _faults[key] = _faults.get(key, 0) + 1
        return _faults[key]


def faults(request: LoadRequest) -> int:
    return _faults.get(fault_key(request), 0)
