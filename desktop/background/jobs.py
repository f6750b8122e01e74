"""Job threads: work off the GUI thread, in order, with results back on the GUI thread.

A :class:`JobThread` runs jobs one after another on a thread of its own and
posts each result back as an ordinary queued signal, so callbacks always run
on the GUI thread and nothing blocks the event loop. :class:`WorkThread` runs
plain callables; the database, engine and knowledge threads build on it.
"""
from __future__ import annotations

import logging
import queue
import threading
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal, Slot

from engine import HearthError

log = logging.getLogger(__name__)

Callback = Callable[[Any], None]


class _Relay(QObject):
    """Lives on the GUI thread; signals emitted from a job thread arrive queued."""

    deliver = Signal(object, object)

    def __init__(self) -> None:
        super().__init__()
        self.closed = False   # after stop(): results still queued are dropped, their widgets may be gone
        self.deliver.connect(self._run)

    @Slot(object, object)
    def _run(self, callback: Callback, value: object) -> None:
        if not self.closed:
            callback(value)


class JobThread:
    """A single thread running jobs in submission order."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._relay = _Relay()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def _setup(self) -> None:
        """Runs first, on the job thread."""

    def _teardown(self) -> None:
        """Runs last, on the job thread."""

    def _loop(self) -> None:
        self._setup()
        try:
            while (job := self._jobs.get()) is not None:
                job()
        finally:
            self._teardown()

    def post(self, callback: Callback | None, value: object) -> None:
        """Call ``callback(value)`` on the GUI thread."""
        if callback is not None:
            self._relay.deliver.emit(callback, value)

    def _submit(self, work: Callable[[], Any], on_result: Callback | None, on_error: Callback | None) -> None:
        def job() -> None:
            try:
                result = work()
            except Exception as exc:  # every failure goes back to the GUI thread
                if not isinstance(exc, HearthError):
                    log.error("job failed:\n%s", traceback.format_exc())
                self.post(on_error or _log_only, exc)
            else:
                self.post(on_result, result)
        self._jobs.put(job)

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the queued jobs, then end the thread; no callback runs after this."""
        self._relay.closed = True
        self._jobs.put(None)
        self._thread.join(timeout)

    @property
    def thread(self) -> threading.Thread:
        return self._thread


class WorkThread(JobThread):
    """Plain jobs in order on a thread of their own: ``submit(work, on_result, on_error)``."""

    def submit(self, work: Callable[[], Any], on_result: Callback | None = None,
               on_error: Callback | None = None) -> None:
        self._submit(work, on_result, on_error)


def _log_only(exc: object) -> None:
    log.error("unhandled job error: %s", exc)
