"""A second look at the best fused candidates: the lexical evidence the first stage misses.

Reciprocal-rank fusion (``fusion``) knows only ranks. A passage found by the
vectors alone, or ranked by bm25 for one rare word, can sit above the one
that holds the question's words together. This stage reads the terms of the
top ``RERANK_DEPTH`` fused candidates (from the terms index, ``terms``) and
scores four things, each between 0 and 1 and weighted by each query term's
idf, so that a rare word counts more than a common one:

- coverage: the share of the question's distinct terms the chunk holds;
- window: the share held by the best window of ``window_size`` consecutive
  terms of the chunk (the words of the answer stand together);
- phrase: the share of the question's neighbouring term pairs that are
  neighbours in the chunk too (a Chinese word of three characters or more,
  "source code");
- title: the share in the file's name and document title.

They are added to a prior from the fused rank, ``(RANK_K + 1) / (RANK_K + rank)``
(1 for the first), so the fused order still counts: it decides between passages
whose words say the same, and equal scores keep it. The weights are named
constants chosen on the tune split of ``hearth bench kb-quality``
(``engine.bench.kb_quality``), which also reports what this stage costs: a
millisecond or two for 30 candidates, pure Python.
"""
from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from typing import Mapping, Sequence

from engine.knowledge.terms import TERMS_TABLE, chunk_terms, has_terms, title_terms
from engine.store.search import fts_query

RERANK_DEPTH = 30       # fused candidates looked at again
MAX_TERMS = 24          # query terms used, as keyword search does
COMMON_DF = 2000        # chunks counted per term at most: past it a term's idf is low anyway
# Chosen on the tune split (73 questions, all-MiniLM-L6-v2) by a grid over these and the fusion's constants.
# The best region was broad (RANK_K 15–60, window 0.6–1.5, phrase and title 1–1.5 within a question or two
# of each other at recall@5) and this sits in it. A flat prior (RANK_K 30: the 30th gets half what the
# first gets) under strong lexical evidence did best.
RANK_K = 30             # the fused-rank prior: (RANK_K + 1) / (RANK_K + rank)
W_RANK = 1.0            # weights of the prior and of each feature
W_COVERAGE = 0.3
W_WINDOW = 0.6
W_PHRASE = 1.5
W_TITLE = 1.5
MIN_WINDOW = 8          # the window is twice the question's terms, within these bounds
MAX_WINDOW = 32

FEATURES = ("coverage", "window", "phrase", "title")


@dataclass(frozen=True)
class Candidate:
    """A fused candidate as the reranker sees it: its terms in order, and its file's title terms."""

    chunk_id: int
    terms: Sequence[str]
    title: Sequence[str] = ()


@dataclass(frozen=True)
class Scored:
    """A candidate's rerank score and what it is made of (``prior`` and the ``FEATURES``)."""

    chunk_id: int
    score: float
    parts: tuple[tuple[str, float], ...]


def idf(df: int, n_docs: int) -> float:
    """bm25's idf, never negative: a term in every chunk still weighs a little."""
    df = max(0, min(df, n_docs))
    return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


def window_size(n_terms: int) -> int:
    return max(MIN_WINDOW, min(MAX_WINDOW, 2 * n_terms))


def prior(rank: int) -> float:
    """The fused rank's part (1-based rank): 1 for the first, falling slowly."""
    return (RANK_K + 1) / (RANK_K + rank)


def features(query: Sequence[str], weight: Mapping[str, float], cand: Candidate) -> dict[str, float]:
    """The four shares (see the module's docstring) of ``cand`` for the distinct terms ``query``."""
    total = sum(weight[t] for t in query)
    out = dict.fromkeys(FEATURES, 0.0)
    if not query or total <= 0:
        return out
    wanted = {t: i for i, t in enumerate(query)}
    present = {t for t in cand.terms if t in wanted}
    out["coverage"] = sum(weight[t] for t in present) / total
    out["title"] = sum(weight[t] for t in set(cand.title) if t in wanted) / total
    if present:
        out["window"] = _best_window(cand.terms, wanted, query, weight, window_size(len(query))) / total
    pairs = list(zip(query, query[1:]))
    if pairs and len(present) > 1:
        wanted_pairs = set(pairs)
        adjacent = {p for p in zip(cand.terms, cand.terms[1:]) if p in wanted_pairs}
        pair_total = sum(weight[a] + weight[b] for a, b in pairs)
        out["phrase"] = sum(weight[a] + weight[b] for a, b in adjacent) / pair_total
    return out


def _best_window(sequence: Sequence[str], wanted: Mapping[str, int], query: Sequence[str],
                 weight: Mapping[str, float], size: int) -> float:
    """The most query-term weight (each term once) within ``size`` consecutive terms of ``sequence``."""
    hits = [(pos, wanted[t]) for pos, t in enumerate(sequence) if t in wanted]
    counts = [0] * len(query)
    held, best, left = 0.0, 0.0, 0
    for pos, which in hits:
        while hits[left][0] <= pos - size:   # drop what fell out of the window ending here
            old = hits[left][1]
            counts[old] -= 1
            if counts[old] == 0:
                held -= weight[query[old]]
            left += 1
        if counts[which] == 0:
            held += weight[query[which]]
        counts[which] += 1
        best = max(best, held)
    return best


def rerank(query: Sequence[str], candidates: Sequence[Candidate], df: Mapping[str, int],
           n_docs: int) -> list[Scored]:
    """``candidates`` (in fused order, best first) rescored for the question's ``query`` terms, best first.

    ``df``: in how many of ``n_docs`` chunks each term occurs (a term missing from it counts as rare).
    A term it counts in no chunk is left out: it tells the candidates nothing, and counting it would
    only shrink every share and so give the fused order more say (a Chinese question's grams across
    two words, 型稳 in 模型稳定, are such terms)."""
    terms = list(dict.fromkeys(query))[:MAX_TERMS]
    terms = [t for t in terms if df.get(t, 1) > 0] or terms
    n_docs = max(n_docs, 1)
    weight = {t: idf(df.get(t, 0), n_docs) for t in terms}
    scored: list[tuple[float, int, Scored]] = []
    for position, cand in enumerate(candidates):
        parts = {"prior": prior(position + 1), **features(terms, weight, cand)}
        score = (W_RANK * parts["prior"] + W_COVERAGE * parts["coverage"] + W_WINDOW * parts["window"]
                 + W_PHRASE * parts["phrase"] + W_TITLE * parts["title"])
        scored.append((score, position, Scored(cand.chunk_id, score,
                                               tuple((name, round(value, 4)) for name, value in parts.items()))))
    scored.sort(key=lambda entry: (-entry[0], entry[1]))
    return [entry[2] for entry in scored]


# --- reading what it needs from the database ---------------------------------------------------------------
def load_candidates(conn: sqlite3.Connection, rows: Sequence[tuple[int, str, str, str]]) -> list[Candidate]:
    """Candidates for ``(chunk id, text, heading, file path)`` rows, in their order.

    Terms come from the terms index; a chunk it lacks (a database without FTS5) gets them computed."""
    stored: dict[int, tuple[str, str]] = {}
    ids = [row[0] for row in rows]
    if ids and has_terms(conn):
        marks = ",".join("?" * len(ids))
        stored = {int(r[0]): (str(r[1]), str(r[2])) for r in conn.execute(
            f"SELECT rowid, terms, title FROM {TERMS_TABLE} WHERE rowid IN ({marks})", ids)}
    out = []
    for chunk_id, text, heading, path in rows:
        found = stored.get(chunk_id)
        if found is None:
            found = (chunk_terms(heading, text), title_terms(path, [heading]))
        out.append(Candidate(chunk_id, found[0].split(), found[1].split()))
    return out


def doc_frequencies(conn: sqlite3.Connection, query: Sequence[str],
                    candidates: Sequence[Candidate]) -> tuple[dict[str, int], int]:
    """(term → chunks holding it, chunks in all) from the terms index, each count stopped at ``COMMON_DF``.

    Without the index, the candidates themselves are the collection."""
    terms = list(dict.fromkeys(query))[:MAX_TERMS]
    if not has_terms(conn):
        sets = [set(c.terms) | set(c.title) for c in candidates]
        return {t: sum(t in s for s in sets) for t in terms}, len(candidates)
    n_docs = int(conn.execute("SELECT coalesce(max(id), 0) FROM kb_chunks").fetchone()[0])
    counts: dict[str, int] = {}
    for term in terms:
        try:
            counts[term] = int(conn.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {TERMS_TABLE} WHERE {TERMS_TABLE} MATCH ? LIMIT ?)",
                (fts_query([term]), COMMON_DF)).fetchone()[0])
        except sqlite3.OperationalError:   # a term FTS5 refuses: treated as rare, as bm25 never saw it
            counts[term] = 0
    return counts, n_docs
