"""Starting the window on a damaged database: the user is asked, the damaged file is kept aside, the window opens."""
from __future__ import annotations

import hashlib
import random
import sqlite3
from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtWidgets import QMessageBox, QPushButton

from desktop.app import HearthApp, check_database
from engine import paths
from engine.runtime.scripted import ScriptedRuntime
from engine.store import Store, recovery
from tests.window_helpers import close_app, make_app

PAGE = 4096


def damaged_home(backup: bool) -> tuple[Path, str]:
    """A home whose database has damaged pages (and, with ``backup``, today's backup taken before)."""
    db = paths().database
    with Store(db) as store:
        for n in range(20):
            conv = store.create_conversation(title=f"conversation {n}")
            store.add_message(conv.id, "user", "hello " * 200, parent_id=None)
    if backup:
        Store(db).close()                         # the first open of the day on an existing file backs it up
    conn = sqlite3.connect(db)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'conversations'").fetchone()[0]
    conn.close()
    data = bytearray(db.read_bytes())
    data[(root - 1) * PAGE:(root - 1) * PAGE + 16] = random.Random(5).randbytes(16)
    db.write_bytes(bytes(data))
    assert not recovery.check(db).ok
    return db, hashlib.sha256(bytes(data)).hexdigest()


class Shown(list):
    """The dialogs shown; ``answer["button"]`` names the button to click (its objectName)."""

    answer: dict[str, str]


@pytest.fixture
def choose(monkeypatch: pytest.MonkeyPatch) -> Iterator[Shown]:
    """QMessageBox.exec replaced: it clicks the chosen button instead of waiting for the user."""
    shown = Shown()
    shown.answer = answer = {}

    def fake_exec(box: QMessageBox) -> int:
        shown.append(box)
        box.findChild(QPushButton, answer["button"]).click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    yield shown


def open_window(qtbot) -> HearthApp:  # noqa: ANN001
    app = make_app(qtbot, None, runtime=ScriptedRuntime())
    app.window.show()
    qtbot.waitExposed(app.window)
    return app


def test_start_fresh_keeps_the_damaged_file_aside(qtbot, choose) -> None:  # noqa: ANN001
    db, damaged = damaged_home(backup=False)
    choose.answer["button"] = "startFresh"
    assert check_database(paths())
    (box,) = choose
    assert box.objectName() == "databaseRecovery" and str(db) in box.informativeText()
    assert box.findChild(QPushButton, "restoreBackup") is None        # no backup: not offered
    assert box.findChild(QPushButton, "quit") is not None
    (aside,) = [p for p in db.parent.glob("hearth.db.corrupt-*") if not p.name.endswith(("-wal", "-shm"))]
    assert hashlib.sha256(aside.read_bytes()).hexdigest() == damaged  # kept, byte for byte
    app = open_window(qtbot)
    try:
        assert app.window.isVisible()
        with Store(db) as store:
            assert store.conversations() == []
    finally:
        close_app(app)


def test_restore_the_backup_brings_the_conversations_back(qtbot, choose) -> None:  # noqa: ANN001
    db, damaged = damaged_home(backup=True)
    (backup,) = recovery.backups(paths().home)
    choose.answer["button"] = "restoreBackup"
    assert check_database(paths())
    button = choose[0].findChild(QPushButton, "restoreBackup")
    assert backup.label in button.text()
    (aside,) = [p for p in db.parent.glob("hearth.db.corrupt-*") if not p.name.endswith(("-wal", "-shm"))]
    assert hashlib.sha256(aside.read_bytes()).hexdigest() == damaged
    app = open_window(qtbot)
    try:
        with Store(db) as store:
            assert len(store.conversations()) == 20
    finally:
        close_app(app)


def test_quit_moves_nothing(qtbot, choose) -> None:  # noqa: ANN001
    db, damaged = damaged_home(backup=True)
    choose.answer["button"] = "quit"
    assert not check_database(paths())
    assert hashlib.sha256(db.read_bytes()).hexdigest() == damaged
    assert list(db.parent.glob("hearth.db.corrupt-*")) == []
