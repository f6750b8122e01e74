"""Schema migrations, applied in order when a database is opened.

Following simonw/llm: one function per step (``m001_…``, ``m002_…``), each
run inside its own transaction together with the row in ``_migrations``
that records it, so a step is applied entirely or not at all, and never
twice. Add new steps at the end of ``MIGRATIONS``; never edit an old one.
"""
from __future__ import annotations

import sqlite3
import time
from typing import Callable

from sqlite_utils import Database

Migration = Callable[[Database], None]

MIGRATIONS_TABLE = "_migrations"
TRIGRAM_MIN_VERSION = (3, 34, 0)


def trigram_supported() -> bool:
    """FTS5's trigram tokenizer needs SQLite 3.34 or newer."""
    return sqlite3.sqlite_version_info >= TRIGRAM_MIN_VERSION


def m001_initial(db: Database) -> None:
    """Conversations, the message tree and its full-text index."""
    db.executescript(
        """
        CREATE TABLE conversations (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            model_path TEXT,
            system_prompt TEXT NOT NULL DEFAULT '',
            sampling TEXT NOT NULL DEFAULT '{}',
            context_policy TEXT NOT NULL DEFAULT 'drop_oldest',
            ctx_size INTEGER,
            current_leaf_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
            deleted_at REAL
        );
        CREATE INDEX conversations_listing ON conversations(deleted_at, updated_at);

        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL
                REFERENCES conversations(id) ON DELETE CASCADE,
            parent_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            content TEXT NOT NULL DEFAULT '',
            reasoning TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'complete',
            error TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            prompt_evaluated INTEGER,
            ttft_ms REAL,
            tokens_per_s REAL,
            record TEXT NOT NULL DEFAULT '{}',
            writer_pid INTEGER
        );
        CREATE INDEX messages_tree ON messages(conversation_id, parent_id);
        CREATE INDEX messages_parent ON messages(parent_id);
        CREATE INDEX messages_status ON messages(status);
        """
    )
    if not trigram_supported():
        # Search falls back to LIKE when the index is missing.
        return
    db.executescript(
        """
        CREATE VIRTUAL TABLE messages_fts USING fts5(
            content, reasoning,
            content='messages', content_rowid='id',
            tokenize='trigram'
        );
        CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
            INSERT INTO messages_fts(rowid, content, reasoning)
            VALUES (new.id, new.content, new.reasoning);
        END;
        CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content, reasoning)
            VALUES ('delete', old.id, old.content, old.reasoning);
        END;
        CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, reasoning ON messages BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content, reasoning)
            VALUES ('delete', old.id, old.content, old.reasoning);
            INSERT INTO messages_fts(rowid, content, reasoning)
            VALUES (new.id, new.content, new.reasoning);
        END;
        """
    )


def m002_models(db: Database) -> None:
    """Models the user added from elsewhere, downloaded, or removed (the starter can only be hidden)."""
    db.executescript(
        """
        CREATE TABLE models (
            path TEXT PRIMARY KEY,
            source TEXT NOT NULL CHECK (source IN ('imported', 'downloaded', 'starter')),
            repo_id TEXT,
            sha256 TEXT,
            added_at REAL NOT NULL,
            hidden INTEGER NOT NULL DEFAULT 0
        );
        """
    )


MIGRATIONS: list[Migration] = [m001_initial, m002_models]


def applied(db: Database) -> list[str]:
    """Names of the migrations already applied, in order."""
    if not db[MIGRATIONS_TABLE].exists():
        return []
    return [row[0] for row in db.execute(f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY rowid")]


def apply(db: Database, migrations: list[Migration] | None = None) -> list[str]:
    """Apply every pending migration; returns the names of those applied now.

    Each step runs under ``BEGIN IMMEDIATE`` so two processes opening the
    same new database cannot both apply it.
    """
    steps = MIGRATIONS if migrations is None else migrations
    db.execute(
        f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} "
        "(name TEXT PRIMARY KEY, applied_at REAL NOT NULL)"
    )
    done: list[str] = []
    for step in steps:
        name = step.__name__
        conn = db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            already = conn.execute(
                f"SELECT 1 FROM {MIGRATIONS_TABLE} WHERE name = ?", (name,)
            ).fetchone()
            if already is None:
                step(db)
                conn.execute(
                    f"INSERT INTO {MIGRATIONS_TABLE} (name, applied_at) VALUES (?, ?)",
                    (name, time.time()),
                )
                done.append(name)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return done
