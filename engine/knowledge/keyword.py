"""Keyword search over the knowledge base: bm25 over the terms index, with exact strings on the side.

A question becomes its terms (``normalize.query_terms``: Snowball stems
without stopwords, Chinese two-character grams without question words,
traditional folded to simplified), each quoted as an FTS5 string and joined
with OR, so nothing the user types is parsed as an operator; bm25 over
``kb_terms_fts`` (see ``terms``) ranks chunks by how many and how rare the
terms they hold are, a term in the file's name or title weighing
``TITLE_WEIGHT`` times one in the text.

Common terms are the cost: bm25 scores every chunk that matches any term,
and counts each term's chunks over the whole index, so one term found in a
tenth of a million chunks makes a question take a second. Each term's
chunks are therefore counted first, up to ``COMMON_DF``: terms reaching it
are left out of the MATCH (bm25's idf for them is low anyway) and only
lift, by a factor, the candidates that hold them. When every term is that
common, the chunks holding all of them are taken (at most
``k × SCAN_CANDIDATES``, no bm25) and scored by their term counts.

The best ``k × RERANK_CANDIDATES`` are then reranked, reading their stored
terms: lifted for the common terms they hold, for query terms that stand
next to each other in the chunk as in the question (``PROXIMITY``: a
Chinese word of three or more characters, "GPL version 2"), and for exact
strings. An exact string is a code-like token of the question (``Q4_K_M``,
``CVE-2024-3094``, ``sha256``, ``GPL-3.0``) or a quoted phrase: it is
looked up in the trigram index of the raw text (``kb_chunks_fts``), which
finds any substring, for at most ``EXACT_BUDGET_S``; chunks holding it gain
the best candidate's score (so they go first), and join the candidates if
bm25 had missed them.

Without FTS5 (some system SQLite builds) the search is a bounded ``LIKE`` scan.
"""
from __future__ import annotations

import contextlib
import logging
import math
import re
import sqlite3
import time
import unicodedata
from typing import Any, Iterable, Iterator, Sequence

from engine.knowledge import normalize
from engine.knowledge.terms import TERMS_TABLE, chunk_terms, has_terms
from engine.store.search import fts_query, like_pattern

log = logging.getLogger(__name__)

FTS_TABLE = TERMS_TABLE
TRIGRAM_TABLE = "kb_chunks_fts"
MAX_TERMS = 24                # terms kept from one question
COMMON_DF = 1000              # a term in at least this many chunks is "common" (see above)
RERANK_CANDIDATES = 4         # rerank k × this many bm25 candidates
SCAN_CANDIDATES = 10          # when all terms are common: score k × this many chunks holding all
TEXT_WEIGHT = 1.0             # bm25 column weights: the chunk's heading and text…
TITLE_WEIGHT = 3.0            # …and its file's name and document title
LIFT = 0.5                    # a candidate with every common term scores (1 + LIFT) × its bm25
PROXIMITY = 0.3               # …with every adjacent pair of the question adjacent in it, (1 + PROXIMITY) ×
EXACT_BOOST = 1.1             # …holding every exact string, plus this × the best score (> 1: ahead of all)
EXACT_STRINGS = 3             # exact strings looked up per question
EXACT_CANDIDATES = 2          # chunks taken per exact string: k × this many
EXACT_BUDGET_S = 0.05         # the trigram lookups stop after this long with what they found
MIN_EXACT = 3                 # the trigram index cannot find shorter strings
LIKE_TERMS = 4                # without FTS5: the longest words searched by LIKE…
LIKE_BUDGET_S = 0.25          # …for at most this long…
LIKE_CANDIDATES = 20          # …looking at up to k × this many matching chunks

# A code-like token: letters and digits joined by punctuation, searched as typed (after NFKC: ＧＰＬ－３ is GPL-3).
_CODE = re.compile(r"[A-Za-z0-9]+(?:[-_./:+#]+[A-Za-z0-9]+)*")
_JOINERS = re.compile(r"[-_./:+#]+")
_QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”|「([^」]+)」|『([^』]+)』')


def quote(term: str) -> str:
    """``term`` as an FTS5 string: searched for literally, never parsed."""
    return fts_query([term])


def exact_strings(text: str) -> list[str]:
    """The question's quoted phrases and code-like tokens (letters with digits, or punctuation inside)."""
    text = unicodedata.normalize("NFKC", text.replace("\x00", " "))
    found: dict[str, None] = {}
    for match in _QUOTED.finditer(text):
        phrase = " ".join(next(group for group in match.groups() if group is not None).split())
        if len(phrase) >= MIN_EXACT:
            found.setdefault(phrase)
    for match in _CODE.finditer(text):
        token = match.group()
        if len(token) >= MIN_EXACT and _code_like(token):
            found.setdefault(token)
    return list(found)[:EXACT_STRINGS]


def _code_like(token: str) -> bool:
    """Letters with digits (sha256, Q4_K_M), digits joined (5.6.1, 2024-05-01), or an identifier or a
    file name (snake_case, README.md); not a hyphenated word (third-party) nor an abbreviation (e.g)."""
    digits = any(ch.isdigit() for ch in token)
    if digits:
        return any(ch.isalpha() for ch in token) or not token.isdigit()
    parts = _JOINERS.split(token)
    return len(parts) > 1 and re.search(r"[_./:+#]", token) is not None and any(len(part) > 1 for part in parts)


def keyword_query(text: str) -> str | None:
    """The FTS5 MATCH expression of a question over the terms index (every term); None when it has none."""
    terms = normalize.query_terms(text)[:MAX_TERMS]
    return " OR ".join(quote(term) for term in terms) if terms else None


def keyword_search(
    conn: sqlite3.Connection, collection_ids: Sequence[int], text: str, k: int
) -> list[tuple[int, float]]:
    """``(chunk_id, score)`` of the chunks of these collections that best match ``text``, best first.

    The score is lower-is-better: FTS5's bm25 (negative), lifted for the
    common terms, adjacent terms and exact strings a chunk holds; or, when
    no term is rare enough for bm25, minus a count of the terms found.
    Never raises for odd input: an unusable question, or one SQLite
    refuses, finds nothing.
    """
    collections = sorted({int(c) for c in collection_ids})
    if k <= 0 or not collections:
        return []
    try:
        terms = normalize.query_terms(text)[:MAX_TERMS]
        exact = exact_strings(text)
        if not terms and not exact:
            return []
        if not has_terms(conn):
            return _search_like(conn, collections, text, k)
        scope = None if _covers_all(conn, collections) else collections
        counts = {term: _count(conn, term, COMMON_DF) for term in terms}
        rare = [term for term in terms if 0 < counts[term] < COMMON_DF]
        common = [term for term in terms if counts[term] >= COMMON_DF]
        if rare:
            hits = _search_bm25(conn, scope, rare, k * RERANK_CANDIDATES)
        elif common:
            hits = _search_all_of(conn, scope, common, k)
        else:
            hits = []
        found = _search_exact(conn, scope, exact, k * EXACT_CANDIDATES) if exact else {}
        return _rerank(conn, hits, terms, common, found, len(exact), k)
    except (sqlite3.Error, ValueError) as exc:
        log.warning("Keyword search for %r failed: %s", text[:80], exc)
        return []


def explain(conn: sqlite3.Connection, chunk_id: int, text: str) -> dict[str, Any]:
    """Why a chunk matches ``text``: the question's terms it holds, where they are, its exact strings.

    ``text_spans``/``heading_spans`` are (start, end) ranges of the chunk's original text and heading to
    highlight (its terms, and its exact strings whole). Never raises for odd input; a chunk without
    terms (or gone) matches nothing."""
    out: dict[str, Any] = {"query_terms": [], "text_terms": [], "title_terms": [], "common_terms": [],
                           "adjacent": [], "exact": [], "text_spans": [], "heading_spans": []}
    try:
        terms = normalize.query_terms(text)[:MAX_TERMS]
        out["query_terms"] = terms
        row = conn.execute("SELECT text, heading FROM kb_chunks WHERE id = ?", (int(chunk_id),)).fetchone()
        if row is None:
            return out
        body, heading = str(row[0]), str(row[1])
        stored = _stored_terms(conn, [int(chunk_id)]).get(int(chunk_id))
        if stored is None:   # no terms index: what it would hold
            stored = (chunk_terms(heading, body).split(), [])
        have, title = set(stored[0]), set(stored[1])
        out["text_terms"] = [t for t in terms if t in have]
        out["title_terms"] = [t for t in terms if t in title]
        if has_terms(conn):
            out["common_terms"] = [t for t in terms if (t in have or t in title)
                                   and _count(conn, t, COMMON_DF) >= COMMON_DF]
        out["adjacent"] = [f"{a} {b}" for a, b in _adjacent_pairs(terms, stored[0])]
        folded = normalize.fold(f"{heading}\n{body}")
        out["exact"] = [s for s in exact_strings(text) if normalize.fold(s) in folded]
        out["text_spans"] = _merged(normalize.spans(body, out["text_terms"]) + _found(body, out["exact"]))
        out["heading_spans"] = _merged(normalize.spans(heading, out["text_terms"]) + _found(heading, out["exact"]))
    except (sqlite3.Error, ValueError) as exc:
        log.warning("Explaining chunk %s for %r failed: %s", chunk_id, text[:80], exc)
    return out


def _found(text: str, strings: Iterable[str]) -> list[tuple[int, int]]:
    """Where ``strings`` occur in ``text``, in any case."""
    return [m.span() for s in strings for m in re.finditer(re.escape(s), text, re.IGNORECASE)]


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Ranges sorted, overlapping or touching ones joined."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


def has_fts(conn: sqlite3.Connection) -> bool:
    """Whether keyword search has its FTS5 terms index here."""
    return has_terms(conn)


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


def _matching(table: str, scope: list[int] | None) -> tuple[str, list[int]]:
    """FROM and WHERE for an FTS table's rows, joined to kb_chunks only when collections must be filtered.

    CROSS JOIN keeps the FTS table outside: otherwise SQLite may walk the
    collection's chunks and run the MATCH once per chunk.
    """
    if scope is None:
        return f"{table} WHERE {table} MATCH ?", []
    return (
        f"{table} CROSS JOIN kb_chunks c ON c.id = {table}.rowid "
        f"WHERE {table} MATCH ? AND c.collection_id IN ({_in(scope)})",
        scope,
    )


def _search_bm25(conn: sqlite3.Connection, scope: list[int] | None, terms: list[str],
                 limit: int) -> list[tuple[int, float]]:
    source, params = _matching(FTS_TABLE, scope)
    sql = f"""
        SELECT {FTS_TABLE}.rowid, bm25({FTS_TABLE}, {TEXT_WEIGHT}, {TITLE_WEIGHT}) AS score
        FROM {source} ORDER BY score, {FTS_TABLE}.rowid LIMIT ?
    """
    match = " OR ".join(quote(term) for term in terms)
    return [(int(row[0]), float(row[1])) for row in conn.execute(sql, [match, *params, limit])]


def _search_all_of(conn: sqlite3.Connection, scope: list[int] | None, terms: list[str],
                   k: int) -> list[tuple[int, float]]:
    """Every term is common: chunks holding all of them (or, failing that, any), scored by counts."""
    source, params = _matching(FTS_TABLE, scope)
    sql = f"SELECT {FTS_TABLE}.rowid FROM {source} LIMIT ?"
    ids: list[int] = []
    for joiner in (" AND ", " OR "):
        match = joiner.join(quote(term) for term in terms)
        ids = [int(row[0]) for row in conn.execute(sql, [match, *params, k * SCAN_CANDIDATES])]
        if ids or len(terms) == 1:
            break
    stored = _stored_terms(conn, ids)
    hits = [(chunk_id, _count_score(*stored.get(chunk_id, ([], [])), terms)) for chunk_id in ids]
    hits.sort(key=lambda hit: (hit[1], hit[0]))
    return hits


def _count_score(text_terms: Sequence[str], title_terms: Sequence[str], terms: Iterable[str]) -> float:
    """Minus the terms' weight in a chunk: 1 + log(count) each in the text, TITLE_WEIGHT in the title."""
    counts: dict[str, int] = {}
    for term in text_terms:
        counts[term] = counts.get(term, 0) + 1
    title = set(title_terms)
    score = 0.0
    for term in terms:
        if counts.get(term):
            score += TEXT_WEIGHT * (1.0 + math.log(counts[term]))
        if term in title:
            score += TITLE_WEIGHT
    return -score


def _search_exact(conn: sqlite3.Connection, scope: list[int] | None, strings: list[str],
                  limit: int) -> dict[int, int]:
    """Chunk id → how many of ``strings`` its raw text holds (trigram index; at most ``EXACT_BUDGET_S``)."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                        (TRIGRAM_TABLE,)).fetchone():
        return {}
    source, params = _matching(TRIGRAM_TABLE, scope)
    sql = f"SELECT {TRIGRAM_TABLE}.rowid FROM {source} LIMIT ?"
    found: dict[int, int] = {}
    with _time_bound(conn, EXACT_BUDGET_S) as bound:
        for string in strings:
            for row in conn.execute(sql, [quote(string), *params, limit]):
                found[int(row[0])] = found.get(int(row[0]), 0) + 1
    if bound.stopped:
        log.info("Exact lookup stopped after %.2f s with %d chunks", EXACT_BUDGET_S, len(found))
    return found


class _Bound:
    stopped = False


@contextlib.contextmanager
def _time_bound(conn: sqlite3.Connection, seconds: float) -> Iterator[_Bound]:
    """Queries inside are interrupted after ``seconds`` (SQLite's progress handler); what they returned
    until then stands and ``stopped`` says the block was cut short."""
    bound = _Bound()
    deadline = time.monotonic() + seconds
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        yield bound
    except sqlite3.OperationalError as exc:
        if "interrupt" not in str(exc).lower():
            raise
        bound.stopped = True
    finally:
        conn.set_progress_handler(None, 0)


def _stored_terms(conn: sqlite3.Connection, ids: list[int]) -> dict[int, tuple[list[str], list[str]]]:
    """The terms index's (text terms, title terms) of these chunks."""
    if not ids or not has_terms(conn):
        return {}
    rows = conn.execute(f"SELECT rowid, terms, title FROM {FTS_TABLE} WHERE rowid IN ({_in(ids)})", ids)
    return {int(row[0]): (str(row[1]).split(), str(row[2]).split()) for row in rows}


def _adjacent_pairs(terms: Sequence[str], sequence: Sequence[str]) -> list[tuple[str, str]]:
    """The question's neighbouring term pairs that are also neighbours in ``sequence`` (in that order)."""
    wanted = set(zip(terms, terms[1:]))
    if not wanted:
        return []
    found = {pair for pair in zip(sequence, sequence[1:]) if pair in wanted}
    return [pair for pair in zip(terms, terms[1:]) if pair in found]


def _rerank(conn: sqlite3.Connection, hits: list[tuple[int, float]], terms: list[str], common: list[str],
            exact: dict[int, int], exact_total: int, k: int) -> list[tuple[int, float]]:
    """Lift candidates for common terms and adjacent terms (factors), then for exact strings (``EXACT_BOOST``
    × the best score so far, in proportion to the strings held); the best ``k``."""
    scores = dict(hits)
    weakest = max(scores.values()) if scores else -1.0
    for chunk_id in exact:   # chunks bm25 missed start as the weakest candidate
        scores.setdefault(chunk_id, min(weakest, -1e-6))
    if not scores:
        return []
    pairs = max(1, len(terms) - 1)
    stored = _stored_terms(conn, list(scores))
    ranked = []
    for chunk_id, score in scores.items():
        text_terms, title_terms = stored.get(chunk_id, ([], []))
        factor = 1.0
        if common:
            have = set(text_terms) | set(title_terms)
            factor += LIFT * sum(term in have for term in common) / len(common)
        if len(terms) > 1:
            factor += PROXIMITY * len(_adjacent_pairs(terms, text_terms)) / pairs
        ranked.append((chunk_id, score * factor))
    if exact_total:
        best = min(score for _, score in ranked)
        ranked = [(chunk_id, score + EXACT_BOOST * best * exact.get(chunk_id, 0) / exact_total)
                  for chunk_id, score in ranked]
    ranked.sort(key=lambda hit: (hit[1], hit[0]))
    return ranked[:k]


def _search_like(conn: sqlite3.Connection, collections: list[int], text: str, k: int) -> list[tuple[int, float]]:
    """No FTS5: a bounded scan for the question's longest words (unstemmed) and Chinese grams."""
    folded = normalize.fold(text)
    words = [w for w in re.findall(r"\w+", folded) if w not in normalize.STOPWORDS and len(w) >= 2]
    chosen = sorted(dict.fromkeys(words + normalize.query_terms(text)), key=len, reverse=True)[:LIKE_TERMS]
    if not chosen:
        return []
    where = " OR ".join(["c.text LIKE ? ESCAPE '\\'"] * len(chosen))
    sql = f"SELECT c.id, c.text, c.heading FROM kb_chunks c WHERE c.collection_id IN ({_in(collections)}) " \
          f"AND ({where}) LIMIT ?"
    params = [*collections, *(like_pattern(t) for t in chosen), k * LIKE_CANDIDATES]
    rows: list[tuple[int, str]] = []
    with _time_bound(conn, LIKE_BUDGET_S) as bound:
        cursor = conn.execute(sql, params)
        while batch := cursor.fetchmany(256):
            rows.extend((int(r[0]), normalize.fold(f"{r[2]}\n{r[1]}")) for r in batch)
    if bound.stopped:
        log.info("Keyword scan stopped after %.2f s with %d chunks", LIKE_BUDGET_S, len(rows))
    hits = [(chunk_id, -sum(1.0 + math.log(n) for n in (body.count(t) for t in chosen) if n))
            for chunk_id, body in rows]
    hits = [hit for hit in hits if hit[1] < 0]
    hits.sort(key=lambda hit: (hit[1], hit[0]))
    return hits[:k]
