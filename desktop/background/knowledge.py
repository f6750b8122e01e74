"""The knowledge base's thread: collections, indexing runs and test searches, off the GUI thread.

``KnowledgeThread`` builds its engine objects from a ``Home`` on its own
thread: a ``Store`` (its own SQLite connection), a ``Runtime`` (its own
worker process, for embeddings), a ``KnowledgeBase`` and the engine's
``RunQueue`` (``engine.knowledge.runs``), which holds the policy: one run at
a time, resume at start, pause, cancel, failures, re-runs. This class only
interleaves short jobs (list, create, search…) with the queue's steps, so a
search or a rename never waits for a whole run, and turns the queue's
callbacks into the signals of ``events``. A ``FolderWatcher`` re-indexes a
collection when its folders change.
"""
from __future__ import annotations

import dataclasses
import logging
import queue
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from PySide6.QtCore import QObject, Signal

from engine import Runtime
from engine.home import Home, open_home

from desktop.background.folder_watch import FolderWatcher, watched_folders
from desktop.background.jobs import Callback, JobThread

if TYPE_CHECKING:  # the knowledge base itself is imported on its thread, keeping the app's start quick
    from engine.knowledge.base import KnowledgeBase
    from engine.knowledge.collections import CollectionStatus
    from engine.knowledge.indexer import IndexProgress
    from engine.knowledge.records import Hit
    from engine.store import Store
    from engine.knowledge.runs import RunQueue
    from engine.models.embedders import EmbedderOption

log = logging.getLogger(__name__)
WATCH_LIMIT = 2000          # folders watched at most; beyond it, a periodic rescan


class KnowledgeEvents(QObject):
    """Lives on the GUI thread; every window that shows collections listens here."""

    statuses = Signal(object)     # list[CollectionStatus], after any change
    progress = Signal(object)     # IndexProgress (state: queued, indexing, paused, cancelled, done)
    failed = Signal(object)       # an exception from a run nobody waits on
    folders = Signal(object)      # dict[collection name, list of folders and files to watch]


class KnowledgeThread(JobThread):
    """Collections and their indexing on one thread with its own database connection and runtime."""

    def __init__(self, home: Home | None = None, *, runtime: Runtime | None = None,
                 after: threading.Event | None = None, watch_limit: int = WATCH_LIMIT,
                 embedder: str | Path | None = None) -> None:
        """``home``: where the database is (default: the current Hearth home); ``embedder``: the
        embedding model instead of the home's; ``after``: wait for it before opening the database
        (the database thread migrates it first)."""
        if home is None:
            home = open_home(embedder=embedder)
        elif embedder is not None:
            home = dataclasses.replace(home, embedder=Path(embedder))
        self.home = home
        self._runtime = runtime
        self._own_runtime = runtime is None
        self._after = after
        self.kb: KnowledgeBase | None = None
        self.runs: RunQueue | None = None
        self.events = KnowledgeEvents()
        self.latest: dict[str, IndexProgress] = {}       # GUI thread: the last progress of each collection
        self.last_statuses: list[CollectionStatus] = []  # GUI thread
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
        from engine.knowledge.runs import RunQueue
        self._runtime = self._runtime or self.home.runtime()
        self.kb = self.home.knowledge(self.home.store(), self._runtime)
        self.runs = RunQueue(self.kb, on_progress=lambda p: self.post(self.events.progress.emit, p),
                             on_change=self._post_statuses, on_finish=lambda _name: self._post_folders(),
                             on_error=lambda exc: self.post(self.events.failed.emit, exc),
                             wake=lambda: self._jobs.put(_wake))
        self.runs.resume_interrupted()
        self._post_statuses()
        self._post_folders()

    def _teardown(self) -> None:
        if self.kb is not None:
            self.kb.close()
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
            self._teardown()
            return
        runs = self.runs
        assert runs is not None
        try:
            while True:
                try:
                    job = self._jobs.get(block=not runs.busy)
                except queue.Empty:
                    runs.step()   # one batch of the current run, between short jobs
                    continue
                if job is None:
                    break
                job()
        finally:
            try:
                runs.close()  # the current and waiting runs resume the next time the app starts
            finally:
                self._teardown()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current batch; a run not finished resumes the next time the app starts."""
        if self.runs is not None:
            self.runs.interrupt()
        self.watcher.stop()
        super().stop(timeout)

    # --- posting back ------------------------------------------------------------------------------
    def _post_statuses(self) -> None:
        assert self.kb is not None
        try:
            self.post(self.events.statuses.emit, [self.kb.status(c.name) for c in self.kb.collections()])
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

    def _do(self, work: Callable[[RunQueue], Any], on_result: Callback | None, on_error: Callback | None,
            *, refresh: bool = False) -> None:
        """Run ``work(runs)`` on the thread, between batches; ``refresh``: post statuses and folders after."""
        def job() -> Any:
            assert self.runs is not None
            try:
                return work(self.runs)
            finally:
                if refresh:
                    self._post_statuses()
                    self._post_folders()
        self._submit(job, on_result, on_error)

    def _now(self, act: Callable[[RunQueue], None]) -> None:
        """Flags act at once (not behind queued jobs); before the thread has started, they wait for it."""
        runs = self.runs
        if runs is not None:
            act(runs)
        else:
            self._jobs.put(lambda: act(self.runs))  # type: ignore[arg-type]

    # --- the API, called on the GUI thread ------------------------------------------------------------
    def refresh(self) -> None:
        """Post every collection's status (``events.statuses``)."""
        self._jobs.put(self._post_statuses)

    def read(self, work: Callable[["Store"], Any], on_result: Callback | None, on_error: Callback | None) -> None:
        """Run ``work(store)`` on the thread with its own store (a connection belongs to one thread)."""
        self._do(lambda runs: work(runs.kb.store), on_result, on_error)

    def create(self, name: str, on_result: Callback | None = None, on_error: Callback | None = None) -> None:
        self._do(lambda runs: runs.kb.create(name), on_result, on_error, refresh=True)

    def rename(self, name: str, new_name: str, on_result: Callback | None = None,
               on_error: Callback | None = None) -> None:
        self._do(lambda runs: runs.rename(name, new_name), on_result, on_error, refresh=True)

    def delete(self, name: str, on_result: Callback | None = None, on_error: Callback | None = None) -> None:
        """Forget the collection and its index; the user's files are not touched."""
        self._do(lambda runs: runs.delete(name), on_result, on_error, refresh=True)

    def add(self, name: str, sources: Iterable[str | Path], on_result: Callback | None = None,
            on_error: Callback | None = None, *, create: bool = False) -> None:
        """Add folders and files (creating the collection first when ``create``), then index."""
        items = [str(p) for p in sources]
        self._do(lambda runs: runs.add(name, items, create=create), on_result, on_error, refresh=True)

    def remove_source(self, name: str, source: str, on_result: Callback | None = None,
                      on_error: Callback | None = None) -> None:
        """Stop indexing a folder or file; its files leave the index (the files stay on disk)."""
        self._do(lambda runs: runs.remove_source(name, source), on_result, on_error, refresh=True)

    def index(self, name: str, *, quiet: bool = False) -> None:
        """Scan and index ``name`` (also: resume a paused run). ``quiet``: a check by the watcher."""
        self._now(lambda runs: runs.request(name, quiet=quiet))

    def pause(self, name: str) -> None:
        """Pause now (between batches); the queued files stay in the database until Resume."""
        self._now(lambda runs: runs.pause(name))

    def cancel(self, name: str) -> None:
        """Stop indexing ``name``; files not reached yet stay waiting for the next index."""
        self._now(lambda runs: runs.cancel(name))

    def retry_failed(self, name: str, on_result: Callback | None = None, on_error: Callback | None = None) -> None:
        self._do(lambda runs: runs.retry_failed(name), on_result, on_error)

    def embedders(self, on_result: Callable[[tuple[list[EmbedderOption], str | None]], None],
                  on_error: Callback | None = None) -> None:
        """The embedding models a collection can use (installed ones, then the catalog's to download), and
        the default one (the model of collections that name none)."""
        self._do(lambda runs: (runs.kb.embedder_options(), runs.kb.default_embedder()),
                 on_result, on_error)  # type: ignore[arg-type]

    def set_embedder(self, name: str, model: str, on_result: Callable[[int], None] | None = None,
                     on_error: Callback | None = None) -> None:
        """Give ``name`` another embedding model and re-embed it; ``on_result`` gets the chunks to re-embed.
        A run in progress stops first (its batches are the old model's) and the new run starts over."""
        def switch(runs: RunQueue) -> int:
            running = runs.hold(name, "pause")
            try:
                redo = runs.kb.set_embedder(name, model)
            except Exception:
                if running:
                    runs.request(name)   # the old model stays: its run goes on
                raise
            runs.request(name)
            return redo
        self._do(switch, on_result, on_error, refresh=True)  # type: ignore[arg-type]

    def search(self, name: str, query: str, k: int, on_result: Callable[[list[Hit]], None],
               on_error: Callback | None = None, *, mode: str | None = None) -> None:
        """The ``k`` best passages of ``name`` for ``query``; ``mode``: one of ``retrieval.MODES`` (None: default)."""
        self._do(lambda runs: runs.kb.search([name], query, k=k, mode=mode),
                 on_result, on_error)  # type: ignore[arg-type]


def _wake() -> None:
    """An empty job: wakes the thread so it looks at the run queue."""
