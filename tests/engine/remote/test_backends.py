"""Backends stored in the home's database (migration m007), their API keys in the keychain only.

The keychain is a tiny in-memory keyring backend (``keyring.set_keyring``); after each test the Hearth
home is searched byte by byte for the key: it must be in no file (database, WAL, logs, backups).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from engine.errors import BackendExists, BackendNotFound
from engine.home import open_home
from engine.remote import Backend, Backends
from engine.remote import client, keys
from engine.store import migrations
from tests.remote_fake_server import FakeOpenAI, fake_openai  # noqa: F401

SECRET = "sk-hearth-test-5f1c0e9a7b"


class MemoryKeyring(KeyringBackend):
    """A keychain that lives in this process: what the OS keychain would hold, visible to the test."""

    priority = 1   # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.saved: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, username: str, password: str) -> None:
        self.saved[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self.saved.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        self.saved.pop((service, username), None)


@pytest.fixture
def keychain() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)


def _files_holding(root: Path, secret: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_backends_are_stored_in_order_with_their_settings(hearth_home: Path, keychain: MemoryKeyring) -> None:
    with open_home().store() as store:
        assert "m007_remote_backends" in migrations.applied(store.db)
        backends = Backends(store)
        backends.add(Backend("gpu-box", "http://192.168.1.20:8080/", preset="llama-server", model="qwen",
                             context_window=8192, vision=True))
        backends.add(Backend("cluster", "https://llm.example.org", preset="vllm", model="qwen", tools=True,
                             json_schema=True))
        with pytest.raises(BackendExists):
            backends.add(Backend("gpu-box", "http://other:1"))
    with open_home().store() as store:   # a new connection reads what the first wrote
        got = Backends(store).list()
    assert [(b.name, b.base_url, b.preset, b.model, b.context_window, b.vision, b.tools, b.json_schema)
            for b in got] == [("gpu-box", "http://192.168.1.20:8080/v1", "llama-server", "qwen", 8192, True, False,
                               False),
                              ("cluster", "https://llm.example.org/v1", "vllm", "qwen", None, False, True, True)]
    with open_home().store() as store:
        Backends(store).remove("gpu-box")
        assert [b.name for b in Backends(store).list()] == ["cluster"]
        with pytest.raises(BackendNotFound, match="gpu-box") as err:
            Backends(store).get("gpu-box")
        assert "hearth backends list" in err.value.hint


def test_the_key_goes_to_the_keychain_and_to_no_file(hearth_home: Path, keychain: MemoryKeyring,
                                                     fake_openai: FakeOpenAI) -> None:
    with open_home().store() as store:
        assert Backends(store).add(Backend("fake", fake_openai.url, api_key=SECRET)) is True
    assert list(keychain.saved.values()) == [SECRET]
    with open_home().store() as store:
        backend = Backends(store).get("fake")
        assert backend.api_key == SECRET and Backends(store).key_is_set("fake")
        row = store.conn.execute("SELECT * FROM remote_backends").fetchone()
        assert SECRET not in repr(tuple(row)) and row["key_in_keychain"] == 1
        client.test_connection(backend)   # the key is sent to the server, as a bearer token
    assert {r[2].get("Authorization") for r in fake_openai.requests} == {f"Bearer {SECRET}"}
    with open_home().store() as store:
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert _files_holding(hearth_home, SECRET) == []
    with open_home().store() as store:
        Backends(store).remove("fake")
    assert keychain.saved == {}


def test_without_a_keychain_the_key_is_kept_for_the_session_only(hearth_home: Path) -> None:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        assert not keys.keychain_available()
        with open_home().store() as store:
            assert Backends(store).add(Backend("fake", "http://127.0.0.1:9", api_key=SECRET)) is False
            assert Backends(store).get("fake").api_key == SECRET   # this session still has it
            assert store.conn.execute("SELECT key_in_keychain FROM remote_backends").fetchone()[0] == 0
            Backends(store).remove("fake")
            assert keys.get_key(str(store.path.parent), "fake") is None
    finally:
        keyring.set_keyring(before)
    assert _files_holding(hearth_home, SECRET) == []
