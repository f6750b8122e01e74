"""Full-text search over messages.

FTS5 with the trigram tokenizer finds any substring of three or more
characters, in any script (Chinese needs no word segmenter). Shorter terms
fall back to ``LIKE``. The user's words are always quoted as FTS5 strings,
so operators and punctuation in a query are searched for, never parsed.

A substring index finds "basil" inside "basilicas" too: messages holding
more of the Latin-script terms as whole words come first (SQLite orders
every match by a Python function, ``whole_words``, before the limit), and
the snippet shows a whole-word occurrence when there is one. Chinese and other scripts without spaces keep substring
matching: their words are not separated.
"""
from __future__ import annotations

import functools
import re
import sqlite3
from typing import Sequence

from engine.store.records import SearchHit

SNIPPET_WIDTH = 60
TRIGRAM = 3
_WORDS_FN = "hearth_whole_words"
_SEP = "\x1f"          # joins the terms for the SQL function (never in a term: unit separator)

_SELECT = """
    SELECT m.id, m.conversation_id, c.title, m.role, m.content, m.reasoning{rank}
    FROM {source}
    JOIN conversations c ON c.id = m.conversation_id
    WHERE c.deleted_at IS NULL AND {where}
    ORDER BY {order}
    LIMIT ?
"""


def terms_of(query: str) -> list[str]:
    """The query's whitespace-separated terms (NUL characters dropped)."""
    return query.replace("\x00", "").split()


def fts_query(terms: Sequence[str]) -> str:
    """An FTS5 query matching rows that contain every term, taken literally."""
    return " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)


def like_pattern(term: str) -> str:
    """``%term%`` with LIKE's wildcards escaped (escape character ``\\``)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# a character of a script whose words are separated by spaces: Latin, Greek, Cyrillic letters and digits
_SPACED_CLASS = r"[0-9A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]"
_SPACED = re.compile(_SPACED_CLASS)


@functools.lru_cache(maxsize=256)
def _word_pattern(term: str) -> re.Pattern[str]:
    """``term`` as a whole word where it has letters or digits at its ends (a neighbour in Chinese counts
    as a word boundary: "basil酱" holds the word); else as a substring."""
    left = f"(?<!{_SPACED_CLASS})" if _SPACED.match(term[:1]) else ""
    right = f"(?!{_SPACED_CLASS})" if _SPACED.match(term[-1:]) else ""
    return re.compile(left + re.escape(term) + right, re.IGNORECASE)


def whole_words(text: str, terms: Sequence[str]) -> int:
    """How many of ``terms`` occur in ``text`` as whole words (a term of an unspaced script: as a substring)."""
    return sum(1 for term in terms if _word_pattern(term).search(text))


def found_spans(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """Where ``terms`` occur in ``text``, as (start, end), sorted: a term's whole-word occurrences, or its
    occurrences inside words when it has no whole one (what the window highlights in a found message)."""
    spans: list[tuple[int, int]] = []
    for term in dict.fromkeys(t for t in terms if t):
        found = [m.span() for m in _word_pattern(term).finditer(text)]
        spans += found or [m.span() for m in re.finditer(re.escape(term), text, re.IGNORECASE)]
    return sorted(spans)


def make_snippet(text: str, terms: Sequence[str], width: int = SNIPPET_WIDTH) -> str | None:
    """About ``width`` characters around the first hit, the hit wrapped in [ ]; a whole-word hit is
    preferred to a hit inside a longer word.

    Returns None when no term occurs in ``text``.
    """
    flat = re.sub(r"\s+", " ", text).strip()
    best: re.Match[str] | None = None
    for patterns in ([_word_pattern(t) for t in terms], [re.compile(re.escape(t), re.IGNORECASE) for t in terms]):
        for pattern in patterns:
            found = pattern.search(flat)
            if found and (best is None or found.start() < best.start()):
                best = found
        if best is not None:
            break
    if best is None:
        return None
    if best is None:
        return None
    start, end = best.span()
    room = max(0, width - (end - start)) // 2
    left = max(0, start - room)
    right = min(len(flat), end + room)
    return (
        ("…" if left > 0 else "")
        + flat[left:start]
        + "[" + flat[start:end] + "]"
        + flat[end:right]
        + ("…" if right < len(flat) else "")
    )


def _register(conn: sqlite3.Connection) -> None:
    conn.create_function(_WORDS_FN, 2, _whole_words_sql, deterministic=True)


def _whole_words_sql(text: str | None, joined: str) -> int:
    return whole_words(text or "", _split(joined))


@functools.lru_cache(maxsize=16)
def _split(joined: str) -> tuple[str, ...]:
    return tuple(joined.split(_SEP))


def _words_order(terms: Sequence[str]) -> tuple[str, list[object]]:
    """The ORDER BY term putting whole-word matches first, and its parameter."""
    return f"{_WORDS_FN}(m.content || char(10) || coalesce(m.reasoning, ''), ?) DESC", [_SEP.join(terms)]


def _hits(rows: list[sqlite3.Row], terms: Sequence[str]) -> list[SearchHit]:
    hits: list[SearchHit] = []
    for row in rows:
        snippet = make_snippet(row["content"], terms) or make_snippet(row["reasoning"], terms)
        hits.append(
            SearchHit(
                conversation_id=row["conversation_id"],
                message_id=row["id"],
                conversation_title=row["title"],
                role=row["role"],
                snippet=snippet if snippet is not None else row["content"][:SNIPPET_WIDTH],
                rank=float(row["rank"]),
            )
        )
    return hits


def _search_like(conn: sqlite3.Connection, terms: Sequence[str], limit: int) -> list[SearchHit]:
    clause = "(m.content LIKE ? ESCAPE '\\' OR m.reasoning LIKE ? ESCAPE '\\')"
    params: list[object] = []
    for term in terms:
        params += [like_pattern(term)] * 2
    words, words_param = _words_order(terms)
    sql = _SELECT.format(
        rank=", 0.0 AS rank",
        source="messages m",
        where=" AND ".join([clause] * len(terms)),
        order=f"{words}, m.id DESC",
    )
    _register(conn)
    return _hits(conn.execute(sql, [*params, *words_param, limit]).fetchall(), terms)


def _search_fts(conn: sqlite3.Connection, terms: Sequence[str], limit: int) -> list[SearchHit]:
    words, words_param = _words_order(terms)
    sql = _SELECT.format(
        rank=", bm25(messages_fts) AS rank",
        source="messages_fts JOIN messages m ON m.id = messages_fts.rowid",
        where="messages_fts MATCH ?",
        order=f"{words}, rank, m.id DESC",
    )
    _register(conn)
    return _hits(conn.execute(sql, [fts_query(terms), *words_param, limit]).fetchall(), terms)


def search(conn: sqlite3.Connection, query: str, *, limit: int, use_fts: bool) -> list[SearchHit]:
    """Messages of non-deleted conversations containing every term of ``query``.

    Best matches first (FTS5's bm25, lower is better); newest first when
    ``LIKE`` is used. Never raises for odd input: an empty query finds nothing.
    """
    terms = terms_of(query)
    if not terms or limit <= 0:
        return []
    if use_fts and all(len(term) >= TRIGRAM for term in terms):
        try:
            return _search_fts(conn, terms, limit)
        except sqlite3.OperationalError:
            pass  # a query FTS5 still refuses: fall through to LIKE
    return _search_like(conn, terms, limit)
