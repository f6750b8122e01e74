"""Guards against known-bad Qt binding releases.

PySide6 6.12.0 drops a reference to ``True`` on every ``Signal.emit()`` (on
Python < 3.12, where True is not immortal): after a few thousand streamed
tokens the interpreter aborts with "bool_dealloc". pyproject.toml excludes
that release; this test fails if an upgrade brings the fault back.
"""
from __future__ import annotations

import sys
import threading

from PySide6.QtCore import QCoreApplication, QObject, Signal


class _Emitter(QObject):
    two = Signal(object, object)


def test_signal_emit_keeps_reference_counts(qapp) -> None:
    emitter = _Emitter()
    received = [0]

    def count(_a: object, _b: object) -> None:
        received[0] += 1
    emitter.two.connect(count)
    before = (sys.getrefcount(True), sys.getrefcount(None))

    def emit_many() -> None:
        for _ in range(500):
            emitter.two.emit(len, None)

    worker = threading.Thread(target=emit_many)
    worker.start()
    worker.join()
    for _ in range(500):
        emitter.two.emit(len, None)
    QCoreApplication.processEvents()
    after = (sys.getrefcount(True), sys.getrefcount(None))
    assert received[0] == 1000
    assert abs(after[0] - before[0]) < 50, f"emit() leaks or drops references to True: {before} -> {after}"
    assert abs(after[1] - before[1]) < 50, f"emit() leaks or drops references to None: {before} -> {after}"
