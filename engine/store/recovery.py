"""A damaged database: find out, keep backups, and offer the ways out without deciding.

``check(path)`` runs SQLite's ``PRAGMA quick_check`` (and catches what a
damaged file raises on open). ``backups(home)`` lists the copies taken with
``VACUUM INTO`` into ``<home>/backups``: before each migration that changes
an existing schema and once a day at open, the newest ``KEEP`` kept.
``set_aside(path)`` moves the database and its -wal/-shm files to
``hearth.db.corrupt-<timestamp>``; ``restore(backup, path)`` puts a backup in
its place (the current file set aside first). Nothing here deletes a
database, and nothing is moved or replaced unless a caller asks: the window
asks the user.
"""
from __future__ import annotations

import dataclasses
import datetime
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path

from engine.errors import DatabaseCorrupt, StoreError
from engine.paths import fsync_dir

log = logging.getLogger(__name__)

KEEP = 7                     # backups kept; older ones are removed after a new one is written
BACKUP_DIR = "backups"
SIDE_FILES = ("-wal", "-shm", "-journal")


@dataclasses.dataclass(frozen=True)
class Health:
    """What ``check`` found: ``ok``, or the ``problem`` in SQLite's words."""

    path: Path
    ok: bool
    problem: str = ""
    seconds: float = 0.0     # how long the check took


@dataclasses.dataclass(frozen=True)
class Backup:
    path: Path
    taken: datetime.datetime     # when it was written (the file's modification time)
    size: int

    @property
    def label(self) -> str:
        """'2026-09-01 10:30', for a button."""
        return self.taken.strftime("%Y-%m-%d %H:%M")


def backup_dir(path: str | Path) -> Path:
    """Where the backups of the database at ``path`` go: ``backups`` beside it (``paths().backups``)."""
    return Path(path).parent / BACKUP_DIR


def check(path: str | Path) -> Health:
    """Is the database at ``path`` usable? A missing or empty file is (Hearth creates it)."""
    path = Path(path)
    start = time.perf_counter()
    if not path.exists() or path.stat().st_size == 0:
        return Health(path, True)
    conn = None
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=30)
        rows = [str(row[0]) for row in conn.execute("PRAGMA quick_check")]
        problem = "" if rows == ["ok"] else "\n".join(rows[:20])
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        problem = str(exc) if not isinstance(exc, UnicodeDecodeError) else f"unreadable schema ({exc.reason})"
    finally:
        if conn is not None:
            conn.close()
    return Health(path, not problem, problem, time.perf_counter() - start)


def require_healthy(path: str | Path) -> None:
    """Raise ``DatabaseCorrupt`` (with the way out) when ``check`` finds a problem."""
    health = check(path)
    if not health.ok:
        raise DatabaseCorrupt(f"The database {health.path} is damaged: {health.problem.splitlines()[0]}",
                              path=health.path, reason="damaged",
                              params={"problem": health.problem.splitlines()[0]})


def _stamp() -> str:
    return datetime.datetime.now().strftime("%Y%m%d-%H%M%S")


def set_aside(path: str | Path) -> Path:
    """Move the database and its -wal/-shm files to ``<name>.corrupt-<timestamp>``; returns the new path.

    Never deletes: an existing name gets a counter. The moved files stay a pair
    SQLite can open (``x.corrupt-…`` with ``x.corrupt-…-wal``), for salvage.
    """
    path = Path(path)
    base = path.with_name(f"{path.name}.corrupt-{_stamp()}")
    target, n = base, 1
    while any(Path(f"{target}{suffix}").exists() for suffix in ("", *SIDE_FILES)):
        n += 1
        target = base.with_name(f"{base.name}-{n}")
    for suffix in SIDE_FILES:     # the side files first: a database without its -wal is older, never mixed
        side = Path(f"{path}{suffix}")
        if side.exists():
            os.rename(side, f"{target}{suffix}")
    if path.exists():
        os.rename(path, target)
    fsync_dir(path.parent)
    log.warning("Set the database %s aside as %s", path, target)
    return target


def backups(home: str | Path) -> list[Backup]:
    """The backups in ``<home>/backups``, the newest first."""
    folder = Path(home) / BACKUP_DIR
    found = []
    for file in folder.glob("hearth-*.db"):
        try:
            stat = file.stat()
        except OSError:
            continue
        found.append(Backup(file, datetime.datetime.fromtimestamp(stat.st_mtime), stat.st_size))
    return sorted(found, key=lambda b: (b.taken, b.path.name), reverse=True)


def restore(backup: Backup | str | Path, path: str | Path) -> Path | None:
    """Put ``backup`` in place of the database at ``path``; returns where the old file was set aside (or None).

    The backup is checked first (a damaged one raises ``DatabaseCorrupt`` and nothing moves),
    copied beside the database under a temporary name, then moved into place.
    """
    source = backup.path if isinstance(backup, Backup) else Path(backup)
    path = Path(path)
    health = check(source)
    if not health.ok:
        raise DatabaseCorrupt(f"The backup {source} is damaged too: {health.problem.splitlines()[0]}",
                              hint="Pick an older backup, or keep the database aside and start fresh.", path=source,
                              reason="backup", params={"problem": health.problem.splitlines()[0]})
    temp = path.with_name(f".{path.name}.restoring-{os.getpid()}")
    try:
        _vacuum_into(source, temp)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    aside = set_aside(path) if path.exists() else None
    os.replace(temp, path)
    fsync_dir(path.parent)
    log.warning("Restored %s from %s", path, source)
    return aside


def backup_now(conn: sqlite3.Connection, path: str | Path, *, label: str = "", keep: int = KEEP) -> Path | None:
    """Write a backup of the database ``conn`` has open (at ``path``) with ``VACUUM INTO``; rotate to ``keep``.

    Written under a temporary name and moved into place, so a backup is whole or absent. A full disk
    (or any other failure) is logged and skipped: returns None.
    """
    folder = backup_dir(path)
    name = f"hearth-{datetime.date.today().isoformat()}{'-' + label if label else ''}.db"
    final = folder / name
    temp = folder / f".{name}.tmp-{os.getpid()}-{threading.get_ident()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temp.unlink(missing_ok=True)
        conn.execute("VACUUM INTO ?", (str(temp),))
        os.replace(temp, final)
        fsync_dir(folder)
    except (sqlite3.Error, OSError) as exc:
        with_space = "full" in str(exc).lower() or getattr(exc, "errno", None) == 28
        log.warning("No backup of %s written%s: %s", path, " (the disk is full)" if with_space else "", exc)
        try:
            temp.unlink(missing_ok=True)
        except OSError:
            pass
        return None
    _rotate(folder, keep)
    log.info("Backed up %s to %s", path, final)
    return final


def daily_backup_due(path: str | Path) -> bool:
    """No backup of today yet."""
    return not any(backup_dir(path).glob(f"hearth-{datetime.date.today().isoformat()}*.db"))


def daily_backup(conn: sqlite3.Connection, path: str | Path) -> Path | None:
    """Today's backup, unless there is one already or the database fails ``quick_check``
    (a damaged copy would push a good one out of the rotation)."""
    if not daily_backup_due(path):
        return None
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check")]
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        rows = [str(exc)]
    if rows != ["ok"]:
        log.warning("No daily backup of %s: quick_check found %s", path, "; ".join(rows[:3]))
        return None
    return backup_now(conn, path)


def _rotate(folder: Path, keep: int) -> None:
    for old in backups(folder.parent)[keep:]:
        try:
            old.path.unlink()
        except OSError as exc:
            log.warning("Could not remove the old backup %s: %s", old.path, exc)


def _vacuum_into(source: Path, target: Path) -> None:
    conn = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)
    try:
        conn.execute("VACUUM INTO ?", (str(target),))
    except sqlite3.Error as exc:
        raise StoreError(f"Could not copy {source} to {target}: {exc}", path=target, reason="copy",
                         params={"source": str(source), "detail": str(exc)}) from exc
    finally:
        conn.close()


