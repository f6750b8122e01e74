"""Find what changed under a collection's sources and queue the work.

A scan stats every file (never reads an unchanged one): a file whose size
and modification time match its row is unchanged; a new or changed file is
queued in ``kb_jobs``; a file that is gone, or no longer under any source,
leaves the index at once. Unsupported files get a ``skipped`` row with the
reason, so the user can see why they are not searchable.

Nothing whose real path lies outside the folder the user chose is read: a
link (to a file or a folder) that leads out, a broken link, a FIFO, device
or socket, and a file whose name is not valid UTF-8 (SQLite text cannot
hold it; its row shows the name with the bad bytes escaped, ``\\xff``) get a
``skipped`` row with the reason and are never opened. A link that stays
inside is read once (by device and inode); a folder link that stays inside
is not followed (its files are reached through the folder itself: no loops).
The parse workers check the real path again on the descriptor they open.
"""
from __future__ import annotations

import os
import sqlite3
import stat
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


def display_path(path: str) -> str:
    """``path`` as SQLite can store it: undecodable bytes (surrogate escapes) written as ``\\xNN``."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", errors="backslashreplace")


def _link(path: str, root: str) -> tuple[os.stat_result | None, str]:
    """A symlink's target stat when it may be read, else why not."""
    target = os.path.realpath(path)
    if not extract.inside(target, [root]):
        return None, f"link leads outside the folder you chose (to {display_path(target)})"
    try:
        st = os.stat(path)
    except OSError:
        return None, "broken link (its target does not exist)"
    if stat.S_ISDIR(st.st_mode):
        return None, ""  # a folder inside: reached through the folder itself
    if not stat.S_ISREG(st.st_mode):
        return None, f"link to {extract.special_kind(st.st_mode)}"
    return st, ""


def walk(source: Path) -> Iterator[tuple[str, os.stat_result | None, str]]:
    """(path, stat, reason) for the files under ``source`` (or ``source`` itself): reason "" for a regular
    file to read, else why it is skipped (stat None). Hidden and tool folders are left out, folder links
    not followed, links out of ``source`` and special files reported, never opened."""
    root = os.path.realpath(source)
    try:
        st = os.stat(source)
    except OSError:
        return
    if not stat.S_ISDIR(st.st_mode):
        ok = stat.S_ISREG(st.st_mode)
        yield str(source), st if ok else None, "" if ok else f"is {extract.special_kind(st.st_mode)}"
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
                if entry.is_symlink():
                    st, reason = _link(entry.path, root)
                    if st is not None or reason:
                        yield entry.path, st, reason
                elif entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIPPED_DIRS:
                        stack.append(entry.path)
                else:
                    st = entry.stat(follow_symlinks=False)
                    if stat.S_ISREG(st.st_mode):
                        yield entry.path, st, ""
                    else:
                        yield entry.path, None, f"is {extract.special_kind(st.st_mode)}"
            except OSError:
                continue


def scan(conn: sqlite3.Connection, coll: Collection) -> FolderScan:
    started = time.perf_counter()
    known: dict[str, tuple[int, int | None, int | None, str, str | None]] = {
        row[0]: (row[1], row[2], row[3], row[4], row[5]) for row in conn.execute(
            "SELECT path, id, size, mtime_ns, status, reason FROM kb_files WHERE collection_id = ?", (coll.id,))}
    seen: set[str] = set()
    targets: set[tuple[int, int]] = set()   # (device, inode): a file reached twice (a symlink) is indexed once
    new = changed = unchanged = skipped = 0
    now = time.time()
    inserts: list[tuple[object, ...]] = []
    updates: list[tuple[object, ...]] = []
    dropped: list[int] = []          # files now skipped: their chunks go
    requeue: list[int] = []
    for source in coll.sources:
        for found, st, reason in walk(Path(source)):
            path = display_path(found)
            if path != found:
                st, reason = None, "its name is not valid UTF-8 (rename the file to index it)"
            if path in seen or (st is not None and (st.st_dev, st.st_ino) in targets):
                continue
            seen.add(path)
            row = known.get(path)
            if st is None:  # skipped before it is opened: a link out, a special file, a bad name
                if row is not None and row[3] == "skipped" and row[4] == reason:
                    unchanged += 1
                    continue
                skipped += 1
                if row is None:
                    inserts.append((coll.id, path, None, None, None, "skipped", reason))
                else:
                    updates.append((None, None, None, "skipped", reason, row[0]))
                    dropped.append(row[0])
                continue
            targets.add((st.st_dev, st.st_ino))
            if row is not None and row[1] == st.st_size and row[2] == st.st_mtime_ns:
                unchanged += 1
                continue
            kind = extract.kind_of(found)
            reason = ""
            if kind is None:
                reason = extract.skip_reason(found)
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
        conn.executemany("DELETE FROM kb_jobs WHERE file_id = ?", [(i,) for i in dropped])
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
