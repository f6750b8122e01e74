"""The user's remote backends, stored in the home's database (table ``remote_backends``, migration m007).

Keys go to the keychain through ``keys``; the database records only whether one is there.
"""
from __future__ import annotations

import sqlite3
import time

from engine.errors import BackendExists, BackendNotFound
from engine.remote import keys
from engine.remote.backend import Backend
from engine.store import Store

_COLUMNS = "name, base_url, preset, model, context_window, vision, tools, json_schema, key_in_keychain"


class Backends:
    """Add, list, find and remove backends of one Hearth home (one ``Store``, so one thread)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._home = str(store.path.parent)

    def add(self, backend: Backend, *, replace: bool = False) -> bool:
        """Store ``backend`` (its key in the keychain). Returns whether the key, if any, is in the keychain:
        False means it is kept for this session only (no keychain on this machine)."""
        in_keychain = False
        if backend.api_key:
            in_keychain = keys.set_key(self._home, backend.name, backend.api_key)
        with self.store.write() as conn:
            exists = conn.execute("SELECT 1 FROM remote_backends WHERE name = ?", (backend.name,)).fetchone()
            if exists and not replace:
                raise BackendExists(f"A backend named {backend.name!r} exists already.", params={"name": backend.name})
            position = exists and conn.execute("SELECT position FROM remote_backends WHERE name = ?",
                                               (backend.name,)).fetchone()[0]
            if not exists:
                position = conn.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM remote_backends").fetchone()[0]
            conn.execute(
                "INSERT OR REPLACE INTO remote_backends (name, base_url, preset, model, context_window, vision, "
                "tools, json_schema, key_in_keychain, position, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (backend.name, backend.base_url, backend.preset, backend.model, backend.context_window,
                 int(backend.vision), int(backend.tools), int(backend.json_schema), int(in_keychain),
                 position, time.time()))
        if not backend.api_key:
            keys.delete_key(self._home, backend.name)
        return in_keychain or not backend.api_key

    def list(self, *, with_keys: bool = True) -> list[Backend]:
        """Every backend in the order added (failover tries them in this order), keys filled in unless
        ``with_keys`` is False (a listing that never sends anything need not ask the keychain)."""
        rows = self.store.conn.execute(f"SELECT {_COLUMNS} FROM remote_backends ORDER BY position").fetchall()
        return [self._backend(row, with_keys) for row in rows]

    def get(self, name: str) -> Backend:
        row = self.store.conn.execute(f"SELECT {_COLUMNS} FROM remote_backends WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise BackendNotFound(f"There is no backend named {name!r}.", params={"name": name})
        return self._backend(row)

    def remove(self, name: str) -> None:
        with self.store.write() as conn:
            gone = conn.execute("DELETE FROM remote_backends WHERE name = ?", (name,)).rowcount
        if not gone:
            raise BackendNotFound(f"There is no backend named {name!r}.", params={"name": name})
        keys.delete_key(self._home, name)

    def key_is_set(self, name: str) -> bool:
        return keys.get_key(self._home, name) is not None

    def _backend(self, row: sqlite3.Row | tuple, with_key: bool = True) -> Backend:
        name, base_url, preset, model, ctx, vision, tools, schema, _ = tuple(row)
        return Backend(name=name, base_url=base_url, preset=preset, model=model, context_window=ctx,
                       vision=bool(vision), tools=bool(tools), json_schema=bool(schema),
                       api_key=keys.get_key(self._home, name) if with_key else None)
