"""The indexing run queue: which collection runs next, and what pause, cancel, quit and failure leave.

A :class:`RunQueue` runs one collection at a time over a ``KnowledgeBase``
on the thread that calls :meth:`RunQueue.step` (the one owning the
knowledge base's store); a step is one batch of the indexing generator, so a
client can do short jobs between steps. Policy: collections left ``indexing``
(app killed or quit mid-way) resume at start; asking for a collection that
waits does nothing, asking while it runs means exactly one more (quiet) run;
pause and cancel are flags read between batches, and stopping a collection
that only waits records ``paused`` / ``idle``; a run that raises stops
``paused`` (not retried at every start); files that failed are queued again
by :meth:`retry_failed`; quitting leaves the current and waiting runs
``indexing`` unless the user paused them. Callbacks: ``on_progress``
(throttled ``indexing`` updates, every other state), ``on_change`` (counts
moved), ``on_finish`` (a run ended), ``on_error``, and ``wake`` (the owner
thread has something new to do). Methods under "any thread" may call
``on_progress`` on the caller's thread.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from engine import errors
from engine.knowledge import collections as library
from engine.knowledge.indexer import IndexProgress
from engine.sampling import CancelToken

if TYPE_CHECKING:
    from engine.knowledge.base import KnowledgeBase
    from engine.knowledge.collections import Collection

log = logging.getLogger(__name__)
PROGRESS_INTERVAL_S = 0.1   # at most ~10 progress updates a second
STATUS_INTERVAL_S = 2.0     # live file and chunk counts while a run goes on


def waiting(name: str, state: str = "queued") -> IndexProgress:
    """A progress with nothing done yet (a run waiting its turn, or one that stopped before starting)."""
    return IndexProgress(name, state, 0, 0, 0, 0, 0, 0, 0.0)


def _ignore(*_args: object) -> None:
    pass


@dataclass
class _Run:
    name: str
    quiet: bool = False           # a check (a folder watcher's): nothing to say when the scan queues nothing
    pause: threading.Event = field(default_factory=threading.Event)
    cancel: CancelToken = field(default_factory=CancelToken)
    steps: Iterator[IndexProgress] | None = None
    collection_id: int | None = None
    held_by_user: bool = False    # paused by the user (not by the app quitting): stays paused


class RunQueue:
    """Indexing runs over ``kb``, one collection at a time, stepped by the thread that owns ``kb``."""

    def __init__(self, kb: KnowledgeBase, *, on_progress: Callable[[IndexProgress], None] = _ignore,
                 on_change: Callable[[], None] = _ignore, on_finish: Callable[[str], None] = _ignore,
                 on_error: Callable[[Exception], None] = _ignore, wake: Callable[[], None] = _ignore,
                 progress_interval: float = PROGRESS_INTERVAL_S, status_interval: float = STATUS_INTERVAL_S) -> None:
        self.kb = kb
        self._on_progress, self._on_change, self._on_finish = on_progress, on_change, on_finish
        self._on_error, self._wake = on_error, wake
        self._progress_interval, self._status_interval = progress_interval, status_interval
        self._lock = threading.Lock()
        self._active: _Run | None = None
        self._queue: deque[_Run] = deque()
        self._again: set[str] = set()        # asked to index while running: one more run after this one
        self._settle: dict[str, str] = {}    # stopped while waiting: the state to record (paused or idle)
        self._quitting = threading.Event()
        self._last_post = self._last_status = 0.0

    # --- any thread ------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """Whether :meth:`step` has something to do."""
        with self._lock:
            return self._active is not None or bool(self._settle) or (bool(self._queue) and not self._quitting.is_set())

    def running(self) -> str | None:
        """The collection indexing now, if any."""
        with self._lock:
            return self._active.name if self._active is not None else None

    def queued(self) -> list[str]:
        """The collections waiting their turn, in order."""
        with self._lock:
            return [r.name for r in self._queue]

    def request(self, name: str, *, quiet: bool = False) -> None:
        """Scan and index ``name`` (also: resume it after a pause) once its turn comes."""
        with self._lock:
            if self._active is not None and self._active.name == name:
                self._again.add(name)
                return
            for queued in self._queue:
                if queued.name == name:
                    queued.quiet = queued.quiet and quiet
                    return
            self._settle.pop(name, None)
            self._queue.append(_Run(name, quiet=quiet))
            behind = self._active is not None or len(self._queue) > 1
        self._wake()
        if behind and not quiet:
            self._on_progress(waiting(name))

    def pause(self, name: str) -> None:
        """Pause ``name`` between batches; its queued files stay in the database until it is asked again."""
        with self._lock:
            if self._active is not None and self._active.name == name:
                self._active.held_by_user = True
                self._active.pause.set()
                return
            if not any(r.name == name for r in self._queue):
                return
            self._queue = deque(r for r in self._queue if r.name != name)
            self._settle[name] = "paused"
        self._wake()

    def cancel(self, name: str) -> None:
        """Stop indexing ``name``; files not reached yet are dropped from the queue until the next scan."""
        with self._lock:
            if self._active is not None and self._active.name == name:
                self._active.cancel.cancel()
                return
            self._queue = deque(r for r in self._queue if r.name != name)
            self._settle[name] = "cancelled"
        self._wake()

    def interrupt(self) -> None:
        """The app quits: the current run stops after its batch and no other starts; :meth:`close` follows."""
        self._quitting.set()
        with self._lock:
            if self._active is not None:
                self._active.pause.set()

    # --- the owner thread -----------------------------------------------------------------------
    def resume_interrupted(self) -> list[str]:
        """Queue the collections a killed or quitting app left ``indexing``; returns their names."""
        names = [c.name for c in self.kb.collections() if c.state == "indexing"]
        for name in names:
            self.request(name)
        return names

    def step(self) -> bool:
        """Record stops, start the next run or take one more batch of the current one; True while busy."""
        try:
            self._settle_stopped()
            self._step()
        except Exception as exc:  # a bug must not end the caller's loop: drop the run, say so
            log.exception("indexing step failed")
            with self._lock:
                self._active = None
            self._on_error(exc)
        return self.busy

    def until_idle(self) -> None:
        """Step until nothing runs or waits (a terminal's loop; the window interleaves its own jobs)."""
        while self.step():
            pass

    def hold(self, name: str, how: str = "pause") -> bool:
        """Stop ``name``'s run now (``how``: pause or cancel); True if one was running or waiting."""
        with self._lock:
            run = self._active if self._active is not None and self._active.name == name else None
            queued = any(r.name == name for r in self._queue)
            self._queue = deque(r for r in self._queue if r.name != name)
            self._again.discard(name)
        if run is None:
            return queued
        (run.pause.set if how == "pause" else run.cancel.cancel)()
        last = None
        for last in run.steps or ():
            pass
        with self._lock:
            self._active = None
        if last is not None:
            self._on_progress(last)
        return True

    def add(self, name: str, sources: Iterable[str | Path], *, create: bool = False) -> list[str]:
        """Add folders and files (creating the collection first when ``create``), then queue a run."""
        if create and not any(c.name == " ".join(name.split()) for c in self.kb.collections()):
            self.kb.create(name)
        added = self.kb.add(name, sources)
        self.request(self.kb.collection(name).name)
        return added

    def rename(self, name: str, new_name: str) -> Collection:
        """Rename; a run in progress pauses for it and goes on under the new name."""
        running = self.hold(name, "pause")
        try:
            coll = self.kb.rename(name, new_name)
        except Exception:
            if running:
                self.request(name)
            raise
        if running:
            self.request(coll.name)
        return coll

    def delete(self, name: str) -> None:
        """Cancel any run, then forget the collection and its index (the user's files stay)."""
        self.hold(name, "cancel")
        self.kb.delete(name)

    def remove_source(self, name: str, source: str | Path) -> bool:
        """Stop indexing a folder or file; the next scan drops its files from the index."""
        running = self.hold(name, "pause")
        removed = self.kb.remove_source(name, source)
        self.request(name, quiet=not running)
        return removed

    def retry_failed(self, name: str) -> int:
        """Queue the files that failed again, and a run for them; returns how many."""
        count = self.kb.retry_failed(name)
        self.request(name)
        return count

    def close(self) -> None:
        """Quit: stop the current run; it and the waiting ones stay ``indexing`` to resume at the next start."""
        self.interrupt()
        self._settle_stopped()
        with self._lock:
            runs = ([self._active] if self._active else []) + list(self._queue)
            self._queue.clear()
        for run in runs:
            try:
                last = None
                if run.steps is not None:
                    run.pause.set()
                    for last in run.steps:
                        pass
                finished = last is not None and last.state != "paused"
                if not run.held_by_user and not finished and (run.steps is not None or not run.quiet):
                    library.set_state(self.kb.conn, self.kb.collection(run.name).id, "indexing")
            except Exception:
                log.exception("could not leave %s ready to resume", run.name)
        with self._lock:
            self._active = None

    # --- inside ---------------------------------------------------------------------------------
    def _settle_stopped(self) -> None:
        with self._lock:
            stopped, self._settle = self._settle, {}
        for name, state in stopped.items():
            try:
                coll = self.kb.collection(name)
            except errors.CollectionNotFound:
                continue
            library.set_state(self.kb.conn, coll.id, "paused" if state == "paused" else "idle")
            self._on_progress(waiting(name, state))
            self._on_change()

    def _step(self) -> None:
        with self._lock:
            run = self._active
            if run is None:
                if not self._queue or self._quitting.is_set():
                    return
                run = self._active = self._queue.popleft()
        try:
            if run.steps is None and not self._start(run):
                self._finish(run, None)
                return
            assert run.steps is not None
            progress = next(run.steps, None)
        except Exception as exc:
            if run.quiet and isinstance(exc, errors.CollectionNotFound):
                self._finish(run, None)  # a check for a collection deleted meanwhile
            else:
                self._failed(run, exc)
            return
        if progress is None:
            self._finish(run, None)
            return
        now = time.monotonic()
        final = progress.state != "indexing"
        if final or now - self._last_post >= self._progress_interval:
            self._last_post = now
            self._on_progress(progress)
        if final:
            self._finish(run, progress)
        elif now - self._last_status >= self._status_interval:
            self._last_status = now
            self._on_change()

    def _start(self, run: _Run) -> bool:
        """Scan, then begin indexing; False when a quiet run finds nothing to do (or the user's pause holds)."""
        coll = self.kb.collection(run.name)
        run.collection_id = coll.id
        if run.pause.is_set() or run.cancel.cancelled:
            return False
        found = self.kb.scan(run.name)
        if run.quiet and (found.queued == 0 or coll.state == "paused"):
            if coll.state not in ("paused", "idle"):
                library.set_state(self.kb.conn, coll.id, "idle")
            if found.removed or found.skipped or found.queued:
                self._on_change()
            return False
        self._last_post = 0.0
        run.steps = self.kb.index(run.name, cancel=run.cancel, pause=run.pause, rescan=False)
        return True

    def _finish(self, run: _Run, last: IndexProgress | None) -> None:
        if self._quitting.is_set() and not run.held_by_user and last is not None and last.state == "paused":
            assert run.collection_id is not None
            library.set_state(self.kb.conn, run.collection_id, "indexing")  # stopped by the quit: resume at start
            with self._lock:
                self._active = None
            return
        with self._lock:
            self._active = None
            again = run.name in self._again and (last is None or last.state == "done")
            self._again.discard(run.name)
        if last is None and not run.quiet:
            self._on_progress(waiting(run.name, "cancelled" if run.cancel.cancelled
                                      else "paused" if run.pause.is_set() else "done"))
        if again and not self._quitting.is_set():
            self.request(run.name, quiet=True)
        self._on_change()
        self._on_finish(run.name)

    def _failed(self, run: _Run, exc: Exception) -> None:
        """A run that raised stops 'paused', so it is not retried at every start; the error goes on."""
        if not isinstance(exc, errors.HearthError):
            log.exception("indexing %s failed", run.name)
        if run.collection_id is not None:
            try:
                library.set_state(self.kb.conn, run.collection_id, "paused")
            except Exception:
                log.exception("could not mark %s paused", run.name)
        with self._lock:
            self._active = None
            self._again.discard(run.name)
        self._on_progress(waiting(run.name, "paused"))
        self._on_error(exc)
        self._on_change()
