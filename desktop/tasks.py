"""Work off the GUI thread: one thread for the database, one for the model.

``DbThread`` owns a ``Store`` (a SQLite connection belongs to one thread) and
runs short jobs in order. ``EngineThread`` owns the ``Runtime`` and its own
``Store`` for the ``Chat`` service and its ``KnowledgeBase`` (whose embedding
model loads into the same worker process, and only when a conversation uses
a collection); it runs loads, token counts and whole generations. Both post
results back as ordinary queued signals, so callbacks always run on the GUI
thread; nothing ever blocks the event loop.
"""
from __future__ import annotations

import logging
import queue
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from PySide6.QtCore import QObject, Signal, Slot

from engine import CancelToken, Chat, HearthError, ModelInfo, Runtime, Store

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


class DbThread(JobThread):
    """Database work: ``submit(lambda store: ..., on_result, on_error)``."""

    def __init__(self, database: Path) -> None:
        self._database = database
        self.store: Store | None = None
        self.ready = threading.Event()   # set once the database is open and migrated
        super().__init__("hearth-db")

    def _setup(self) -> None:
        try:
            self.store = Store(self._database)
        finally:
            self.ready.set()

    def _teardown(self) -> None:
        if self.store is not None:
            self.store.close()

    def submit(self, work: Callable[[Store], Any], on_result: Callback | None = None,
               on_error: Callback | None = None) -> None:
        self._submit(lambda: work(self.store), on_result, on_error)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ModelWanted:
    """Which model a conversation needs loaded, and with what context size."""

    path: str
    n_ctx: int | None

    def is_loaded(self, info: ModelInfo | None) -> bool:
        """Whether ``info`` is this model at this context size (None: any size) already."""
        return (info is not None and info.path == str(Path(self.path).expanduser().resolve())
                and self.n_ctx in (None, info.n_ctx))


@dataclass(frozen=True)
class StreamEvent:
    """One event of generation ``gen_id`` (a chat event, or Loading/Loaded)."""

    gen_id: int
    event: object


@dataclass(frozen=True)
class Loading:
    path: str


@dataclass(frozen=True)
class Loaded:
    info: ModelInfo


class EngineThread(JobThread):
    """The model's thread: owns the Runtime, a Store for the Chat service, and the generation."""

    def __init__(self, database: Path, *, runtime: Runtime | None = None,
                 after: threading.Event | None = None, embedder: str | Path | None = None) -> None:
        """``after``: wait for it before opening the database (the database thread migrates first);
        ``embedder``: the embedding model's GGUF (default: the knowledge base's default embedder)."""
        self._database = database
        self._after = after
        self.embedder = embedder
        self.runtime = runtime or Runtime()
        self.chat: Chat | None = None
        self._budget_lock = threading.Lock()
        self._budget_request: tuple[Callable[[Chat], Any], Callback] | None = None
        super().__init__("hearth-engine")

    def _setup(self) -> None:
        if self._after is not None:
            self._after.wait(30)
        from engine.kb.knowledge import KnowledgeBase  # imported here, off the GUI thread's start-up
        store = Store(self._database)
        knowledge = KnowledgeBase(store, self.runtime, embedder=self.embedder)  # type: ignore[arg-type]
        self.chat = Chat(store, self.runtime, knowledge=knowledge)

    def _teardown(self) -> None:
        if self.chat is not None:
            self.chat.store.close()
        self.runtime.close()

    def _ensure(self, wanted: ModelWanted | None, notify: Callable[[object], None]) -> ModelInfo | None:
        """Load ``wanted`` unless it is what is loaded already (same file, same context)."""
        info = self.runtime.info
        if wanted is None or wanted.is_loaded(info):
            return info
        notify(Loading(wanted.path))
        info = self.runtime.load(wanted.path, n_ctx=wanted.n_ctx)
        notify(Loaded(info))
        return info

    def load(self, wanted: ModelWanted, on_result: Callback, on_error: Callback, *, force: bool = False) -> None:
        def work() -> ModelInfo:
            if force:
                self.runtime.unload()
            info = self._ensure(wanted, lambda _event: None)
            assert info is not None
            return info
        self._submit(work, on_result, on_error)

    def generate(self, gen_id: int, wanted: ModelWanted | None,
                 start: Callable[[Chat, CancelToken], Iterator[object]], cancel: CancelToken,
                 on_event: Callback, on_done: Callback, on_error: Callback) -> None:
        """Run ``start(chat, cancel)`` to the end, posting every event as a ``StreamEvent``."""
        def notify(event: object) -> None:
            self.post(on_event, StreamEvent(gen_id, event))

        def work() -> int:
            if cancel.cancelled:
                return gen_id
            self._ensure(wanted, notify)
            assert self.chat is not None
            for event in start(self.chat, cancel):
                notify(event)
            return gen_id

        self._submit(work, on_done, lambda exc: on_error((gen_id, exc)))

    def budget(self, work: Callable[[Chat], Any], on_result: Callback) -> None:
        """Latest-wins: while a count waits its turn, newer requests replace it."""
        with self._budget_lock:
            pending = self._budget_request is not None
            self._budget_request = (work, on_result)
        if pending:
            return

        def job() -> None:
            with self._budget_lock:
                request, self._budget_request = self._budget_request, None
            if request is None or self.chat is None or self.runtime.info is None:
                return
            fn, callback = request
            try:
                self.post(callback, fn(self.chat))
            except Exception as exc:  # noqa: BLE001 - a failed count must never end the engine thread
                log.info("context count failed: %s", exc)
        self._jobs.put(job)

    def unload(self) -> None:
        self._submit(self.runtime.unload, None, None)
