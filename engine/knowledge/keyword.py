"""Keyword search over the knowledge base: the FTS5 trigram index of kb_chunks.

The trigram tokenizer matches any substring of three or more characters in
any script, so Chinese needs no word segmenter: a run of Han characters
becomes its overlapping three-character windows ("保证条款" → "保证条",
"证条款"). English questions lose their stopwords and a light plural or
"-ing" ending ("warranties" → "warrant", which still matches "warranty").
Every term is quoted as an FTS5 string and the terms are joined with OR, so
bm25 ranks chunks by how many (and how rare) terms they hold, and nothing
the user types is parsed as an operator.

Common terms are the cost: bm25 scores every chunk that matches any term,
and counts each term's chunks over the whole index, so one word found in a
tenth of a million chunks makes a question take a second. Each term's
chunks are therefore counted first, up to ``COMMON_DF``: terms reaching it
are left out of the MATCH (they say little: bm25's idf for them is low) and
only lift, by a factor, the candidates that contain them. When every term
is that common, the chunks holding all of them are taken (at most
``k × SCAN_CANDIDATES``, no bm25) and scored by their term counts.

Two-character Chinese words cannot be searched through trigrams; they also
only lift the candidates that contain them or, when a question has nothing
else, are searched with a bounded ``LIKE`` scan. Without the FTS table
(SQLite older than 3.34) the whole search is such a scan.
"""
from __future__ import annotations

import logging
import math
import re
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Sequence

from engine.store.search import fts_query, like_pattern

log = logging.getLogger(__name__)

FTS_TABLE = "kb_chunks_fts"
TRIGRAM = 3
MAX_TERMS = 24                # FTS terms kept from one question
COMMON_DF = 1000              # a term in at least this many chunks is "common" (see above)
RERANK_CANDIDATES = 4         # with lifting terms, rerank k × this many bm25 candidates
SCAN_CANDIDATES = 10          # when all terms are common: score k × this many chunks holding all
LIFT = 0.5                    # a candidate with every lifting term scores (1 + LIFT) × its bm25
LIKE_TERMS = 4                # the longest terms searched by LIKE
LIKE_BUDGET_S = 0.25          # a LIKE scan stops after this long with what it found
LIKE_CANDIDATES = 20          # a LIKE scan looks at up to k × this many matching chunks
TEXT_WEIGHT, HEADING_WEIGHT = 1.0, 0.5

_CJK = (
    "\u3040-\u30ff"               # hiragana, katakana
    "\u3400-\u4dbf\u4e00-\u9fff"  # Han
    "\uf900-\ufaff"               # Han compatibility
    "\uac00-\ud7af"               # Hangul syllables
    "\U00020000-\U0002fa1f"       # Han extensions
)
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+(?:[-.][^\W_{_CJK}]+)*")
_CJK_RUN = re.compile(rf"[{_CJK}]+")

STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are aren as at be because been
    before being below between both but by can cannot could couldn did didn do does doesn
    doing don down during each either else ever every few for from further get gets got had
    hadn has hasn have haven having he her here hers herself him himself his how however i if
    in into is isn it its itself just let lets like may me might more most must mustn my
    myself neither no nor not now of off on once only or other ought our ours ourselves out
    over own per please said same say says shall shan she should shouldn so some such tell than that the
    their theirs them themselves then there these they this those though through thus to too
    under until up upon us very via was wasn we were weren what whats when where whether which
    while who whom whose why will with within without won would wouldn yes yet you your yours
    yourself yourselves
    """.split()
)
# Chinese question words (windows touching them are dropped) and particles
# (dropped from a second set of windows, so "合同的期限是多久" also finds "合同期限").
_CJK_QUESTION = ("为什么", "是什么", "什么", "怎么样", "怎么", "怎样", "如何", "哪些", "哪个", "哪里",
                 "多少", "多久", "请问", "是否", "吗", "呢", "吧", "啊")
_CJK_PARTICLES = ("的", "了", "是", "和", "与", "及", "或", "在")


@dataclass
class QueryTerms:
    """What a question is searched for: FTS5 strings, and 2-character CJK words for LIKE."""

    fts: list[str] = field(default_factory=list)
    pairs: list[str] = field(default_factory=list)


def stem(word: str) -> str:
    """Strip a plural or "-ing"/"-ed" ending when at least five characters remain."""
    for suffix in ("ies", "es", "s", "ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 5:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return word[: -len(suffix)]
    return word


def windows(run: str, size: int = TRIGRAM) -> list[str]:
    """Overlapping ``size``-character windows of ``run`` (the run itself when shorter)."""
    if len(run) <= size:
        return [run]
    return [run[i:i + size] for i in range(len(run) - size + 1)]


def cjk_terms(run: str) -> tuple[list[str], list[str]]:
    """Trigram windows and 2-character words of a run of CJK characters."""
    masked = [False] * len(run)
    for word in _CJK_QUESTION:
        start = run.find(word)
        while start >= 0:
            masked[start:start + len(word)] = [True] * len(word)
            start = run.find(word, start + 1)
    grams = [w for i, w in enumerate(windows(run)) if len(w) == TRIGRAM and not any(masked[i:i + TRIGRAM])]
    kept = "".join(ch if not hit else " " for ch, hit in zip(run, masked))
    for particle in _CJK_PARTICLES:
        kept = kept.replace(particle, " ")
    parts = kept.split()
    joined = "".join(parts)
    if len(joined) >= TRIGRAM and joined != run:
        grams += windows(joined)
    pairs = [part for part in parts if len(part) == 2]
    if len(run) == 2 and not any(masked):
        pairs.append(run)
    return grams, pairs


def query_terms(text: str) -> QueryTerms:
    """The terms of a natural-language question, in order, without repeats."""
    terms: dict[str, None] = {}
    pairs: dict[str, None] = {}
    for token in _TOKEN.findall(text.replace("\x00", " ").lower()):
        if _CJK_RUN.fullmatch(token):
            grams, twos = cjk_terms(token)
            terms.update(dict.fromkeys(grams))
            pairs.update(dict.fromkeys(twos))
            continue
        if token in STOPWORDS:
            continue
        if "-" not in token and "." not in token:
            token = stem(token)
        if len(token) >= TRIGRAM:
            terms.setdefault(token)
    return QueryTerms(fts=list(terms)[:MAX_TERMS], pairs=list(pairs))


def quote(term: str) -> str:
    """``term`` as an FTS5 string: searched for literally, never parsed."""
    return fts_query([term])


def keyword_query(text: str) -> str | None:
    """An FTS5 MATCH expression for a question (English, Chinese or both); None when nothing usable."""
    terms = query_terms(text).fts
    return " OR ".join(quote(term) for term in terms) if terms else None


def keyword_search(
    conn: sqlite3.Connection, collection_ids: Sequence[int], text: str, k: int
) -> list[tuple[int, float]]:
    """``(chunk_id, score)`` of the chunks of these collections that best match ``text``, best first.

    The score is lower-is-better: FTS5's bm25 (negative; text weighted over
    heading), lifted for the common terms and 2-character words a chunk
    also holds; or, when no term is rare enough for bm25 (or without FTS5),
    minus a count of the terms found. Never raises for odd input: an
    unusable question, or one SQLite refuses, finds nothing.
    """
    collections = sorted({int(c) for c in collection_ids})
    if k <= 0 or not collections:
        return []
    terms = query_terms(text)
    if not terms.fts and not terms.pairs:
        return []
    try:
        if not terms.fts or not has_fts(conn):
            return _search_like(conn, collections, terms.fts + terms.pairs, k)
        scope = None if _covers_all(conn, collections) else collections
        rare = [term for term in terms.fts if _count(conn, term, COMMON_DF) < COMMON_DF]
        common = [term for term in terms.fts if term not in rare]
        if rare:
            return _search_bm25(conn, scope, rare, common + terms.pairs, k)
        return _search_all_of(conn, scope, common, terms.pairs, k)
    except sqlite3.OperationalError as exc:
        log.warning("Keyword search for %r failed: %s", text[:80], exc)
        return []


def has_fts(conn: sqlite3.Connection) -> bool:
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (FTS_TABLE,)
    ).fetchone() is not None


def _in(values: Sequence[int]) -> str:
    return ",".join("?" * len(values))


def _covers_all(conn: sqlite3.Connection, collections: list[int]) -> bool:
    """Whether no other collection has chunks (then results need no collection filter)."""
    others = conn.execute(
        f"SELECT id FROM kb_collections WHERE id NOT IN ({_in(collections)})", collections
    ).fetchall()
    return not any(
        conn.execute("SELECT 1 FROM kb_chunks WHERE collection_id = ? LIMIT 1", (row[0],)).fetchone()
        for row in others
    )


def _count(conn: sqlite3.Connection, term: str, cap: int) -> int:
    """How many chunks hold ``term``, counting no further than ``cap``."""
    row = conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? LIMIT ?)",
        (quote(term), cap),
    ).fetchone()
    return int(row[0])


def _matching(scope: list[int] | None) -> tuple[str, list[int]]:
    """FROM and WHERE for FTS rows, joined to kb_chunks only when collections must be filtered.

    CROSS JOIN keeps the FTS table outside: otherwise SQLite may walk the
    collection's chunks and run the MATCH once per chunk.
    """
    if scope is None:
        return f"{FTS_TABLE} WHERE {FTS_TABLE} MATCH ?", []
    return (
        f"{FTS_TABLE} CROSS JOIN kb_chunks c ON c.id = {FTS_TABLE}.rowid "
        f"WHERE {FTS_TABLE} MATCH ? AND c.collection_id IN ({_in(scope)})",
        scope,
    )


def _texts(conn: sqlite3.Connection, ids: list[int]) -> dict[int, tuple[str, str]]:
    rows = conn.execute(f"SELECT id, text, heading FROM kb_chunks WHERE id IN ({_in(ids)})", ids)
    return {int(row[0]): (row[1].lower(), row[2].lower()) for row in rows}


def _search_bm25(
    conn: sqlite3.Connection, scope: list[int] | None, terms: list[str], lifting: list[str], k: int
) -> list[tuple[int, float]]:
    source, params = _matching(scope)
    sql = f"""
        SELECT {FTS_TABLE}.rowid, bm25({FTS_TABLE}, {TEXT_WEIGHT}, {HEADING_WEIGHT}) AS score
        FROM {source} ORDER BY score, {FTS_TABLE}.rowid LIMIT ?
    """
    limit = k * RERANK_CANDIDATES if lifting else k
    match = " OR ".join(quote(term) for term in terms)
    hits = [(int(row[0]), float(row[1])) for row in conn.execute(sql, [match, *params, limit])]
    if not lifting or not hits:
        return hits[:k]
    texts = _texts(conn, [chunk_id for chunk_id, _ in hits])
    lifted = []
    for chunk_id, score in hits:
        body, heading = texts.get(chunk_id, ("", ""))
        found = sum(term in body or term in heading for term in lifting)
        lifted.append((chunk_id, score * (1.0 + LIFT * found / len(lifting))))
    lifted.sort(key=lambda hit: (hit[1], hit[0]))
    return lifted[:k]


def _search_all_of(
    conn: sqlite3.Connection, scope: list[int] | None, terms: list[str], pairs: list[str], k: int
) -> list[tuple[int, float]]:
    """Every term is common: chunks holding all of them (or, failing that, any), scored by counts."""
    source, params = _matching(scope)
    sql = f"SELECT {FTS_TABLE}.rowid FROM {source} LIMIT ?"
    ids: list[int] = []
    for joiner in (" AND ", " OR "):
        match = joiner.join(quote(term) for term in terms)
        ids = [int(row[0]) for row in conn.execute(sql, [match, *params, k * SCAN_CANDIDATES])]
        if ids or len(terms) == 1:
            break
    if not ids:
        return []
    texts = _texts(conn, ids)
    hits = [(chunk_id, _count_score(*texts.get(chunk_id, ("", "")), terms + pairs)) for chunk_id in ids]
    hits.sort(key=lambda hit: (hit[1], hit[0]))
    return hits[:k]


def _count_score(body: str, heading: str, terms: Sequence[str]) -> float:
    """Minus the terms' weight in a chunk (lowercase text): 1 + log(count) each, plus a little for the heading."""
    score = 0.0
    for term in terms:
        count = body.count(term)
        if count:
            score += TEXT_WEIGHT * (1.0 + math.log(count))
        if term in heading:
            score += HEADING_WEIGHT
    return -score


def _search_like(
    conn: sqlite3.Connection, collections: list[int], terms: list[str], k: int
) -> list[tuple[int, float]]:
    """A bounded scan: the longest terms, at most ``k × LIKE_CANDIDATES`` chunks, ``LIKE_BUDGET_S`` seconds."""
    chosen = sorted(terms, key=len, reverse=True)[:LIKE_TERMS]
    if not chosen:
        return []
    where = " OR ".join(["c.text LIKE ? ESCAPE '\\'"] * len(chosen))
    sql = f"""
        SELECT c.id, c.text, c.heading FROM kb_chunks c
        WHERE c.collection_id IN ({_in(collections)}) AND ({where})
        LIMIT ?
    """
    params = [*collections, *(like_pattern(t) for t in chosen), k * LIKE_CANDIDATES]
    deadline = time.monotonic() + LIKE_BUDGET_S
    rows: list[tuple[int, str, str]] = []
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        cursor = conn.execute(sql, params)
        while batch := cursor.fetchmany(256):
            rows.extend((int(r[0]), r[1], r[2]) for r in batch)
    except sqlite3.OperationalError as exc:
        if "interrupt" not in str(exc).lower():
            raise
        log.info("Keyword scan stopped after %.2f s with %d chunks", LIKE_BUDGET_S, len(rows))
    finally:
        conn.set_progress_handler(None, 0)
    hits = [(chunk_id, _count_score(body.lower(), heading.lower(), chosen)) for chunk_id, body, heading in rows]
    hits.sort(key=lambda hit: (hit[1], hit[0]))
    return hits[:k]
