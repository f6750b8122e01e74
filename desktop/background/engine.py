"""The model's thread: the Runtime, and the Chat service over its own Store, built by the home.

It runs loads, token counts (latest wins) and whole generations; the Chat's
KnowledgeBase loads its embedding model into the same worker process, and only
when a conversation uses a collection. Events come back as queued signals.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from engine import CancelToken, Chat, ModelInfo, Runtime, parse_remote_path
from engine.home import Engine, Home

from desktop.background.jobs import Callback, JobThread

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelWanted:
    """Which model a conversation needs loaded, and with what context size."""

    path: str
    n_ctx: int | None

    def is_loaded(self, info: ModelInfo | None) -> bool:
        """Whether ``info`` is this model at this context size (None: any size) already. A remote model
        runs at most at its server's context: asking for more is what is loaded already."""
        if info is None:
            return False
        if parse_remote_path(self.path) is not None:
            return info.path == self.path and (self.n_ctx in (None, info.n_ctx)
                                               or self.n_ctx >= info.n_ctx_train == info.n_ctx)
        return info.path == str(Path(self.path).expanduser().resolve()) and self.n_ctx in (None, info.n_ctx)


@dataclass(frozen=True)
class StreamEvent:
    """One event of generation ``gen_id`` (a chat event, or Loading/Loaded)."""

    gen_id: int
    event: object


@dataclass(frozen=True)
class ReplySettings:
    """A conversation's settings as the panel shows them when a reply is asked for (``model_path``,
    ``system_prompt``, ``sampling``, ``ctx_size``): stored by the generation itself, before it reads them."""

    conversation_id: int
    fields: dict[str, Any]


@dataclass(frozen=True)
class Loading:
    path: str


@dataclass(frozen=True)
class Loaded:
    info: ModelInfo


class EngineThread(JobThread):
    """The model's thread: owns the Runtime, a Store for the Chat service, and the generation."""

    def __init__(self, home: Home, *, runtime: Runtime | None = None,
                 after: threading.Event | None = None) -> None:
        """``after``: wait for it before opening the database (the database thread migrates first).
        The knowledge base's embedding model is the home's (``home.embedder``; None: the default)."""
        self._home = home
        self.home = home   # the wiring point, for the threads the window starts later (knowledge)
        self._after = after
        self.embedder = home.embedder
        self.runtime = runtime or home.runtime()
        self.load_options: dict[str, Any] = {}   # more Runtime.load keywords (Settings: threads, GPU layers)
        self.parts: Engine | None = None
        self.chat: Chat | None = None
        self._budget_lock = threading.Lock()
        self._budget_request: tuple[Callable[[Chat], Any], Callback] | None = None
        super().__init__("hearth-engine")

    def _setup(self) -> None:
        if self._after is not None:
            self._after.wait(30)
        self.parts = self._home.engine(self.runtime)   # imports the knowledge base here, off the GUI start-up
        self.chat = self.parts.chat

    def _teardown(self) -> None:
        if self.parts is not None:
            self.parts.close()
        self.runtime.close()

    def _ensure(self, wanted: ModelWanted | None, notify: Callable[[object], None]) -> ModelInfo | None:
        """Load ``wanted`` unless it is what is loaded already (same file, same context)."""
        info = self.runtime.info
        if wanted is None or wanted.is_loaded(info):
            return info
        notify(Loading(wanted.path))
        info = self.runtime.load(wanted.path, n_ctx=wanted.n_ctx, **self.load_options)
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
                 on_event: Callback, on_done: Callback, on_error: Callback, *,
                 settings: ReplySettings | None = None) -> None:
        """Run ``start(chat, cancel)`` to the end, posting every event as a ``StreamEvent``.
        ``settings`` are stored first, on this thread, so the reply uses them even when the database
        thread's copy of the same edit has not landed yet."""
        def notify(event: object) -> None:
            self.post(on_event, StreamEvent(gen_id, event))

        def work() -> int:
            if cancel.cancelled:
                return gen_id
            self._ensure(wanted, notify)
            assert self.chat is not None
            if settings is not None:
                self.chat.store.update_conversation(settings.conversation_id, **settings.fields)
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
