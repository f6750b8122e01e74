"""The one way to write to the database: ``BEGIN IMMEDIATE`` … ``COMMIT``.

Several connections (the window's, the engine thread's, the knowledge
thread's, a CLI's) share one WAL file. A deferred transaction that reads
first and writes later cannot wait for the write lock: when another
connection committed in between, SQLite fails at once with "database is
locked" whatever the busy timeout. A transaction that starts with
``BEGIN IMMEDIATE`` takes the write lock first, so it queues on the busy
timeout instead.

``connect`` opens a connection whose implicit transactions (Python's
sqlite3 opens one before a lone INSERT/UPDATE/DELETE) also begin
IMMEDIATE; ``write`` wraps several statements in one such transaction, and
becomes a savepoint when a transaction is already open. Keep slow work
(embedding, model calls, file copies) outside: the lock is held until the
block ends.
"""
from __future__ import annotations

import contextlib
import itertools
import sqlite3
from pathlib import Path
from typing import Iterator

from sqlite_utils import Database

BUSY_TIMEOUT_MS = 30_000   # writers queue on the lock; a reply's streamed updates are short

_savepoints = itertools.count(1)


def connect(path: str | Path) -> sqlite3.Connection:
    """A connection whose implicit transactions begin IMMEDIATE, waiting up to the busy timeout."""
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level="IMMEDIATE")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


@contextlib.contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: ``BEGIN IMMEDIATE``, then COMMIT, or ROLLBACK when the block raises.

    Inside an open transaction it is a savepoint of that transaction.
    """
    if conn.in_transaction:
        name = f"hearth_write_{next(_savepoints)}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:  # an error may already have ended the transaction
                conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        conn.execute(f"RELEASE SAVEPOINT {name}")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


class WriteDatabase(Database):
    """sqlite-utils' Database whose ``atomic()`` (used by ``insert``, ``update`` …) begins IMMEDIATE."""

    @contextlib.contextmanager
    def atomic(self) -> Iterator["WriteDatabase"]:  # type: ignore[override]
        with write(self.conn):
            yield self

    def begin(self) -> None:
        self.execute("BEGIN IMMEDIATE")
