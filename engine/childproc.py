"""What every child process of Hearth does first (the llama.cpp worker, the document parsers), and how
its parent starts it.

Standard library only: the children must stay light and import nothing heavy.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import Any


def die_with_parent(parent_pid: int | None = None) -> None:
    """On Linux, have the kernel kill this process when its parent dies (even by SIGKILL).

    The kernel only signals deaths that happen *after* the request: a parent killed while this
    child was starting has already gone, and the child has been adopted by another process.
    With ``parent_pid`` (the parent's ``os.getpid()``, passed down), that case is caught by
    comparing it with ``os.getppid()`` after the request, and the child exits at once.
    """
    if sys.platform.startswith("linux"):
        import ctypes
        import signal
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(0)


def watch_parent(parent_pid: int, interval: float = 0.2) -> threading.Thread:
    """A daemon thread that ends this process within ``interval`` seconds of its parent's death,
    even while the main thread is inside native code (loading a model); for systems without
    PR_SET_PDEATHSIG, and as a second line where it exists."""

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(0)
            time.sleep(interval)

    thread = threading.Thread(target=watch, name="hearth-parent-watch", daemon=True)
    thread.start()
    return thread


def limit_memory(limit: int) -> None:
    """Cap this process's address space at ``limit`` bytes (RLIMIT_AS; never above the hard limit).
    A no-op where the platform has no such limit (Windows)."""
    try:
        import resource
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        soft = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    except (ImportError, AttributeError, ValueError, OSError):
        pass


def start_child(proc: Any) -> None:
    """``proc.start()`` with SIGINT blocked in this thread meanwhile: the child inherits the blocked signal
    and never receives it. Ctrl+C in a terminal reaches the whole process group, and a child still
    importing would print a traceback; the parent owns Ctrl+C and stops its children itself.

    Blocking it in this thread is not enough for the parent: the kernel hands a process-wide SIGINT to
    any thread that does not block it (a hashing or reading thread), and Python then raises
    KeyboardInterrupt in the main thread at once, possibly between starting the child and writing its
    start-up data, and the orphaned child prints "EOFError: Ran out of input". So, on the main thread,
    a Ctrl+C during the start is only noted, and raised again once the child has all it needs."""
    block = getattr(signal, "pthread_sigmask", None)
    if block is None:   # Windows: no process-group SIGINT to keep out
        proc.start()
        return
    # multiprocessing's resource tracker unblocks SIGINT after starting itself: start it first, outside.
    from multiprocessing import resource_tracker
    resource_tracker.ensure_running()
    noted: list[int] = []
    main = threading.current_thread() is threading.main_thread()
    handler = signal.signal(signal.SIGINT, lambda signum, _frame: noted.append(signum)) if main else None
    previous = block(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        proc.start()
    finally:
        block(signal.SIG_SETMASK, previous)
        if main:
            signal.signal(signal.SIGINT, handler if handler is not None else signal.SIG_DFL)
            if noted:
                signal.raise_signal(signal.SIGINT)   # now handled as it would have been
