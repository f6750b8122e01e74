"""The terms index: each chunk's words as plain tokens, for bm25 keyword search.

``kb_terms_fts`` (migration m005) holds one row per chunk, ``rowid`` =
``kb_chunks.id``, with two columns of space-separated terms computed here by
``engine.knowledge.normalize`` (SQLite's tokenizers know neither Snowball
stems nor traditional/simplified Chinese, so FTS5 only splits what Python
made): ``terms``, the chunk's heading and text; ``title``, its file's
name and its document title, shared by every chunk of the file so that
"GPL version 2" prefers the chunks of ``GPL-2`` to the same words in
``GPL-3``. The indexer stores a file's terms in the transaction that
stores its chunks; a trigger on ``kb_chunks`` removes them with the chunk,
so every delete path keeps the index right.
"""
from __future__ import annotations

import re
import sqlite3
from pathlib import PurePath
from typing import TYPE_CHECKING, Iterable, Sequence

from engine.knowledge.extract.text import HeadingPath
from engine.knowledge.normalize import index_terms
from engine.knowledge.records import ChunkDraft

if TYPE_CHECKING:
    from engine.store import Store

TERMS_TABLE = "kb_terms_fts"
BACKFILL_BATCH = 2_000     # chunks read, folded and written per step of a backfill

# Where a file name splits into words beyond its punctuation: "camelCase", "HTMLParser", "gpl3", "v2beta".
_NAME_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[^\W\d])(?=\d)|(?<=\d)(?=[^\W\d])")


def has_terms(conn: sqlite3.Connection) -> bool:
    """Whether this database has the terms index (not on SQLite builds without FTS5)."""
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TERMS_TABLE,)
    ).fetchone() is not None


def file_label(path: str) -> str:
    """A file's name without its extension, as words: ``LGPL-2.1`` stays, ``my_notes.md`` → ``my notes``."""
    pure = PurePath(path)
    # an extension has a letter in it: "LGPL-2.1" and "MPL-2.0" have none
    stem = pure.stem if any(ch.isalpha() for ch in pure.suffix) and len(pure.suffix) <= 8 else pure.name
    return stem.replace("_", " ")


def name_terms(path: str) -> list[str]:
    """The terms of a file's name without its extension: ``LGPL-2.1`` → lgpl 2 1, ``myNotes2`` → my note 2."""
    return index_terms(_NAME_BOUNDARY.sub(" ", file_label(path)))


def document_title(headings: Iterable[str]) -> str:
    """A document's title as its chunks know it: the outermost heading over its first headed chunk."""
    for heading in headings:
        if heading:
            return heading.split(HeadingPath.SEPARATOR)[0]
    return ""


def title_terms(path: str, headings: Iterable[str]) -> str:
    """The ``title`` column: the file name's terms, then the document title's."""
    return " ".join(name_terms(path) + index_terms(document_title(headings)))


def chunk_terms(heading: str, text: str) -> str:
    """The ``terms`` column: the heading's terms and the text's, in order, repeats kept."""
    return " ".join(index_terms(f"{heading}\n{text}" if heading else text))


def store_terms(conn: sqlite3.Connection, file_id: int, path: str, chunks: Sequence[ChunkDraft],
                start: int = 0, end: int | None = None) -> None:
    """Index the terms of ``chunks[start:end]``, a file's chunks just inserted with ``ord`` = their place.

    Call inside the transaction that inserted them. ``chunks`` is the whole file (its title comes from
    the first headed chunk) and only the part given is stored."""
    if not has_terms(conn):
        return
    end = len(chunks) if end is None else end
    title = title_terms(path, (c.heading for c in chunks))
    ids = dict(conn.execute("SELECT ord, id FROM kb_chunks WHERE file_id = ? AND ord >= ? AND ord < ?",
                            (file_id, start, end)).fetchall())
    rows = [(ids[ord_], chunk_terms(chunks[ord_].heading, chunks[ord_].text), title)
            for ord_ in range(start, end) if ord_ in ids]
    conn.executemany(f"INSERT INTO {TERMS_TABLE} (rowid, terms, title) VALUES (?, ?, ?)", rows)


def needs_backfill(conn: sqlite3.Connection) -> bool:
    """Whether chunks were indexed before the terms index existed: chunks there, terms none.

    Two first-row reads, however big the database. A file's terms are written in the transaction that
    writes its chunks and a backfill is one transaction, so "some chunks, no terms" is the only gap."""
    if not has_terms(conn):
        return False
    return (conn.execute("SELECT 1 FROM kb_chunks LIMIT 1").fetchone() is not None
            and conn.execute(f"SELECT 1 FROM {TERMS_TABLE} LIMIT 1").fetchone() is None)


def fill_missing(store: "Store") -> int:
    """Backfill the terms of a database indexed before m005, in one write transaction; returns how many
    chunks were filled (0, at once, when none are missing). The knowledge base calls it when it opens."""
    if not needs_backfill(store.conn):
        return 0
    with store.write() as conn:
        if not needs_backfill(conn):     # another process filled it while this one waited for the lock
            return 0
        return backfill(conn)


def backfill(conn: sqlite3.Connection, batch: int = BACKFILL_BATCH) -> int:
    """Index the terms of every chunk (a database indexed before m005); returns how many.

    Runs inside the caller's transaction, reading ``batch`` chunks at a time in id order."""
    done = 0
    last = 0
    titles: dict[int, str] = {}
    while True:
        rows = conn.execute(
            "SELECT c.id, c.file_id, c.heading, c.text FROM kb_chunks c WHERE c.id > ? ORDER BY c.id LIMIT ?",
            (last, batch)).fetchall()
        if not rows:
            return done
        for file_id in {row[1] for row in rows} - titles.keys():
            titles[file_id] = _stored_title(conn, file_id)
        conn.executemany(
            f"INSERT INTO {TERMS_TABLE} (rowid, terms, title) VALUES (?, ?, ?)",
            [(row[0], chunk_terms(row[2], row[3]), titles[row[1]]) for row in rows])
        done += len(rows)
        last = rows[-1][0]
        if len(titles) > 4 * batch:   # files come in id order: forget those already passed
            titles.clear()


def _stored_title(conn: sqlite3.Connection, file_id: int) -> str:
    row = conn.execute("SELECT path FROM kb_files WHERE id = ?", (file_id,)).fetchone()
    heading = conn.execute("SELECT heading FROM kb_chunks WHERE file_id = ? AND heading != '' ORDER BY ord LIMIT 1",
                           (file_id,)).fetchone()
    return title_terms(row[0] if row else "", [heading[0]] if heading else [])
