"""The window's database thread: one Store (a SQLite connection belongs to one thread), short jobs in order."""
from __future__ import annotations

import threading
from typing import Any, Callable

from engine import Store
from engine.home import Home

from desktop.background.jobs import Callback, JobThread


class DbThread(JobThread):
    """Database work: ``submit(lambda store: ..., on_result, on_error)``."""

    def __init__(self, home: Home) -> None:
        self._home = home
        self.store: Store | None = None
        self.ready = threading.Event()   # set once the database is open and migrated
        super().__init__("hearth-db")

    def _setup(self) -> None:
        try:
            self.store = self._home.store()
        finally:
            self.ready.set()

    def _teardown(self) -> None:
        if self.store is not None:
            self.store.close()

    def submit(self, work: Callable[[Store], Any], on_result: Callback | None = None,
               on_error: Callback | None = None) -> None:
        self._submit(lambda: work(self.store), on_result, on_error)  # type: ignore[arg-type]
