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


def m003_knowledge(db: Database) -> None:
    """Knowledge collections: their sources, files, chunks (with embeddings), job queue, and use by conversations."""
    db.executescript(
        """
        CREATE TABLE kb_collections (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            created_at REAL NOT NULL,
            embed_model TEXT,
            embed_dim INTEGER,
            vectors_version INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL DEFAULT 'idle' CHECK (state IN ('idle', 'indexing', 'paused'))
        );
        CREATE TABLE kb_sources (
            id INTEGER PRIMARY KEY,
            collection_id INTEGER NOT NULL REFERENCES kb_collections(id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            is_dir INTEGER NOT NULL,
            added_at REAL NOT NULL,
            UNIQUE (collection_id, path)
        );
        CREATE TABLE kb_files (
            id INTEGER PRIMARY KEY,
            collection_id INTEGER NOT NULL REFERENCES kb_collections(id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            size INTEGER,
            mtime_ns INTEGER,
            sha256 TEXT,
            kind TEXT,
            status TEXT NOT NULL CHECK (status IN ('pending', 'indexed', 'failed', 'skipped')),
            reason TEXT,
            pages INTEGER,
            chunks INTEGER NOT NULL DEFAULT 0,
            seconds REAL,
            indexed_at REAL,
            UNIQUE (collection_id, path)
        );
        CREATE INDEX kb_files_status ON kb_files(collection_id, status);
        CREATE TABLE kb_chunks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            file_id INTEGER NOT NULL REFERENCES kb_files(id) ON DELETE CASCADE,
            collection_id INTEGER NOT NULL REFERENCES kb_collections(id) ON DELETE CASCADE,
            ord INTEGER NOT NULL,
            text TEXT NOT NULL,
            heading TEXT NOT NULL DEFAULT '',
            page INTEGER,
            line_start INTEGER NOT NULL,
            line_end INTEGER NOT NULL,
            tokens INTEGER NOT NULL,
            embedding BLOB
        );
        CREATE INDEX kb_chunks_file ON kb_chunks(file_id);
        CREATE INDEX kb_chunks_collection ON kb_chunks(collection_id);
        CREATE TABLE kb_chunk_removals (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            collection_id INTEGER NOT NULL,
            chunk_id INTEGER NOT NULL
        );
        CREATE TRIGGER kb_chunks_removed AFTER DELETE ON kb_chunks BEGIN
            INSERT INTO kb_chunk_removals(collection_id, chunk_id) VALUES (old.collection_id, old.id);
        END;
        CREATE TABLE kb_jobs (
            id INTEGER PRIMARY KEY,
            collection_id INTEGER NOT NULL REFERENCES kb_collections(id) ON DELETE CASCADE,
            file_id INTEGER NOT NULL UNIQUE REFERENCES kb_files(id) ON DELETE CASCADE,
            queued_at REAL NOT NULL
        );
        CREATE INDEX kb_jobs_collection ON kb_jobs(collection_id, id);
        CREATE TABLE conversation_knowledge (
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            collection_id INTEGER NOT NULL REFERENCES kb_collections(id) ON DELETE CASCADE,
            PRIMARY KEY (conversation_id, collection_id)
        );
        ALTER TABLE conversations ADD COLUMN documents_only INTEGER NOT NULL DEFAULT 0;
        """
    )
    if not trigram_supported():
        return  # keyword search falls back to LIKE
    db.executescript(
        """
        CREATE VIRTUAL TABLE kb_chunks_fts USING fts5(
            text, heading,
            content='kb_chunks', content_rowid='id',
            tokenize='trigram'
        );
        CREATE TRIGGER kb_chunks_fts_insert AFTER INSERT ON kb_chunks BEGIN
            INSERT INTO kb_chunks_fts(rowid, text, heading) VALUES (new.id, new.text, new.heading);
        END;
        CREATE TRIGGER kb_chunks_fts_delete AFTER DELETE ON kb_chunks BEGIN
            INSERT INTO kb_chunks_fts(kb_chunks_fts, rowid, text, heading)
            VALUES ('delete', old.id, old.text, old.heading);
        END;
        CREATE TRIGGER kb_chunks_fts_update AFTER UPDATE OF text, heading ON kb_chunks BEGIN
            INSERT INTO kb_chunks_fts(kb_chunks_fts, rowid, text, heading)
            VALUES ('delete', old.id, old.text, old.heading);
            INSERT INTO kb_chunks_fts(rowid, text, heading) VALUES (new.id, new.text, new.heading);
        END;
        """
    )


def m004_attachments(db: Database) -> None:
    """Files attached to messages: images and documents (their text kept), in order; the bytes live in
    content-addressed files beside the database (``attachments/ab/<sha256><suffix>``)."""
    db.executescript(
        """
        CREATE TABLE attachments (
            id INTEGER PRIMARY KEY,
            message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            ord INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('image', 'document')),
            name TEXT NOT NULL,
            mime TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            width INTEGER,
            height INTEGER,
            pages INTEGER,
            text TEXT NOT NULL DEFAULT '',
            tokens INTEGER,
            UNIQUE (message_id, ord)
        );
        CREATE INDEX attachments_sha256 ON attachments(sha256);
        """
    )


def fts5_supported(db: Database) -> bool:
    """Whether this SQLite has FTS5 (Python's builds do; a system library may not)."""
    return bool(db.execute("SELECT sqlite_compileoption_used('ENABLE_FTS5')").fetchone()[0])


def m005_terms(db: Database) -> None:
    """Keyword terms of each chunk (English stems, Chinese two-character grams, file title) in an FTS5
    table of plain tokens.

    The terms are computed in Python (engine.knowledge.normalize), so FTS5 only splits them: the ``ascii``
    tokenizer splits on ASCII spaces and punctuation, which terms never hold, and keeps every other
    character. A normal (content-storing) table: SQLite 3.40 cannot delete from a contentless one without
    the old values, and the trigger below could not compute them. Statements run one by one, not through
    ``executescript``, which would commit the migration's transaction halfway. The chunks indexed before
    this migration get their terms when the knowledge base first opens the database
    (``engine.knowledge.terms.fill_missing``): how text becomes terms is the knowledge layer's business.
    """
    if not fts5_supported(db):
        return  # keyword search scans instead
    conn = db.conn
    conn.execute("CREATE VIRTUAL TABLE kb_terms_fts USING fts5(terms, title, tokenize='ascii')")
    conn.execute(
        """
        CREATE TRIGGER kb_terms_fts_delete AFTER DELETE ON kb_chunks BEGIN
            DELETE FROM kb_terms_fts WHERE rowid = old.id;
        END
        """
    )


def m006_collection_embedder(db: Database) -> None:
    """Each collection's own embedding model: a model file's path or an installed model's name.

    NULL (every collection made before) means the knowledge base's default embedder, the one those
    collections were embedded with.
    """
    db.conn.execute("ALTER TABLE kb_collections ADD COLUMN embedder TEXT")


def m007_remote_backends(db: Database) -> None:
    """Remote OpenAI-compatible servers (llama-server, vLLM, Ollama…) Hearth can chat through.

    The API key is never stored here (engine.remote.keys keeps it in the OS keychain); ``key_in_keychain``
    says only whether one was set there.
    """
    db.executescript(
        """
        CREATE TABLE remote_backends (
            name TEXT PRIMARY KEY,
            base_url TEXT NOT NULL,
            preset TEXT NOT NULL CHECK (preset IN
                ('llama-server', 'vllm', 'sglang', 'ollama', 'lmstudio', 'openai-compatible')),
            model TEXT,
            context_window INTEGER,
            vision INTEGER NOT NULL DEFAULT 0,
            tools INTEGER NOT NULL DEFAULT 0,
            json_schema INTEGER NOT NULL DEFAULT 0,
            key_in_keychain INTEGER NOT NULL DEFAULT 0,
            position INTEGER NOT NULL,
            added_at REAL NOT NULL
        );
        """
    )


MIGRATIONS: list[Migration] = [m001_initial, m002_models, m003_knowledge, m004_attachments, m005_terms,
                               m006_collection_embedder, m007_remote_backends]


def applied(db: Database) -> list[str]:
    """Names of the migrations already applied, in order."""
    if not db[MIGRATIONS_TABLE].exists():
        return []
    return [row[0] for row in db.execute(f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY rowid")]


def pending(db: Database, migrations: list[Migration] | None = None) -> list[str]:
    """Names of the migrations not applied yet (read without writing)."""
    done = set(applied(db))
    return [step.__name__ for step in (MIGRATIONS if migrations is None else migrations) if step.__name__ not in done]


def apply(db: Database, migrations: list[Migration] | None = None) -> list[str]:
    """Apply every pending migration; returns the names of those applied now.

    Each step runs under ``BEGIN IMMEDIATE`` so two processes opening the
    same new database cannot both apply it.
    """
    steps = MIGRATIONS if migrations is None else migrations
    if not pending(db, steps):   # nothing to write: a read-only database opens too
        return []
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
