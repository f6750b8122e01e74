"""The knowledge base's front door: collections, indexing and search in one object.

``KnowledgeBase`` joins the store (one thread's connection), a runtime
whose worker process computes embeddings, and the embedding model chosen
(the starter all-MiniLM-L6-v2 unless another is named). The terminal, the
window and ``Chat`` all go through it.
"""
from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from engine.knowledge import collections as library
from engine.knowledge import scan as _scan
from engine.knowledge.indexer import EmbedderIdentity, Indexer, IndexProgress, adopt_embedder
from engine.knowledge.collections import Collection, CollectionStatus
from engine.knowledge.records import Hit
from engine.knowledge.retrieval import Retriever
from engine.runtime.client import Runtime
from engine.sampling import CancelToken
from engine.store import Store

# (name pattern, document prefix, query prefix, least cosine similarity that counts as relevant)
_PROFILES: list[tuple[re.Pattern[str], str, str, float]] = [
    (re.compile(r"nomic-embed", re.I), "search_document: ", "search_query: ", 0.45),
    (re.compile(r"(^|[^a-z])e5([^a-z]|$)", re.I), "passage: ", "query: ", 0.75),
    (re.compile(r"qwen3-embedding", re.I), "",
     "Instruct: Given a question, retrieve passages that answer it\nQuery: ", 0.35),
    (re.compile(r"bge", re.I), "", "", 0.45),
]
DEFAULT_MIN_SIMILARITY = 0.3


def _profile(name: str) -> tuple[str, str, float]:
    for pattern, doc, query, floor in _PROFILES:
        if pattern.search(name):
            return doc, query, floor
    return "", "", DEFAULT_MIN_SIMILARITY


class KnowledgeBase:
    """Collections of documents in ``store``, embedded through ``runtime`` (its own worker when None)."""

    def __init__(self, store: Store, runtime: Runtime | None = None, *, embedder: str | Path | None = None) -> None:
        self.store = store
        self._own_runtime = runtime is None
        self.runtime = runtime or Runtime()
        self._embedder_path = Path(embedder) if embedder else None
        self._ident: EmbedderIdentity | None = None
        self._query_prefix = ""
        self.min_similarity = DEFAULT_MIN_SIMILARITY
        self._retriever = Retriever(self.conn, self._embed_query)

    @property
    def conn(self):  # type: ignore[no-untyped-def]
        return self.store.db.conn

    def close(self) -> None:
        self._retriever.close()
        if self._own_runtime:
            self.runtime.close()

    # --- collections ------------------------------------------------------------
    def create(self, name: str) -> Collection:
        return library.create(self.conn, name)

    def delete(self, name: str) -> None:
        library.delete(self.conn, name)

    def rename(self, name: str, new_name: str) -> Collection:
        return library.rename(self.conn, name, new_name)

    def collections(self) -> list[Collection]:
        return library.all_collections(self.conn)

    def collection(self, name: str) -> Collection:
        return library.get(self.conn, name)

    def add(self, name: str, paths: Iterable[str | Path]) -> list[str]:
        return library.add_sources(self.conn, name, paths)

    def remove_source(self, name: str, path: str | Path) -> bool:
        return library.remove_source(self.conn, name, path)

    def status(self, name: str) -> CollectionStatus:
        return library.status(self.conn, name)

    def scan(self, name: str) -> _scan.FolderScan:
        return _scan.scan(self.conn, library.get(self.conn, name))

    def retry_failed(self, name: str) -> int:
        return _scan.retry_failed(self.conn, library.get(self.conn, name))

    # --- embeddings ---------------------------------------------------------------
    def embedder(self) -> EmbedderIdentity:
        """The embedding model, loaded in the runtime's worker on first use."""
        if self._ident is None:
            from engine.models.embedders import default_embedder
            path = self._embedder_path or default_embedder()
            info = self.runtime.load_embedder(path)
            doc, query, floor = _profile(f"{info.name} {Path(info.path).name}")
            self._ident = EmbedderIdentity(info.name, info.sha256, info.dim, doc)
            self._query_prefix, self.min_similarity = query, floor
        return self._ident

    def embed(self, texts: list[str]) -> np.ndarray:
        self.embedder()
        return self.runtime.embed(texts)

    def _embed_query(self, text: str) -> np.ndarray:
        self.embedder()
        return self.runtime.embed([self._query_prefix + text])[0]

    # --- indexing -----------------------------------------------------------------
    def index(self, name: str, *, cancel: CancelToken | None = None, pause: threading.Event | None = None,
              rescan: bool = True, **limits: float) -> Iterator[IndexProgress]:
        """Scan the sources (unless ``rescan`` is False), then work through the queue, yielding progress."""
        if rescan:
            self.scan(name)
        ident = self.embedder()
        coll = library.get(self.conn, name)
        adopt_embedder(self.conn, coll, ident)  # changes the model and version only; run() needs the id and name
        indexer = Indexer(self.conn, self.embed, ident, **limits)  # type: ignore[arg-type]
        yield from indexer.run(coll, cancel=cancel, pause=pause)

    # --- search -------------------------------------------------------------------
    def search(self, names: Sequence[str] | Sequence[Collection], query: str, *, k: int = 6) -> list[Hit]:
        # read afresh: a collection passed in may be stale (its vectors' version may have moved on)
        fresh = [library.by_id(self.conn, n.id) if isinstance(n, Collection) else library.get(self.conn, n)
                 for n in names]
        key = self.embedder().key if any(c.embed_dim for c in fresh) else None
        return self._retriever.search(fresh, query, k=k, embed_model=key)

    def relevant(self, hits: Sequence[Hit]) -> list[Hit]:
        """Hits similar enough to the question to count as found (the embedding model's own floor)."""
        return [h for h in hits if h.vector_score is not None and h.vector_score >= self.min_similarity]
