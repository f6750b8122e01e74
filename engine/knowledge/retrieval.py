"""Hybrid retrieval: vector top-k fused with keyword top-k by reciprocal rank.

``Retriever`` keeps each collection's vectors in memory (``VectorIndex``)
and brings them up to date before every search by reading only what
changed: chunks with a higher id than it has seen, and the removal log
(``kb_chunk_removals``). A change of embedding model bumps the collection's
``vectors_version``, which reloads it. One Retriever per thread, like its
connection.
"""
from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from engine.knowledge import collections as library
from engine.knowledge.fusion import rrf
from engine.knowledge.keyword import keyword_search
from engine.knowledge.records import Hit
from engine.knowledge.vectors import VectorIndex

CANDIDATES = 50

EmbedQuery = Callable[[str], np.ndarray]


@dataclass
class _Loaded:
    index: VectorIndex
    version: int
    last_chunk: int = 0
    last_removal: int = 0


class Retriever:
    """Searches collections; ``embed_query`` turns the question into a normalised vector."""

    def __init__(self, conn: sqlite3.Connection, embed_query: EmbedQuery | None) -> None:
        self.conn = conn
        self.embed_query = embed_query
        self._loaded: dict[int, _Loaded] = {}
        self._scanner: ThreadPoolExecutor | None = None  # vector scans overlap the keyword query (numpy frees the GIL)

    def close(self) -> None:
        if self._scanner is not None:
            self._scanner.shutdown(wait=False)
            self._scanner = None

    def refresh(self, coll: library.Collection) -> VectorIndex | None:
        """The collection's index, brought up to date incrementally (None before anything is embedded)."""
        if not coll.embed_dim:
            return None
        have = self._loaded.get(coll.id)
        if have is None or have.version != coll.vectors_version or have.index.dim != coll.embed_dim:
            # Read the removal log's end first, so removals made while loading are applied next time.
            last_removal = self.conn.execute("SELECT coalesce(max(seq), 0) FROM kb_chunk_removals").fetchone()[0]
            have = _Loaded(VectorIndex(coll.embed_dim), coll.vectors_version, last_removal=last_removal)
            self._loaded[coll.id] = have
        rows = self.conn.execute(
            "SELECT id, embedding FROM kb_chunks WHERE collection_id = ? AND id > ? AND embedding IS NOT NULL "
            "ORDER BY id", (coll.id, have.last_chunk)).fetchall()
        removed = self.conn.execute(
            "SELECT seq, chunk_id FROM kb_chunk_removals WHERE collection_id = ? AND seq > ? ORDER BY seq",
            (coll.id, have.last_removal)).fetchall()
        if removed:
            have.index.remove(np.fromiter((r[1] for r in removed), np.int64, len(removed)))
            have.last_removal = removed[-1][0]
        if rows:
            have.last_chunk = rows[-1][0]
            width = coll.embed_dim * 4
            rows = [r for r in rows if len(r[1]) == width]  # a vector of another size cannot be compared
            ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
            vectors = np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(len(rows), coll.embed_dim)
            have.index.add(ids, vectors)
        return have.index

    def search(self, collections: Sequence[library.Collection], query: str, *, k: int = 6,
               candidates: int = CANDIDATES, embed_model: str | None = None) -> list[Hit]:
        """The ``k`` best chunks for ``query`` across ``collections``, best first, with their scores.

        Vectors are compared only in collections embedded by ``embed_model`` (the query's model);
        the others are searched by keyword until they are re-indexed.
        """
        if not collections or not query.strip():
            return []
        indexes: list[VectorIndex] = []
        q = np.zeros(0, np.float32)
        if self.embed_query is not None and any(c.embed_dim for c in collections):
            q = np.asarray(self.embed_query(query), dtype=np.float32).reshape(-1)
            for coll in collections:
                if embed_model is not None and coll.embed_model != embed_model:
                    continue
                index = self.refresh(coll)  # reads the database: this thread
                if index is not None and len(index) and index.dim == q.shape[0]:
                    indexes.append(index)

        def scan() -> list[tuple[int, float]]:
            ranked: list[tuple[int, float]] = []
            for index in indexes:
                ids, scores = index.search(q, candidates)
                ranked += zip(ids.tolist(), scores.tolist())
            ranked.sort(key=lambda pair: -pair[1])
            return ranked[:candidates]

        if self._scanner is None:
            self._scanner = ThreadPoolExecutor(1, thread_name_prefix="hearth-vectors")
        scanning = self._scanner.submit(scan)
        keyword_ranked = keyword_search(self.conn, [c.id for c in collections], query, candidates)
        vector_ranked = scanning.result()
        fused = rrf([[i for i, _ in vector_ranked], [i for i, _ in keyword_ranked]])[:k]
        vec = {cid: (rank, score) for rank, (cid, score) in enumerate(vector_ranked, 1)}
        kw = {cid: (rank, score) for rank, (cid, score) in enumerate(keyword_ranked, 1)}
        names = {c.id: c.name for c in collections}
        return self._hits(fused, vec, kw, names)

    def _hits(self, fused: list[tuple[int, float]], vec: dict[int, tuple[int, float]],
              kw: dict[int, tuple[int, float]], names: dict[int, str]) -> list[Hit]:
        if not fused:
            return []
        marks = ",".join("?" * len(fused))
        rows = {r["id"]: r for r in self.conn.execute(
            f"SELECT c.id, c.collection_id, c.text, c.heading, c.page, c.line_start, c.line_end, f.path "
            f"FROM kb_chunks c JOIN kb_files f ON f.id = c.file_id WHERE c.id IN ({marks})",
            [cid for cid, _ in fused])}
        hits = []
        for cid, score in fused:
            row = rows.get(cid)
            if row is None:  # removed since it was ranked
                continue
            v, w = vec.get(cid), kw.get(cid)
            hits.append(Hit(chunk_id=cid, collection=names.get(row["collection_id"], ""), path=row["path"],
                            text=row["text"], line_start=row["line_start"], line_end=row["line_end"],
                            page=row["page"], heading=row["heading"], score=score,
                            vector_score=v[1] if v else None, vector_rank=v[0] if v else None,
                            keyword_score=w[1] if w else None, keyword_rank=w[0] if w else None))
        return hits

