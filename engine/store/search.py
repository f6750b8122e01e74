"""Full-text search over messages.

FTS5 with the trigram tokenizer finds any substring of three or more
characters, in any script (Chinese needs no word segmenter). Shorter terms
fall back to ``LIKE``. The user's words are always quoted as FTS5 strings,
so operators and punctuation in a query are searched for, never parsed.
"""
from __future__ import annotations

import re
import sqlite3
from typing import Sequence

from engine.store.records import SearchHit

SNIPPET_WIDTH = 60
TRIGRAM = 3

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


def make_snippet(text: str, terms: Sequence[str], width: int = SNIPPET_WIDTH) -> str | None:
    """About ``width`` characters around the first hit, the hit wrapped in [ ].

    Returns None when no term occurs in ``text``.
    """
    flat = re.sub(r"\s+", " ", text).strip()
    best: re.Match[str] | None = None
    for term in terms:
        found = re.search(re.escape(term), flat, re.IGNORECASE)
        if found and (best is None or found.start() < best.start()):
            best = found
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
    sql = _SELECT.format(
        rank=", 0.0 AS rank",
        source="messages m",
        where=" AND ".join([clause] * len(terms)),
        order="m.id DESC",
    )
    return _hits(conn.execute(sql, [*params, limit]).fetchall(), terms)


def _search_fts(conn: sqlite3.Connection, terms: Sequence[str], limit: int) -> list[SearchHit]:
    sql = _SELECT.format(
        rank=", bm25(messages_fts) AS rank",
        source="messages_fts JOIN messages m ON m.id = messages_fts.rowid",
        where="messages_fts MATCH ?",
        order="rank, m.id DESC",
    )
    return _hits(conn.execute(sql, [fts_query(terms), limit]).fetchall(), terms)


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
