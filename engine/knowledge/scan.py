"""Find what changed under a collection's sources and queue the work.

A scan stats every file (never reads an unchanged one): a file whose size
and modification time match its row is unchanged; a new or changed file is
queued in ``kb_jobs``; a file that is gone, or no longer under any source,
leaves the index at once. Unsupported files get a ``skipped`` row with the
reason, so the user can see why they are not searchable.
"""
from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from engine.knowledge import extract
from engine.knowledge.collections import Collection
from engine.store.transactions import write

MAX_FILE_BYTES = 512 << 20
SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "site-packages", ".git", ".hg", ".svn", ".venv", "venv"})


@dataclass(frozen=True)
class FolderScan:
    new: int
    changed: int
    removed: int
    unchanged: int
    skipped: int
    queued: int        # jobs waiting after the scan (includes ones left from an earlier run)
    seconds: float


def walk(source: Path) -> Iterator[tuple[str, os.stat_result]]:
    """Regular files under ``source`` (or ``source`` itself), hidden and tool folders left out, symlinked folders not followed."""
    if not source.is_dir():
        try:
            yield str(source), source.stat()
        except OSError:
            return
        return
    stack = [str(source)]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: (e.is_symlink(), e.name))  # real files first
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIPPED_DIRS:
                        stack.append(entry.path)
                elif entry.is_file():
                    yield entry.path, entry.stat()
            except OSError:
                continue


def scan(conn: sqlite3.Connection, coll: Collection) -> FolderScan:
    started = time.perf_counter()
    known: dict[str, tuple[int, int | None, int | None, str]] = {
        row[0]: (row[1], row[2], row[3], row[4]) for row in conn.execute(
            "SELECT path, id, size, mtime_ns, status FROM kb_files WHERE collection_id = ?", (coll.id,))}
    seen: set[str] = set()
    targets: set[tuple[int, int]] = set()   # (device, inode): a file reached twice (a symlink) is indexed once
    new = changed = unchanged = skipped = 0
    now = time.time()
    inserts: list[tuple[object, ...]] = []
    updates: list[tuple[object, ...]] = []
    dropped: list[int] = []          # files now skipped: their chunks go
    requeue: list[int] = []
    for source in coll.sources:
        for path, st in walk(Path(source)):
            if path in seen or (st.st_dev, st.st_ino) in targets:
                continue
            seen.add(path)
            targets.add((st.st_dev, st.st_ino))
            row = known.get(path)
            if row is not None and row[1] == st.st_size and row[2] == st.st_mtime_ns:
                unchanged += 1
                continue
            kind = extract.kind_of(path)
            reason = ""
            if kind is None:
                reason = extract.skip_reason(path)
            elif st.st_size > MAX_FILE_BYTES:
                reason = f"larger than {MAX_FILE_BYTES >> 20} MB"
            status = "skipped" if reason else "pending"
            skipped += bool(reason)
            if row is None:
                new += not reason
                inserts.append((coll.id, path, st.st_size, st.st_mtime_ns, kind, status, reason or None))
            else:
                changed += not reason
                keep = row[3] if row[3] == "indexed" and not reason else status
                updates.append((st.st_size, st.st_mtime_ns, kind, keep, reason or None, row[0]))
                if reason:
                    dropped.append(row[0])
                else:
                    requeue.append(row[0])
    gone = [row[0] for path, row in known.items() if path not in seen]
    with write(conn):  # the walk above took no lock: everything is written here, at once
        conn.executemany("UPDATE kb_files SET size = ?, mtime_ns = ?, kind = ?, status = ?, reason = ? "
                         "WHERE id = ?", updates)
        conn.executemany("DELETE FROM kb_chunks WHERE file_id = ?", [(i,) for i in dropped])
        conn.executemany("INSERT INTO kb_files (collection_id, path, size, mtime_ns, kind, status, reason) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)", inserts)
        conn.executemany("DELETE FROM kb_files WHERE id = ?", [(i,) for i in gone])
        conn.executemany("INSERT OR IGNORE INTO kb_jobs (collection_id, file_id, queued_at) VALUES (?, ?, ?)",
                         [(coll.id, i, now) for i in requeue])
        conn.execute("INSERT OR IGNORE INTO kb_jobs (collection_id, file_id, queued_at) "
                     "SELECT collection_id, id, ? FROM kb_files WHERE collection_id = ? AND status = 'pending'",
                     (now, coll.id))
    queued = conn.execute("SELECT count(*) FROM kb_jobs WHERE collection_id = ?", (coll.id,)).fetchone()[0]
    return FolderScan(new=new, changed=changed, removed=len(gone), unchanged=unchanged, skipped=skipped,
                      queued=queued, seconds=time.perf_counter() - started)


def retry_failed(conn: sqlite3.Connection, coll: Collection) -> int:
    """Queue the files that failed again (after the user fixed them, or with new limits)."""
    with write(conn):
        cur = conn.execute("INSERT OR IGNORE INTO kb_jobs (collection_id, file_id, queued_at) "
                           "SELECT collection_id, id, ? FROM kb_files WHERE collection_id = ? AND status = 'failed'",
                           (time.time(), coll.id))
    return cur.rowcount
