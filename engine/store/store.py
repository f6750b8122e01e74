"""The store: one SQLite database per Hearth home.

Conversations hold a tree of messages: ``parent_id`` links a message to
the one it follows, and regenerating or editing adds a sibling, so nothing
is ever overwritten. Every write commits at once; a reply being streamed
is saved as it grows, and one left ``streaming`` by a process that died is
marked ``interrupted`` the next time the database is opened.

A Store's connection belongs to the thread that opened it. Several Stores
(threads, processes) may share one file: every write transaction begins
IMMEDIATE (see ``transactions``), so writers queue instead of failing.
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from engine.store.attachment_files import KINDS, Attachment, copy_into, stored_path

from engine.errors import ConversationNotFound, DatabaseReadOnly, DiskFull, MessageNotFound, StoreError
from engine.store import export, migrations, recovery, search as _search
from engine.store.errors_map import guard, translate, translating
from engine.store.pids import pid_alive
from engine.store.transactions import BUSY_TIMEOUT_MS, WriteDatabase, connect, write
from engine.store.records import (
    CONTEXT_POLICIES,
    ROLES,
    STATUSES,
    Conversation,
    Message,
    SearchHit,
    dump_json,
)

log = logging.getLogger(__name__)

CONVERSATION_FIELDS = frozenset(
    {"title", "model_path", "system_prompt", "sampling", "context_policy", "ctx_size", "current_leaf_id"}
)
MESSAGE_FIELDS = frozenset(
    {
        "content", "reasoning", "status", "error", "prompt_tokens", "completion_tokens",
        "prompt_evaluated", "ttft_ms", "tokens_per_s", "record", "writer_pid",
    }
)


@translating
class Store:
    """Conversations and their message trees, in one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            existed = self.path.exists() and self.path.stat().st_size > 0
            conn = connect(self.path)
        except (OSError, sqlite3.Error) as exc:
            raise _opening_error(exc, self.path) from exc
        conn.row_factory = sqlite3.Row
        try:
            with guard(self.path):
                self.db = WriteDatabase(conn)
                _use_wal(conn)
                self.db.execute("PRAGMA synchronous = NORMAL")
                self.db.execute("PRAGMA foreign_keys = ON")
                todo = migrations.pending(self.db)
                if existed and todo and migrations.applied(self.db):  # an existing schema is about to change
                    recovery.backup_now(conn, self.path, label=f"before-{todo[0]}")
                applied = migrations.apply(self.db)
                if applied:
                    log.info("Applied migrations to %s: %s", self.path, ", ".join(applied))
                elif existed:
                    recovery.daily_backup(conn, self.path)
                self._use_fts = self.db["messages_fts"].exists()
            try:
                self.recover_interrupted()
            except (DatabaseReadOnly, DiskFull) as exc:   # reading still works; writes say why they cannot
                log.warning("%s", exc)
        except BaseException:
            conn.close()
            raise

    @classmethod
    def open_default(cls) -> "Store":
        """The store of the current Hearth home."""
        from engine.paths import paths

        return cls(paths().database)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``; ROLLBACK when the block raises).

        Nested in an open transaction it is a savepoint. Do nothing slow inside: other writers wait.
        """
        with guard(self.path), write(self.conn) as conn:
            yield conn

    @property
    def schema_version(self) -> int:
        """How many migrations have been applied."""
        return len(migrations.applied(self.db))

    def integrity_check(self) -> str:
        """'ok' when SQLite finds nothing wrong (the full-text index included)."""
        rows = [row[0] for row in self.conn.execute("PRAGMA integrity_check")]
        result = "ok" if rows == ["ok"] else "\n".join(str(r) for r in rows)
        if result == "ok" and self._use_fts:
            try:
                self.db.execute("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)")
            except sqlite3.DatabaseError as exc:
                result = f"full-text index: {exc}"
        return result

    def recover_interrupted(self) -> list[int]:
        """Mark replies left 'streaming' by a dead process as 'interrupted'.

        Returns the ids of the messages changed.
        """
        rows = self.conn.execute(
            "SELECT id, writer_pid FROM messages WHERE status = 'streaming'"
        ).fetchall()
        orphans = [row["id"] for row in rows if not pid_alive(row["writer_pid"])]
        if orphans:
            now = time.time()
            with self.write():
                self.conn.executemany(
                    "UPDATE messages SET status = 'interrupted', updated_at = ? WHERE id = ? AND status = 'streaming'",
                    [(now, mid) for mid in orphans],
                )
            log.info("Marked %d interrupted message(s) in %s", len(orphans), self.path)
        return orphans

    # --- conversations ------------------------------------------------------

    def create_conversation(
        self,
        *,
        title: str = "",
        model_path: str | None = None,
        system_prompt: str = "",
        sampling: Mapping[str, Any] | None = None,
        context_policy: str = "drop_oldest",
        ctx_size: int | None = None,
    ) -> Conversation:
        _check_policy(context_policy)
        now = time.time()
        table = self.db["conversations"]
        with self.write():
            table.insert(  # type: ignore[union-attr]
                {
                    "title": title,
                    "created_at": now,
                    "updated_at": now,
                    "model_path": model_path,
                    "system_prompt": system_prompt,
                    "sampling": dump_json(sampling),
                    "context_policy": context_policy,
                    "ctx_size": ctx_size,
                }
            )
            conversation_id = int(table.last_pk)  # type: ignore[union-attr,arg-type]
        return self.conversation(conversation_id)

    def conversation(self, conversation_id: int) -> Conversation:
        row = self.conn.execute("SELECT * FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        if row is None:
            raise ConversationNotFound(f"Conversation {conversation_id} does not exist.")
        return Conversation.from_row(row)

    def conversations(self, *, limit: int = 200, offset: int = 0) -> list[Conversation]:
        """Conversations not deleted, the most recently updated first."""
        rows = self.conn.execute(
            "SELECT * FROM conversations WHERE deleted_at IS NULL "
            "ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
        return [Conversation.from_row(row) for row in rows]

    def update_conversation(self, conversation_id: int, **fields: Any) -> Conversation:
        unknown = set(fields) - CONVERSATION_FIELDS
        if unknown:
            raise TypeError(f"Unknown conversation field(s): {', '.join(sorted(unknown))}")
        self.conversation(conversation_id)
        updates = dict(fields)
        if "sampling" in updates:
            updates["sampling"] = dump_json(updates["sampling"])
        if "context_policy" in updates:
            _check_policy(updates["context_policy"])
        leaf = updates.get("current_leaf_id")
        if leaf is not None and self.message(leaf).conversation_id != conversation_id:
            raise MessageNotFound(f"Message {leaf} is not in conversation {conversation_id}.")
        updates["updated_at"] = time.time()
        with self.write():
            self.db["conversations"].update(conversation_id, updates)  # type: ignore[union-attr]
        return self.conversation(conversation_id)

    def delete_conversation(self, conversation_id: int) -> None:
        """Hide a conversation; ``restore_conversation`` brings it back."""
        self._set_deleted(conversation_id, time.time())

    def restore_conversation(self, conversation_id: int) -> None:
        self._set_deleted(conversation_id, None)

    def _set_deleted(self, conversation_id: int, when: float | None) -> None:
        with self.write():
            cursor = self.conn.execute(
                "UPDATE conversations SET deleted_at = ? WHERE id = ?", (when, conversation_id)
            )
        if cursor.rowcount == 0:
            raise ConversationNotFound(f"Conversation {conversation_id} does not exist.")

    def purge_deleted(self, older_than_s: float = 0) -> int:
        """Erase conversations deleted at least ``older_than_s`` ago, with their messages."""
        cutoff = time.time() - older_than_s
        with self.write():
            cursor = self.conn.execute(
                "DELETE FROM conversations WHERE deleted_at IS NOT NULL AND deleted_at <= ?", (cutoff,)
            )
        return cursor.rowcount

    # --- messages -----------------------------------------------------------

    def add_message(
        self,
        conversation_id: int,
        role: str,
        content: str,
        *,
        parent_id: int | None,
        status: str = "complete",
        reasoning: str = "",
        **fields: Any,
    ) -> Message:
        """Add a message under ``parent_id`` and make it the conversation's current leaf."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {role!r}")
        _check_status(status)
        unknown = set(fields) - MESSAGE_FIELDS
        if unknown:
            raise TypeError(f"Unknown message field(s): {', '.join(sorted(unknown))}")
        self.conversation(conversation_id)
        if parent_id is not None and self.message(parent_id).conversation_id != conversation_id:
            raise MessageNotFound(f"Message {parent_id} is not in conversation {conversation_id}.")
        now = time.time()
        row: dict[str, Any] = {
            "conversation_id": conversation_id,
            "parent_id": parent_id,
            "role": role,
            "content": content,
            "reasoning": reasoning,
            "status": status,
            "created_at": now,
            "updated_at": now,
            "writer_pid": os.getpid() if status == "streaming" else None,
        }
        row.update(fields)
        row["record"] = dump_json(fields.get("record"))
        table = self.db["messages"]
        with self.write():
            table.insert(row)  # type: ignore[union-attr]
            message_id = int(table.last_pk)  # type: ignore[union-attr,arg-type]
            self.conn.execute(
                "UPDATE conversations SET current_leaf_id = ?, updated_at = ? WHERE id = ?",
                (message_id, now, conversation_id),
            )
        return self.message(message_id)

    def update_message(self, message_id: int, **fields: Any) -> None:
        """Change a message's fields (content, status, timings, record…); commits."""
        unknown = set(fields) - MESSAGE_FIELDS
        if unknown:
            raise TypeError(f"Unknown message field(s): {', '.join(sorted(unknown))}")
        if "status" in fields:
            _check_status(fields["status"])
            if fields["status"] == "streaming":
                fields.setdefault("writer_pid", os.getpid())
        if "record" in fields:
            fields["record"] = dump_json(fields["record"])
        fields["updated_at"] = time.time()
        columns = ", ".join(f"{name} = ?" for name in fields)
        with self.write():
            cursor = self.conn.execute(
                f"UPDATE messages SET {columns} WHERE id = ?", [*fields.values(), message_id]
            )
        if cursor.rowcount == 0:
            raise MessageNotFound(f"Message {message_id} does not exist.")

    def message(self, message_id: int) -> Message:
        row = self.conn.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
        if row is None:
            raise MessageNotFound(f"Message {message_id} does not exist.")
        return Message.from_row(row)

    def messages(self, conversation_id: int) -> list[Message]:
        """Every message of a conversation, all branches, in creation order."""
        self.conversation(conversation_id)
        rows = self.conn.execute(
            "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,)
        ).fetchall()
        return [Message.from_row(row) for row in rows]

    def thread(self, conversation_id: int, leaf_id: int | None = None) -> list[Message]:
        """The branch from the root to ``leaf_id`` (default: the current leaf), root first."""
        conversation = self.conversation(conversation_id)
        if leaf_id is None:
            leaf_id = conversation.current_leaf_id
        if leaf_id is None:
            newest = self.conn.execute(
                "SELECT max(id) FROM messages WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()[0]
            if newest is None:
                return []
            leaf_id = int(newest)
        elif self.message(leaf_id).conversation_id != conversation_id:
            raise MessageNotFound(f"Message {leaf_id} is not in conversation {conversation_id}.")
        rows = self.conn.execute(
            """
            WITH RECURSIVE branch(id, depth) AS (
                SELECT ?, 0
                UNION ALL
                SELECT m.parent_id, branch.depth + 1
                FROM messages m JOIN branch ON m.id = branch.id
                WHERE m.parent_id IS NOT NULL
            )
            SELECT messages.* FROM branch JOIN messages ON messages.id = branch.id
            ORDER BY branch.depth DESC
            """,
            (leaf_id,),
        ).fetchall()
        return [Message.from_row(row) for row in rows]

    def siblings(self, message_id: int) -> list[Message]:
        """Messages sharing this one's parent (itself included), in creation order."""
        message = self.message(message_id)
        rows = self.conn.execute(
            "SELECT * FROM messages WHERE conversation_id = ? AND parent_id IS ? ORDER BY id",
            (message.conversation_id, message.parent_id),
        ).fetchall()
        return [Message.from_row(row) for row in rows]

    def leaf_of(self, message_id: int) -> int:
        """Follow the newest child down to a leaf (switching to a sibling's branch)."""
        self.message(message_id)
        current = message_id
        while True:
            child = self.conn.execute(
                "SELECT max(id) FROM messages WHERE parent_id = ?", (current,)
            ).fetchone()[0]
            if child is None:
                return current
            current = int(child)

    # --- attachments ----------------------------------------------------------

    @property
    def attachments_dir(self) -> Path:
        """Where attached files are kept: ``attachments`` beside the database (``paths().attachments``)."""
        return self.path.parent / "attachments"

    def add_attachments(self, message_id: int, atts: Sequence[Attachment], *,
                        tokens: Sequence[int | None] | None = None) -> list[Attachment]:
        """Attach files to a message, after those it has; ``tokens`` are what each takes of the context.

        A file whose copy is not in this store's folder yet is copied there first. Returns the
        attachments as stored (with their ``id``).
        """
        self.message(message_id)
        if tokens is not None and len(tokens) != len(atts):
            raise ValueError("tokens must give one count per attachment")
        for att in atts:
            if att.kind not in KINDS:
                raise ValueError(f"kind must be one of {KINDS}, not {att.kind!r}")
        copies = [copy_into(att, self.attachments_dir) for att in atts]
        stored: list[Attachment] = []
        with self.write():
            start = self.conn.execute("SELECT coalesce(max(ord) + 1, 0) FROM attachments WHERE message_id = ?",
                                      (message_id,)).fetchone()[0]
            for i, att in enumerate(copies):
                cursor = self.conn.execute(
                    "INSERT INTO attachments (message_id, ord, kind, name, mime, sha256, size, width, height, "
                    "pages, text, tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (message_id, start + i, att.kind, att.name, att.mime, att.sha256, att.size, att.width,
                     att.height, att.pages, att.text, None if tokens is None else tokens[i]))
                stored.append(dataclasses.replace(att, id=int(cursor.lastrowid or 0),
                                                  tokens=None if tokens is None else tokens[i]))
        return stored

    def attachments(self, message_id: int) -> list[Attachment]:
        """The files attached to a message, in the order they were attached."""
        return self.attachments_of([message_id]).get(message_id, [])

    def attachments_of(self, message_ids: Sequence[int]) -> dict[int, list[Attachment]]:
        """Attachments of several messages at once: message id -> its attachments (messages with none left out)."""
        found: dict[int, list[Attachment]] = {}
        ids = list(dict.fromkeys(message_ids))
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            rows = self.conn.execute(
                f"SELECT * FROM attachments WHERE message_id IN ({', '.join('?' * len(part))}) "
                "ORDER BY message_id, ord", part).fetchall()
            for row in rows:
                found.setdefault(row["message_id"], []).append(self._attachment(row))
        return found

    def _attachment(self, row: sqlite3.Row) -> Attachment:
        return Attachment(kind=row["kind"], name=row["name"], sha256=row["sha256"], size=row["size"],
                          mime=row["mime"],
                          stored=stored_path(self.attachments_dir, row["sha256"], row["kind"], row["name"],
                                             row["mime"]),
                          width=row["width"], height=row["height"], text=row["text"], pages=row["pages"],
                          id=row["id"], tokens=row["tokens"])

    # --- search and export --------------------------------------------------

    def search(self, query: str, *, limit: int = 50) -> list[SearchHit]:
        """Messages of non-deleted conversations containing every word of ``query``."""
        return _search.search(self.conn, query, limit=limit, use_fts=self._use_fts)

    def export_markdown(self, conversation_id: int, leaf_id: int | None = None) -> str:
        thread = self.thread(conversation_id, leaf_id)
        return export.to_markdown(self.conversation(conversation_id), thread,
                                  self.attachments_of([m.id for m in thread]))

    def export_json(self, conversation_id: int, leaf_id: int | None = None) -> dict[str, Any]:
        thread_ids = [message.id for message in self.thread(conversation_id, leaf_id)]
        messages = self.messages(conversation_id)
        return export.to_json(self.conversation(conversation_id), messages, thread_ids,
                              self.attachments_of([m.id for m in messages]))

    def children(self, conversation_id: int) -> dict[int | None, list[int]]:
        """Each message's replies or edits, by parent id (None: the first messages), oldest first."""
        rows = self.conn.execute(
            "SELECT id, parent_id FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,)
        ).fetchall()
        found: dict[int | None, list[int]] = {}
        for row in rows:
            found.setdefault(row["parent_id"], []).append(row["id"])
        return found


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL. Two connections opening a new file at once can both try;
    the switch takes a lock that SQLite's busy timeout does not wait for, so retry."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            conn.execute("PRAGMA journal_mode = WAL").fetchall()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _opening_error(exc: BaseException, path: Path) -> BaseException:
    translated = translate(exc, path)
    if translated is exc:
        return StoreError(f"Could not open the database {path}: {exc}", path=path)
    return translated


def _check_policy(policy: str) -> None:
    if policy not in CONTEXT_POLICIES:
        raise ValueError(f"context_policy must be one of {CONTEXT_POLICIES}, not {policy!r}")


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
