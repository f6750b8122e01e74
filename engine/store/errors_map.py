"""SQLite's errors, translated into Hearth's in one place.

Once the database is open, what goes wrong is rarely Hearth's fault: the disk
fills up mid-reply, the file turns read-only, pages get damaged (SQLite says
``database disk image is malformed``; a damaged schema can even make Python
fail to decode SQLite's own error message, a ``UnicodeDecodeError``). Each
becomes one of ``engine.errors``' store errors, naming the file and the way
out. ``translating`` applies this to every public method of a class, so call
sites never see ``sqlite3`` exceptions; ``guard`` does it for a block.
"""
from __future__ import annotations

import contextlib
import errno
import functools
import inspect
import os
import sqlite3
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

from engine.errors import (
    DatabaseCorrupt,
    DatabaseReadOnly,
    DatabaseUnavailable,
    DiskFull,
    HearthError,
    StoreError,
)

T = TypeVar("T")

# SQLite's primary result codes (the low byte of an extended code)
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR = 5, 6, 8, 10
SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 11, 13, 14, 26

# Mistakes in Hearth's own code (wrong thread, bad SQL, a broken constraint) stay as they are: bugs, not the disk.
_OURS = (sqlite3.ProgrammingError, sqlite3.InterfaceError, sqlite3.IntegrityError)
_CORRUPT_WORDS = ("malformed", "not a database", "corrupt", "file is encrypted")


def _hint_corrupt(path: Path) -> str:
    return (f"The database {path} is damaged. Open the Hearth window: it offers to restore the newest backup "
            f"(from {path.parent / 'backups'}) or to keep the damaged file aside and start fresh. Nothing is deleted.")


def translate(exc: BaseException, path: str | Path) -> BaseException:
    """The Hearth error standing for ``exc`` (``exc`` itself when it is not a database problem)."""
    if isinstance(exc, HearthError):
        return exc
    path = Path(path)
    if isinstance(exc, UnicodeDecodeError):   # SQLite's message quoted bytes from a damaged schema
        return DatabaseCorrupt(f"The database {path} is damaged: its schema cannot be read ({exc.reason}).",
                               hint=_hint_corrupt(path), path=path)
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        where = exc.filename or path
        return DiskFull(f"The disk is full: {where} could not be written.",
                        hint=f"Free some disk space on the disk holding {path.parent}, then try again. "
                             "Everything saved before is kept.", path=path,
                        params={"where": str(where), "folder": str(path.parent)})
    if not isinstance(exc, sqlite3.Error) or isinstance(exc, _OURS):
        return exc
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    text = str(exc)
    lowered = text.lower()
    if code == SQLITE_FULL or "disk is full" in lowered:
        return DiskFull(f"The disk is full: the database {path} could not be written ({text}).",
                        hint=f"Free some disk space on the disk holding {path.parent}, then try again. "
                             "Everything saved before is kept.", path=path,
                        params={"where": str(path), "folder": str(path.parent)})
    if code == SQLITE_READONLY or "readonly database" in lowered or "read-only" in lowered:
        return DatabaseReadOnly(f"The database {path} is read-only ({text}).",
                                hint=f"Check the permissions of {path} and of its folder {path.parent}: "
                                     "Hearth needs to write to both (and the -wal and -shm files beside it).",
                                path=path, params={"folder": str(path.parent)})
    if code == SQLITE_CANTOPEN and path.parent.is_dir() and not os.access(path.parent, os.W_OK):
        return DatabaseReadOnly(f"The database {path} cannot be opened: its folder is read-only ({text}).",
                                hint=f"Check the permissions of {path.parent}: Hearth needs to write there "
                                     "(the -wal and -shm files beside the database).", path=path,
                                reason="folder", params={"folder": str(path.parent)})
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB) or any(word in lowered for word in _CORRUPT_WORDS):
        return DatabaseCorrupt(f"The database {path} is damaged ({text}).", hint=_hint_corrupt(path), path=path)
    if code in (SQLITE_IOERR, SQLITE_CANTOPEN) or "disk i/o error" in lowered or "unable to open" in lowered:
        return DatabaseUnavailable(f"The database {path} could not be read or written ({text}).",
                                   hint=f"Check that the disk holding {path} is connected and healthy, and the "
                                        f"permissions of {path} and of its folder.", path=path)
    if code in (SQLITE_BUSY, SQLITE_LOCKED) or "locked" in lowered:
        return StoreError(f"The database {path} stayed locked by another program ({text}).",
                          hint="Another Hearth (window or terminal) is writing a lot at once. Try again in a moment.",
                          path=path)
    return StoreError(f"The database {path} could not be used ({text}).", path=path)


def _database_errors() -> tuple[type[BaseException], ...]:
    return (sqlite3.Error, UnicodeDecodeError, OSError)


@contextlib.contextmanager
def guard(path: str | Path) -> Iterator[None]:
    """Translate database errors raised in the block (see ``translate``)."""
    try:
        yield
    except _database_errors() as exc:
        translated = translate(exc, path)
        if translated is exc:
            raise
        raise translated from exc


def _wrap(func: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(func)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> T:
        with guard(self.path):
            return func(self, *args, **kwargs)
    return wrapper


def translating(cls: type[T]) -> type[T]:
    """Class decorator: every public method (and property) of ``cls`` translates database errors.

    The instance must have a ``path``. Generator functions and context managers
    are left alone (their body runs after the call returns): guard them inside.
    """
    for name, value in list(vars(cls).items()):
        if name.startswith("_"):
            continue
        if isinstance(value, property) and value.fget is not None:
            setattr(cls, name, property(_wrap(value.fget), value.fset, value.fdel, value.__doc__))
        elif inspect.isfunction(value) and not inspect.isgeneratorfunction(value) \
                and not getattr(value, "__wrapped__", None):
            setattr(cls, name, _wrap(value))
    return cls
