"""One wiring point: the engine objects for a Hearth home, built the same way for every client.

The window's threads, the terminal commands, the self-test (and a local API
later) all get their :class:`~engine.store.Store`, :class:`~engine.runtime.client.Runtime`,
:class:`~engine.knowledge.base.KnowledgeBase` and :class:`~engine.chat.service.Chat`
from a :class:`Home`, so they cannot drift apart: a chat always answers from
the collections its conversation uses, whoever sends the message.

A SQLite connection belongs to one thread, so a ``Home`` is a factory, not a
holder: each thread asks for its own store (``home.store()``) or its own
:class:`Engine` (``home.engine()``), and closes what it opened.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from engine.paths import Paths, paths

if TYPE_CHECKING:
    from engine.chat.service import Chat
    from engine.knowledge.base import KnowledgeBase
    from engine.remote.backend import Backend
    from engine.remote.router import Runtimes
    from engine.runtime.client import Runtime
    from engine.store import Store


@dataclass
class Engine:
    """The engine objects one thread uses: a store (this thread's connection), the runtime, the
    knowledge base over both, and the chat service over all three."""

    store: "Store"
    runtime: "Runtime"
    knowledge: "KnowledgeBase"
    chat: "Chat"
    _owns_runtime: bool = field(default=True, repr=False)

    def close(self) -> None:
        """Close the knowledge base, the store and (when this engine started it) the runtime."""
        self.knowledge.close()
        self.store.close()
        if self._owns_runtime:
            self.runtime.close()

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class Home:
    """A Hearth home folder (``HEARTH_HOME`` or the platform's data folder) and how to open it."""

    paths: Paths
    embedder: Path | None = None   # the knowledge base's embedding model (None: the default embedder)

    @property
    def root(self) -> Path:
        return self.paths.home

    def store(self) -> "Store":
        """A new connection to the home's database, for the calling thread (migrated on open)."""
        from engine.store import Store
        return Store(self.paths.database)

    def runtime(self) -> "Runtimes":
        """A new runtime (its llama.cpp worker starts on first use) logging into the home, which also
        answers through the home's remote backends when a ``remote://backend/model`` is loaded."""
        from engine.remote.router import Runtimes
        from engine.runtime.client import Runtime
        return Runtimes(Runtime(log_path=self.paths.runtime_log, cache_dir=self.paths.cache), self.backends)

    def backends(self) -> "list[Backend]":
        """The home's remote backends, in failover order, keys filled in from the keychain."""
        from engine.remote.backends import Backends
        with self.store() as store:
            return Backends(store).list()

    def knowledge(self, store: "Store", runtime: "Runtime") -> "KnowledgeBase":
        from engine.knowledge.base import KnowledgeBase
        return KnowledgeBase(store, runtime, embedder=self.embedder)

    def chat(self, store: "Store", runtime: "Runtime") -> "Chat":
        """The chat service, always with the knowledge base (a conversation's collections are honoured)."""
        from engine.chat.service import Chat
        return Chat(store, runtime, knowledge=self.knowledge(store, runtime))

    def engine(self, runtime: "Runtime | None" = None) -> Engine:
        """Everything a thread needs to chat: its own store, ``runtime`` (a new one when None), the
        knowledge base and the chat service. Close it (or use ``with``) when the thread ends."""
        store = self.store()
        own = runtime is None
        rt = runtime if runtime is not None else self.runtime()
        chat = self.chat(store, rt)
        assert chat.knowledge is not None
        return Engine(store, rt, chat.knowledge, chat, own)


def open_home(root: str | Path | None = None, *, embedder: str | Path | None = None) -> Home:
    """The home at ``root``, or the current one (``HEARTH_HOME`` or the platform's data folder)."""
    home_paths = Paths(Path(root).expanduser().resolve()).ensure() if root is not None else paths()
    return Home(home_paths, Path(embedder) if embedder else None)
