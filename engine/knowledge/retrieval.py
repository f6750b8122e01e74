"""Hybrid retrieval: vector top-k fused with keyword top-k by reciprocal rank, then reranked.

``Retriever`` keeps each collection's vectors in memory (``VectorIndex``)
and brings them up to date before every search by reading only what
changed: chunks with a higher id than it has seen, and the removal log
(``kb_chunk_removals``). A change of embedding model bumps the collection's
``vectors_version``, which reloads it. One Retriever per thread, like its
connection.

A search runs in one of ``MODES``: ``keyword`` or ``vectors`` alone, both
fused (``hybrid``), or the fused top ``rerank.RERANK_DEPTH`` looked at again
for the question's words (``hybrid+rerank``, see ``rerank``). The default,
the fusion's constants and the list weights were chosen on the tune split
of ``hearth bench kb-quality``.
"""
from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

from engine.knowledge import collections as library
from engine.knowledge import normalize, rerank
from engine.knowledge.fusion import RRF_K, rrf
from engine.knowledge.keyword import keyword_search
from engine.knowledge.records import Hit
from engine.knowledge.vectors import VectorIndex
from engine.models.embedders import ENGLISH, languages_of

CANDIDATES = 50               # from each of the vector and keyword searches
MODES = ("hybrid+rerank", "hybrid", "keyword", "vectors")
DEFAULT_MODE = "hybrid+rerank"
# Each list's weight in the fusion, chosen on the tune split with all-MiniLM-L6-v2 (the default embedder):
# vectors weigh as much as keywords when the model knows the question's language (English questions:
# recall@5 0.83 at 0.3, 0.89 at 1.0), and 0.3 when an English-only model is asked in Chinese (Chinese
# questions: 0.2–0.5 did best; 0 lost a question at rank 1 in six).
VECTOR_WEIGHT = 1.0
FOREIGN_VECTOR_WEIGHT = 0.3
KEYWORD_WEIGHT = 1.0
FOREIGN_SHARE = 0.3           # a question this much CJK is foreign to an English-only model

# (embedding model key, question) -> the question's normalised vector by that model, or None when that
# model cannot embed now (then the collections it embedded are searched by keyword only)
EmbedQuery = Callable[[str, str], "np.ndarray | None"]


def vector_weight(model_key: str, query: str) -> float:
    """The weight of a model's vector list for ``query``: lower when an English-only model (by its
    catalog entry or name) is asked a mostly Chinese, Japanese or Korean question it cannot understand."""
    name = model_key.split("@", 1)[0]
    if languages_of(name) == ENGLISH and normalize.cjk_share(query) >= FOREIGN_SHARE:
        return FOREIGN_VECTOR_WEIGHT
    return VECTOR_WEIGHT


@dataclass
class _Loaded:
    index: VectorIndex
    version: int
    last_chunk: int = 0
    last_removal: int = 0


class Retriever:
    """Searches collections; ``embed_query`` turns the question into a normalised vector by a given model."""

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
               candidates: int = CANDIDATES, mode: str = DEFAULT_MODE) -> list[Hit]:
        """The ``k`` best chunks for ``query`` across ``collections``, best first, with their scores.

        ``mode``: one of ``MODES``. Each collection's vectors are compared with the question as
        embedded by that collection's own model (once per model); a collection whose model cannot
        embed it now (``embed_query`` gives None) is searched by keyword only.
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if not collections or not query.strip():
            return []
        groups = self._vector_groups(collections, query) if mode != "keyword" else []

        def scan() -> list[list[tuple[int, float]]]:
            lists = []
            for q, indexes, _ in groups:
                ranked: list[tuple[int, float]] = []
                for index in indexes:
                    ids, scores = index.search(q, candidates)
                    ranked += zip(ids.tolist(), scores.tolist())
                ranked.sort(key=lambda pair: -pair[1])
                lists.append(ranked[:candidates])
            return lists

        scanning = None
        if groups:
            if self._scanner is None:
                self._scanner = ThreadPoolExecutor(1, thread_name_prefix="hearth-vectors")
            scanning = self._scanner.submit(scan)
        keyword_ranked = (keyword_search(self.conn, [c.id for c in collections], query, candidates)
                          if mode != "vectors" else [])
        vector_lists = scanning.result() if scanning is not None else []
        lists = [[i for i, _ in ranked] for ranked in vector_lists]
        weights = [weight for _, _, weight in groups]
        if mode != "vectors":
            lists.append([i for i, _ in keyword_ranked])
            weights.append(KEYWORD_WEIGHT)
        fused = rrf(lists, k=RRF_K, weights=weights)
        vec = {cid: (rank, score) for ranked in vector_lists for rank, (cid, score) in enumerate(ranked, 1)}
        kw = {cid: (rank, score) for rank, (cid, score) in enumerate(keyword_ranked, 1)}
        names = {c.id: c.name for c in collections}
        if mode != "hybrid+rerank":
            return self._hits(fused[:k], vec, kw, names)
        top = fused[:max(k, rerank.RERANK_DEPTH)]
        rows = self._rows([cid for cid, _ in top])
        present = [(cid, score) for cid, score in top if cid in rows]   # a chunk removed since it was ranked
        cands = rerank.load_candidates(self.conn, [(cid, rows[cid]["text"], rows[cid]["heading"], rows[cid]["path"])
                                                   for cid, _ in present])
        terms = normalize.query_terms(query)
        df, n_docs = rerank.doc_frequencies(self.conn, terms, cands)
        fused_score = dict(present)
        out = []
        for scored in rerank.rerank(terms, cands, df, n_docs)[:k]:
            hit = self._hit(rows[scored.chunk_id], fused_score[scored.chunk_id], vec, kw, names)
            out.append(replace(hit, rerank_score=round(scored.score, 6), rerank_parts=scored.parts))
        return out

    def _vector_groups(self, collections: Sequence[library.Collection],
                       query: str) -> list[tuple[np.ndarray, list[VectorIndex], float]]:
        """(the question embedded by a model, the indexes of the collections embedded by it, the weight
        of that model's list in the fusion), per model."""
        if self.embed_query is None:
            return []
        by_model: dict[str, list[library.Collection]] = {}
        for coll in collections:
            if coll.embed_dim and coll.embed_model:
                by_model.setdefault(coll.embed_model, []).append(coll)
        groups = []
        for model, colls in by_model.items():
            embedded = self.embed_query(model, query)
            if embedded is None:   # that model is not the one loaded: keyword only until re-indexed
                continue
            q = np.asarray(embedded, dtype=np.float32).reshape(-1)
            indexes = []
            for coll in colls:
                index = self.refresh(coll)  # reads the database: this thread
                if index is not None and len(index) and index.dim == q.shape[0]:
                    indexes.append(index)
            if indexes:
                groups.append((q, indexes, vector_weight(model, query)))
        return groups

    def _rows(self, ids: list[int]) -> dict[int, sqlite3.Row]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        return {r["id"]: r for r in self.conn.execute(
            f"SELECT c.id, c.collection_id, c.text, c.heading, c.page, c.line_start, c.line_end, f.path "
            f"FROM kb_chunks c JOIN kb_files f ON f.id = c.file_id WHERE c.id IN ({marks})", ids)}

    def _hits(self, fused: list[tuple[int, float]], vec: dict[int, tuple[int, float]],
              kw: dict[int, tuple[int, float]], names: dict[int, str]) -> list[Hit]:
        rows = self._rows([cid for cid, _ in fused])
        return [self._hit(rows[cid], score, vec, kw, names) for cid, score in fused if cid in rows]

    @staticmethod
    def _hit(row: sqlite3.Row, score: float, vec: dict[int, tuple[int, float]], kw: dict[int, tuple[int, float]],
             names: dict[int, str]) -> Hit:
        cid = row["id"]
        v, w = vec.get(cid), kw.get(cid)
        return Hit(chunk_id=cid, collection=names.get(row["collection_id"], ""), path=row["path"],
                   text=row["text"], line_start=row["line_start"], line_end=row["line_end"],
                   page=row["page"], heading=row["heading"], score=score,
                   vector_score=v[1] if v else None, vector_rank=v[0] if v else None,
                   keyword_score=w[1] if w else None, keyword_rank=w[0] if w else None)
