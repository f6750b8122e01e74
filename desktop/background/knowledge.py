"""The knowledge base's thread: collections, indexing runs and test searches, off the GUI thread.

``KnowledgeThread`` owns a ``Store`` (its own SQLite connection), a
``Runtime`` (its own worker process, for embeddings) and a ``KnowledgeBase``.
Short jobs (list, create, search…) run in order; indexing runs one
collection at a time, the others wait their turn. An indexing run is the
engine's generator, stepped one batch at a time between short jobs, so a
search or a rename never waits for a whole run. Pause and cancel are flags
read between batches. Results come back as queued callbacks and as the
signals of ``events``; a ``FolderWatcher`` re-indexes a collection when its
folders change. Collections left "indexing" (the app was killed or quit
mid-way) resume when the thread starts.
"""
from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from PySide6.QtCore import QObject, Signal

from engine import CancelToken, HearthError, Runtime, Store, errors, paths
from engine.knowledge import collections as library

from desktop.background.folder_watch import FolderWatcher
from desktop.background.jobs import Callback, JobThread

if TYPE_CHECKING:  # the knowledge base itself is imported on its thread, keeping the app's start quick
    from engine.knowledge.indexer import IndexProgress
    from engine.knowledge.base import KnowledgeBase
    from engine.knowledge.collections import CollectionStatus
    from engine.knowledge.records import Hit

log = logging.getLogger(__name__)
PROGRESS_INTERVAL_S = 0.1   # at most ~10 progress updates a second reach the window
STATUS_INTERVAL_S = 2.0     # live file and chunk counts while a run goes on
WATCH_LIMIT = 2000          # folders watched at most; beyond it, a periodic rescan


class KnowledgeEvents(QObject):
    """Lives on the GUI thread; every window that shows collections listens here."""

    statuses = Signal(object)     # list[CollectionStatus], after any change
    progress = Signal(object)     # IndexProgress (state: queued, indexing, paused, cancelled, done)
    failed = Signal(object)       # an exception from a run nobody waits on
    folders = Signal(object)      # dict[collection name, list of folders and files to watch]


@dataclass
class _Run:
    name: str
    quiet: bool = False           # started by the watcher: nothing to do when the scan queues nothing
    pause: threading.Event = field(default_factory=threading.Event)
    cancel: CancelToken = field(default_factory=CancelToken)
    steps: Iterator[IndexProgress] | None = None
    collection_id: int | None = None
    held_by_user: bool = False    # paused by the user (not by the app quitting): stays paused


def waiting(name: str, state: str = "queued") -> IndexProgress:
    """A progress with nothing done yet (a run waiting its turn, or one that stopped before starting)."""
    from engine.knowledge.indexer import IndexProgress
    return IndexProgress(name, state, 0, 0, 0, 0, 0, 0, 0.0)


class KnowledgeThread(JobThread):
    """Collections and their indexing on one thread with its own database connection and runtime."""

    def __init__(self, database: Path | None = None, *, embedder: str | Path | None = None,
                 runtime: Runtime | None = None, after: threading.Event | None = None,
                 watch_limit: int = WATCH_LIMIT) -> None:
        """``embedder``: the embedding model (default: the installed one); ``after``: wait for it
        before opening the database (the database thread migrates it first)."""
        self._database = database or paths().database
        self._embedder = embedder
        self._runtime = runtime
        self._own_runtime = runtime is None
        self._after = after
        self.kb: KnowledgeBase | None = None
        self.events = KnowledgeEvents()
        self.latest: dict[str, IndexProgress] = {}           # GUI thread: the last progress of each collection
        self.last_statuses: list[CollectionStatus] = []  # GUI thread
        self._lock = threading.Lock()
        self._active: _Run | None = None
        self._queue: deque[_Run] = deque()
        self._again: set[str] = set()   # asked to index while running: one more run after this one
        self._quitting = threading.Event()
        self._last_post = 0.0
        self._last_status = 0.0
        self.events.progress.connect(self._remember)
        self.events.statuses.connect(self._remember_statuses)
        self._watch_limit = watch_limit
        self.watcher = FolderWatcher(limit=watch_limit)
        self.events.folders.connect(self.watcher.set_folders)
        self.watcher.changed.connect(lambda name: self.index(name, quiet=True))
        super().__init__("hearth-knowledge")

    # --- the thread ---------------------------------------------------------------------------
    def _setup(self) -> None:
        if self._after is not None:
            self._after.wait(30)
        from engine.knowledge.base import KnowledgeBase
        runtime = self._runtime or Runtime(log_path=paths().runtime_log, cache_dir=paths().cache)
        self._runtime = runtime
        self.kb = KnowledgeBase(Store(self._database), runtime, embedder=self._embedder)
        for coll in self.kb.collections():
            if coll.state == "indexing":  # the app stopped in the middle: go on where it was
                self._enqueue(_Run(coll.name))
        self._post_statuses()
        self._post_folders()

    def _teardown(self) -> None:
        if self.kb is not None:
            self.kb.store.close()
        if self._own_runtime and self._runtime is not None:
            self._runtime.close()

    def _loop(self) -> None:
        try:
            self._setup()
        except Exception as exc:  # no database, no knowledge base: say so, and still answer stop()
            log.exception("the knowledge thread could not start")
            self.post(self.events.failed.emit, exc)
            while self._jobs.get() is not None:
                pass
            return
        try:
            while True:
                with self._lock:
                    busy = self._active is not None or bool(self._queue)
                try:
                    job = self._jobs.get(block=not busy)
                except queue.Empty:
                    self._safe_step()
                    continue
                if job is None:
                    break
                job()
        finally:
            self._leave()
            self._teardown()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current batch; a run not finished resumes the next time the app starts."""
        self._quitting.set()
        with self._lock:
            if self._active is not None:
                self._active.pause.set()
        self.watcher.stop()
        super().stop(timeout)

    def _leave(self) -> None:
        """Runs on quit: the current run stops between batches; it and the waiting ones stay 'indexing'."""
        if self.kb is None:
            return
        with self._lock:
            runs = ([self._active] if self._active else []) + list(self._queue)
            self._queue.clear()
        for run in runs:
            try:
                if run.steps is not None:
                    run.pause.set()
                    for _ in run.steps:
                        pass
                if not run.held_by_user and (run.steps is not None or not run.quiet):
                    library.set_state(self.kb.conn, self.kb.collection(run.name).id, "indexing")
            except Exception:
                log.exception("could not leave %s ready to resume", run.name)
        with self._lock:
            self._active = None

    # --- indexing runs, one at a time --------------------------------------------------------------
    def _enqueue(self, run: _Run) -> None:
        """On any thread: queue ``run`` unless its collection is already waiting or running."""
        with self._lock:
            if self._active is not None and self._active.name == run.name:
                self._again.add(run.name)
                return
            for queued in self._queue:
                if queued.name == run.name:
                    queued.quiet = queued.quiet and run.quiet
                    return
            self._queue.append(run)
            behind = self._active is not None or len(self._queue) > 1
        self._jobs.put(_wake)  # the thread may be asleep waiting for a job
        if behind and not run.quiet:
            self.post(self.events.progress.emit, waiting(run.name))

    def _safe_step(self) -> None:
        try:
            self._step()
        except Exception as exc:  # a bug must not end the thread: drop the run, say so
            log.exception("indexing step failed")
            with self._lock:
                self._active = None
            self.post(self.events.failed.emit, exc)

    def _step(self) -> None:
        """Start the next run or take one more step of the current one."""
        assert self.kb is not None
        with self._lock:
            run = self._active
            if run is None:
                if not self._queue:
                    return
                run = self._active = self._queue.popleft()
        try:
            if run.steps is None:
                if not self._start(run):
                    self._finish(run, None)
                    return
            assert run.steps is not None
            progress = next(run.steps, None)
        except Exception as exc:
            if run.quiet and isinstance(exc, errors.CollectionNotFound):
                self._finish(run, None)  # the watcher asked for a collection deleted meanwhile
            else:
                self._failed(run, exc)
            return
        if progress is None:
            self._finish(run, None)
            return
        now = time.monotonic()
        final = progress.state != "indexing"
        if final or now - self._last_post >= PROGRESS_INTERVAL_S:
            self._last_post = now
            self.post(self.events.progress.emit, progress)
        if final:
            self._finish(run, progress)
        elif now - self._last_status >= STATUS_INTERVAL_S:
            self._last_status = now
            self._post_statuses()

    def _start(self, run: _Run) -> bool:
        """Scan, then begin indexing; False when a watcher's run finds nothing to do."""
        assert self.kb is not None
        coll = self.kb.collection(run.name)
        run.collection_id = coll.id
        if run.pause.is_set() or run.cancel.cancelled:
            return False
        found = self.kb.scan(run.name)
        if run.quiet and (found.queued == 0 or coll.state == "paused"):  # the user's pause holds
            if coll.state != "paused" and coll.state != "idle":
                library.set_state(self.kb.conn, coll.id, "idle")
            if found.removed or found.skipped or found.queued:
                self._post_statuses()
            return False
        self._last_post = 0.0
        run.steps = self.kb.index(run.name, cancel=run.cancel, pause=run.pause, rescan=False)
        return True

    def _finish(self, run: _Run, last: IndexProgress | None) -> None:
        if self._quitting.is_set() and not run.held_by_user and last is not None and last.state == "paused":
            assert self.kb is not None and run.collection_id is not None
            library.set_state(self.kb.conn, run.collection_id, "indexing")  # stopped by the quit: resume at start
            with self._lock:
                self._active = None
            return
        with self._lock:
            self._active = None
            again = run.name in self._again and (last is None or last.state == "done")
            self._again.discard(run.name)
        if last is None and not run.quiet:
            state = "cancelled" if run.cancel.cancelled else "paused" if run.pause.is_set() else "done"
            self.post(self.events.progress.emit, waiting(run.name, state))
        if again and not self._quitting.is_set():
            self._enqueue(_Run(run.name, quiet=True))
        self._post_statuses()
        self._post_folders()

    def _failed(self, run: _Run, exc: Exception) -> None:
        """A run that raised stops 'paused', so it is not retried at every start; the error is shown."""
        if not isinstance(exc, HearthError):
            log.exception("indexing %s failed", run.name)
        assert self.kb is not None
        if run.collection_id is not None:
            try:
                library.set_state(self.kb.conn, run.collection_id, "paused")
            except Exception:
                log.exception("could not mark %s paused", run.name)
        self.post(self.events.progress.emit, waiting(run.name, "paused"))
        self.post(self.events.failed.emit, exc)
        with self._lock:
            self._active = None
            self._again.discard(run.name)
        self._post_statuses()

    def _hold(self, name: str, how: str) -> bool:
        """On the thread: stop ``name``'s run now (``how``: pause or cancel); True if one was running or waiting."""
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
            self.post(self.events.progress.emit, last)
        return True

    # --- posting back ------------------------------------------------------------------------------
    def _statuses(self) -> list[CollectionStatus]:
        assert self.kb is not None
        return [self.kb.status(c.name) for c in self.kb.collections()]

    def _post_statuses(self) -> None:
        try:
            self.post(self.events.statuses.emit, self._statuses())
        except Exception as exc:
            self.post(self.events.failed.emit, exc)

    def _post_folders(self) -> None:
        assert self.kb is not None
        try:
            folders = {c.name: list(watched_folders(c.sources, self._watch_limit + 1)) for c in self.kb.collections()}
        except Exception:
            log.exception("could not list the folders to watch")
            return
        self.post(self.events.folders.emit, folders)

    def _remember(self, progress: IndexProgress) -> None:
        self.latest[progress.collection] = progress

    def _remember_statuses(self, statuses: list[CollectionStatus]) -> None:
        self.last_statuses = statuses
        names = {s.collection.name for s in statuses}
        for gone in set(self.latest) - names:
            del self.latest[gone]

    def _do(self, work: Callable[[KnowledgeBase], Any], on_result: Callback | None, on_error: Callback | None,
            *, refresh: bool = False) -> None:
        def job() -> Any:
            assert self.kb is not None
            try:
                return work(self.kb)
            finally:
                if refresh:
                    self._post_statuses()
                    self._post_folders()
        self._submit(job, on_result, on_error)

    # --- the API, called on the GUI thread ------------------------------------------------------------
    def refresh(self) -> None:
        """Post every collection's status (``events.statuses``)."""
        self._jobs.put(self._post_statuses)

    def create(self, name: str, on_result: Callback | None = None, on_error: Callback | None = None) -> None:
        self._do(lambda kb: kb.create(name), on_result, on_error, refresh=True)

    def rename(self, name: str, new_name: str, on_result: Callback | None = None,
               on_error: Callback | None = None) -> None:
        def work(kb: KnowledgeBase) -> Any:
            running = self._hold(name, "pause")
            try:
                coll = kb.rename(name, new_name)
            except Exception:
                if running:
                    self._enqueue(_Run(name))
                raise
            if running:
                self._enqueue(_Run(coll.name))
            return coll
        self._do(work, on_result, on_error, refresh=True)

    def delete(self, name: str, on_result: Callback | None = None, on_error: Callback | None = None) -> None:
        """Forget the collection and its index; the user's files are not touched."""
        def work(kb: KnowledgeBase) -> None:
            self._hold(name, "cancel")
            kb.delete(name)
        self._do(work, on_result, on_error, refresh=True)

    def add(self, name: str, sources: Iterable[str | Path], on_result: Callback | None = None,
            on_error: Callback | None = None, *, create: bool = False) -> None:
        """Add folders and files (creating the collection first when ``create``), then index."""
        items = [str(p) for p in sources]

        def work(kb: KnowledgeBase) -> list[str]:
            if create and not _exists(kb, name):
                kb.create(name)
            added = kb.add(name, items)
            self._enqueue(_Run(kb.collection(name).name))
            return added
        self._do(work, on_result, on_error, refresh=True)

    def remove_source(self, name: str, source: str, on_result: Callback | None = None,
                      on_error: Callback | None = None) -> None:
        """Stop indexing a folder or file; its files leave the index (the files stay on disk)."""
        def work(kb: KnowledgeBase) -> bool:
            running = self._hold(name, "pause")
            removed = kb.remove_source(name, source)
            self._enqueue(_Run(name, quiet=not running))  # the scan drops the removed files
            return removed
        self._do(work, on_result, on_error, refresh=True)

    def index(self, name: str, *, quiet: bool = False) -> None:
        """Scan and index ``name`` (also: resume a paused run). ``quiet``: a check by the watcher."""
        self._enqueue(_Run(name, quiet=quiet))

    def pause(self, name: str) -> None:
        """Pause now (between batches); the queued files stay in the database until Resume."""
        with self._lock:
            if self._active is not None and self._active.name == name:
                self._active.held_by_user = True
                self._active.pause.set()
                return
            queued = [r for r in self._queue if r.name == name]
            self._queue = deque(r for r in self._queue if r.name != name)
        if queued:
            self._do(lambda kb: library.set_state(kb.conn, kb.collection(name).id, "paused"),
                     lambda _r: self.events.progress.emit(waiting(name, "paused")), None, refresh=True)

    def cancel(self, name: str) -> None:
        """Stop indexing ``name``; files not reached yet stay waiting for the next index."""
        with self._lock:
            if self._active is not None and self._active.name == name:
                self._active.cancel.cancel()
                return
            self._queue = deque(r for r in self._queue if r.name != name)
        self._do(lambda kb: library.set_state(kb.conn, kb.collection(name).id, "idle"),
                 lambda _r: self.events.progress.emit(waiting(name, "cancelled")), None, refresh=True)

    def retry_failed(self, name: str, on_result: Callback | None = None, on_error: Callback | None = None) -> None:
        def work(kb: KnowledgeBase) -> int:
            count = kb.retry_failed(name)
            self._enqueue(_Run(name))
            return count
        self._do(work, on_result, on_error)

    def search(self, name: str, query: str, k: int, on_result: Callable[[list[Hit]], None],
               on_error: Callback | None = None) -> None:
        self._do(lambda kb: kb.search([name], query, k=k), on_result, on_error)  # type: ignore[arg-type]


def _wake() -> None:
    """An empty job: wakes the thread so it looks at the run queue."""


def _exists(kb: KnowledgeBase, name: str) -> bool:
    return any(c.name == " ".join(name.split()) for c in kb.collections())


def watched_folders(sources: Iterable[str], limit: int) -> Iterator[str]:
    """The sources and the folders under them that indexing visits (at most ``limit``)."""
    from engine.knowledge.scan import SKIPPED_DIRS
    count = 0
    for source in sources:
        stack = [source]
        while stack and count < limit:
            folder = stack.pop()
            count += 1
            yield folder
            if not os.path.isdir(folder):
                continue
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                continue
            stack.extend(e.path for e in reversed(entries)
                         if not e.name.startswith(".") and e.name not in SKIPPED_DIRS and _is_dir(e))


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False
