"""A chat template's render with a time limit, enforced without tracing every line.

A timer thread raises an exception into the rendering thread at the deadline
(``PyThreadState_SetAsyncExc``): it lands between bytecodes, so a loop in template code stops, while a
single long C call is stopped by the sandbox's size checks beforehand (and, for a model file's template,
by killing the renderer child). Standard library and :mod:`engine.errors` only: it runs in that child.
"""
from __future__ import annotations

import ctypes
import threading
from typing import Callable

from engine.errors import TemplateTimeout


class _Deadline(BaseException):
    """Raised into the rendering thread at its deadline (a BaseException: no ``except Exception`` eats it)."""


_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)


def call_with_deadline(render: Callable[[], str], timeout_s: float, origin: str) -> str:
    """Call ``render`` in this thread; at ``timeout_s`` a timer raises TemplateTimeout into it (no trace:
    that made rendering ~4x slower). Single C calls are size-checked; a model file's child is also killed."""
    thread, lock, state = threading.get_ident(), threading.Lock(), {"done": False, "fired": False}

    def expire() -> None:
        with lock:
            if not state["done"]:
                state["fired"] = _set_async_exc(thread, _Deadline) > 0

    timer = threading.Timer(timeout_s, expire)
    try:
        try:
            timer.start()
            return render()
        finally:
            timer.cancel()
            with lock:
                state["done"] = True
                if state["fired"]:   # not delivered yet: withdraw it
                    _set_async_exc(thread, ctypes.py_object())
    except _Deadline:
        raise TemplateTimeout(f"The chat template of {origin} took longer than {timeout_s:g} s to render.", path=origin)


__all__ = ["call_with_deadline"]
