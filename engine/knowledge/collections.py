"""Collections, their sources and files, kept in the store's SQLite database.

A collection is a name plus the folders and files the user added (its
sources). Every file found under a source has a row in ``kb_files`` with its
size, modification time, content hash and status (pending, indexed, failed,
skipped) and the reason when it failed or was skipped. Functions here take
the store's connection and write through ``write`` (BEGIN IMMEDIATE); they
never embed or parse.
"""
from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from engine import errors
from engine.store.transactions import write

FILE_STATUSES = ("pending", "indexed", "failed", "skipped")


@dataclass(frozen=True)
class Collection:
    id: int
    name: str
    created_at: float
    embed_model: str | None
    embed_dim: int | None
    vectors_version: int
    state: str
    sources: tuple[str, ...] = ()
    # the embedding model chosen for it: a model file's path or an installed model's name;
    # None: the knowledge base's default embedder
    embedder: str | None = None


@dataclass(frozen=True)
class FileProblem:
    path: str
    status: str       # "failed", "skipped", or "indexed" when only part of the file was (a limit: see reason)
    reason: str


@dataclass(frozen=True)
class EmbedderWarning:
    """Why a collection's semantic search does not work as it should, and what to do.

    ``kind``: "missing" (the model file is gone: keyword search only) or "english_only" (an English
    model for a collection whose text is mostly Chinese). ``suggestions``: (model name, download
    bytes) of multilingual models to choose instead. ``message`` says all of it in English (the
    terminal); the window words it itself from the fields.
    """

    kind: str
    collection: str
    model: str
    message: str
    cjk_share: float = 0.0
    suggestions: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class CollectionStatus:
    collection: Collection
    files: dict[str, int]          # counts by status
    chunks: int
    embedded: int                  # chunks with a vector from the collection's model
    pages: int
    bytes_indexed: int
    problems: list[FileProblem] = field(default_factory=list)
    # what is wrong with its embedding model (missing, or English-only for Chinese text); see
    # KnowledgeBase.status, which fills it in
    embedder_warning: EmbedderWarning | None = None

    @property
    def total(self) -> int:
        return sum(self.files.values())

    @property
    def pending(self) -> int:
        return self.files.get("pending", 0)


def _collection(conn: sqlite3.Connection, row: sqlite3.Row) -> Collection:
    sources = tuple(r[0] for r in conn.execute(
        "SELECT path FROM kb_sources WHERE collection_id = ? ORDER BY id", (row["id"],)))
    return Collection(id=row["id"], name=row["name"], created_at=row["created_at"],
                      embed_model=row["embed_model"], embed_dim=row["embed_dim"],
                      vectors_version=row["vectors_version"], state=row["state"], sources=sources,
                      embedder=row["embedder"] if "embedder" in row.keys() else None)


def check_name(name: str) -> str:
    clean = " ".join(name.split())
    if not clean:
        raise errors.KnowledgeError("A collection needs a name.", hint="Give it a short name, like “Papers”.")
    if len(clean) > 80:
        raise errors.KnowledgeError(f"The name “{clean[:40]}…” is too long.", hint="Use at most 80 characters.")
    return clean


def create(conn: sqlite3.Connection, name: str, embedder: str | None = None) -> Collection:
    """A new, empty collection; ``embedder``: its embedding model (None: the knowledge base's default)."""
    clean = check_name(name)
    try:
        with write(conn):
            conn.execute("INSERT INTO kb_collections (name, created_at, embedder) VALUES (?, ?, ?)",
                         (clean, time.time(), embedder))
    except sqlite3.IntegrityError:
        raise errors.CollectionExists(f"A collection named “{clean}” already exists.") from None
    return get(conn, clean)


def set_embedder(conn: sqlite3.Connection, name: str, embedder: str | None) -> Collection:
    """Record the collection's embedding model. Its vectors are replaced at its next indexing run
    (``indexer.adopt_embedder``); until then its keyword search works as before."""
    coll = get(conn, name)
    with write(conn):
        conn.execute("UPDATE kb_collections SET embedder = ? WHERE id = ?", (embedder, coll.id))
    return get(conn, coll.name)


def get(conn: sqlite3.Connection, name: str) -> Collection:
    row = conn.execute("SELECT * FROM kb_collections WHERE name = ?", (" ".join(name.split()),)).fetchone()
    if row is None:
        raise errors.CollectionNotFound(f"There is no collection named “{name}”.")
    return _collection(conn, row)


def by_id(conn: sqlite3.Connection, collection_id: int) -> Collection:
    row = conn.execute("SELECT * FROM kb_collections WHERE id = ?", (collection_id,)).fetchone()
    if row is None:
        raise errors.CollectionNotFound(f"There is no collection number {collection_id}.")
    return _collection(conn, row)


def all_collections(conn: sqlite3.Connection) -> list[Collection]:
    rows = conn.execute("SELECT * FROM kb_collections ORDER BY name COLLATE NOCASE").fetchall()
    return [_collection(conn, row) for row in rows]


def delete(conn: sqlite3.Connection, name: str) -> None:
    """Forget a collection and its index; the user's files are never touched."""
    coll = get(conn, name)
    with write(conn):
        conn.execute("DELETE FROM kb_collections WHERE id = ?", (coll.id,))
        conn.execute("DELETE FROM kb_chunk_removals WHERE collection_id = ?", (coll.id,))


def rename(conn: sqlite3.Connection, name: str, new_name: str) -> Collection:
    coll, clean = get(conn, name), check_name(new_name)
    try:
        with write(conn):
            conn.execute("UPDATE kb_collections SET name = ? WHERE id = ?", (clean, coll.id))
    except sqlite3.IntegrityError:
        raise errors.CollectionExists(f"A collection named “{clean}” already exists.") from None
    return get(conn, clean)


def add_sources(conn: sqlite3.Connection, name: str, paths: Iterable[str | Path]) -> list[str]:
    """Record folders and files to index; returns the absolute paths added. Missing paths are refused."""
    coll = get(conn, name)
    added: list[str] = []
    resolved: list[tuple[str, bool]] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise errors.KnowledgeError(f"{path} does not exist.", path=path,
                                        hint="Check the path; nothing was added.")
        full = str(path.resolve())
        if not full.isascii():
            try:   # a name that is not UTF-8 arrives with surrogate escapes, which the database cannot store
                full.encode("utf-8")
            except UnicodeEncodeError:
                shown = full.encode("utf-8", "backslashreplace").decode("utf-8")
                raise errors.KnowledgeError(f"{shown} has a name that is not valid UTF-8 text.", path=shown,
                                            hint="Rename the folder or file (or the folder it is in) and add it "
                                                 "again; nothing was added.") from None
        resolved.append((full, path.is_dir()))
    now = time.time()
    with write(conn):
        for path_str, is_dir in resolved:
            cur = conn.execute("INSERT OR IGNORE INTO kb_sources (collection_id, path, is_dir, added_at) "
                               "VALUES (?, ?, ?, ?)", (coll.id, path_str, int(is_dir), now))
            if cur.rowcount:
                added.append(path_str)
    return added


def remove_source(conn: sqlite3.Connection, name: str, path: str | Path) -> bool:
    """Stop indexing a folder or file; its files leave the index at the next scan."""
    coll = get(conn, name)
    target = str(Path(path).expanduser().resolve())
    with write(conn):
        cur = conn.execute("DELETE FROM kb_sources WHERE collection_id = ? AND path = ?", (coll.id, target))
    return bool(cur.rowcount)


def set_state(conn: sqlite3.Connection, collection_id: int, state: str) -> None:
    with write(conn):
        conn.execute("UPDATE kb_collections SET state = ? WHERE id = ?", (state, collection_id))


def status(conn: sqlite3.Connection, name: str, *, problems_limit: int = 200) -> CollectionStatus:
    coll = get(conn, name)
    files = {s: 0 for s in FILE_STATUSES}
    for row in conn.execute("SELECT status, count(*) FROM kb_files WHERE collection_id = ? GROUP BY status",
                            (coll.id,)):
        files[row[0]] = row[1]
    agg = conn.execute("SELECT coalesce(sum(chunks), 0), coalesce(sum(pages), 0), coalesce(sum(size), 0) "
                       "FROM kb_files WHERE collection_id = ? AND status = 'indexed'", (coll.id,)).fetchone()
    embedded = conn.execute("SELECT count(*) FROM kb_chunks WHERE collection_id = ? AND embedding IS NOT NULL",
                            (coll.id,)).fetchone()[0]
    problems = [FileProblem(r[0], r[1], r[2] or "") for r in conn.execute(
        "SELECT path, status, reason FROM kb_files WHERE collection_id = ? AND (status IN ('failed', 'skipped') "
        "OR (status = 'indexed' AND reason IS NOT NULL)) ORDER BY status, path LIMIT ?", (coll.id, problems_limit))]
    return CollectionStatus(collection=coll, files=files, chunks=agg[0], embedded=embedded, pages=agg[1],
                            bytes_indexed=agg[2], problems=problems)


# --- conversations that use collections ------------------------------------------

def conversation_collections(conn: sqlite3.Connection, conversation_id: int) -> list[Collection]:
    rows = conn.execute(
        "SELECT c.* FROM kb_collections c JOIN conversation_knowledge k ON k.collection_id = c.id "
        "WHERE k.conversation_id = ? ORDER BY c.name COLLATE NOCASE", (conversation_id,)).fetchall()
    return [_collection(conn, row) for row in rows]


def use_collections(conn: sqlite3.Connection, conversation_id: int, collection_ids: Iterable[int],
                    *, documents_only: bool | None = None) -> None:
    """Set which collections a conversation answers from (replacing the earlier choice)."""
    ids = sorted(set(collection_ids))
    with write(conn):
        conn.execute("DELETE FROM conversation_knowledge WHERE conversation_id = ?", (conversation_id,))
        conn.executemany("INSERT INTO conversation_knowledge (conversation_id, collection_id) VALUES (?, ?)",
                         [(conversation_id, i) for i in ids])
        if documents_only is not None:
            conn.execute("UPDATE conversations SET documents_only = ? WHERE id = ?",
                         (int(documents_only), conversation_id))


def documents_only(conn: sqlite3.Connection, conversation_id: int) -> bool:
    row = conn.execute("SELECT documents_only FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
    return bool(row and row[0])


def any_collections(conn: sqlite3.Connection) -> bool:
    """Whether there is at least one collection (the app starts the knowledge thread only then)."""
    return conn.execute("SELECT 1 FROM kb_collections LIMIT 1").fetchone() is not None
