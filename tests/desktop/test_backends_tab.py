"""The model manager's Backends tab, driven like a user: add a backend through the form, see it listed with
"key set" (never the key), test the connection, edit it (the key stays), remove it (the key goes too).

Real widgets, real SQLite and real HTTP on loopback: the scripted fake OpenAI server for the whole round,
a real llama-server (with an API key) for one connection test. The keychain is an in-memory keyring
backend; after each round the home is searched byte by byte for the key.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from desktop.app import HearthApp
from desktop.models.backend_dialog import BackendDialog
from desktop.models.backends_panel import BackendsPanel
from desktop.models.manager import ModelManager
from engine import Store, paths
from engine.remote import Backends
from engine.runtime.scripted import ScriptedRuntime
from tests.desktop.conftest import closed_port_url
from tests.engine.remote.test_backends import MemoryKeyring, keychain  # noqa: F401
from tests.remote_fake_server import FakeOpenAI, fake_openai  # noqa: F401
from tests.remote_server import LlamaServer, llama_server_bin  # noqa: F401
from tests.window_helpers import close_app, make_app

SECRET = "sk-hearth-window-3c9d71e0aa"


@pytest.fixture
def app(qtbot, smollm2_path: Path) -> Iterator[HearthApp]:
    hearth = make_app(qtbot, smollm2_path, runtime=ScriptedRuntime())
    yield hearth
    close_app(hearth)


def open_backends(qtbot, app: HearthApp) -> tuple[ModelManager, BackendsPanel]:
    qtbot.keyClick(app.window, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    manager = app.window.model_manager
    assert manager is not None and manager.isVisible()
    panel = manager.findChild(BackendsPanel, "backendsPanel")
    manager.tabs.setCurrentWidget(panel)
    assert manager.tabs.tabText(manager.tabs.currentIndex()) == "Backends"
    return manager, panel


def click(qtbot, button: QPushButton) -> None:
    assert button.isEnabled(), f"{button.objectName()} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def open_form(qtbot, panel: BackendsPanel, button: QPushButton) -> BackendDialog:
    before = panel.dialog
    click(qtbot, button)
    qtbot.waitUntil(lambda: panel.dialog is not None and panel.dialog is not before and panel.dialog.isVisible())
    assert panel.dialog is not None
    return panel.dialog


def cells(panel: BackendsPanel, row: int = 0) -> list[str]:
    return [panel.table.item(row, c).text() for c in range(panel.table.columnCount())]


def files_holding(root: Path, secret: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def select_row(qtbot, panel: BackendsPanel, row: int = 0) -> None:
    rect = panel.table.visualItemRect(panel.table.item(row, 0))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.selected() == panel.rows[row].backend.name


def test_add_test_edit_remove_through_the_tab(qtbot, app: HearthApp, fake_openai: FakeOpenAI,  # noqa: F811
                                              keychain: MemoryKeyring) -> None:  # noqa: F811
    fake_openai.ollama_show = {"parameters": "num_ctx 8192", "model_info": {"llama.context_length": 32768}}
    manager, panel = open_backends(qtbot, app)
    assert panel.table.rowCount() == 0 and not panel.test_button.isEnabled()

    form = open_form(qtbot, panel, panel.add_button)
    assert form.preset.currentData() == "llama-server" and form.url.text() == "http://127.0.0.1:8080"
    form.preset.setCurrentIndex(form.preset.findData("vllm"))
    assert form.url.text() == "http://127.0.0.1:8000"   # each kind's usual address
    form.preset.setCurrentIndex(form.preset.findData("ollama"))
    assert form.url.text() == "http://127.0.0.1:11434"
    form.url.setText(fake_openai.root)      # /v1 is added on saving
    form.name.setText("box")
    form.key.setText(SECRET)
    assert form.key.echoMode() == form.key.EchoMode.Password
    assert not form.http_warning.isVisible()   # loopback: the key stays on this computer
    click(qtbot, form.list_button)             # asks the server, with the typed key
    qtbot.waitUntil(lambda: form.model.count() == 1, timeout=10_000)
    assert form.model.currentText() == "fake-model" and "1 model" in form.list_status.text()
    assert fake_openai.requests[-1][2].get("Authorization") == f"Bearer {SECRET}"
    with qtbot.waitSignal(manager.backends_changed, timeout=10_000):
        click(qtbot, form.buttons.button(form.buttons.StandardButton.Save))
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1)
    assert cells(panel) == ["box", "Ollama", f"{fake_openai.url}", "fake-model", "from the server", "key set"]
    assert SECRET not in "".join(cells(panel)) + panel.status.text()
    assert list(keychain.saved.values()) == [SECRET]

    # Test connection: the models, the reply and the context the server runs at (Ollama's num_ctx)
    select_row(qtbot, panel)
    click(qtbot, panel.test_button)
    qtbot.waitUntil(lambda: "answered in" in panel.status.text(), timeout=15_000)
    report = panel.status.text()
    assert "box answered in" in report and "Models: fake-model" in report and "“Hel”" in report
    assert "Context: 8,192 tokens (from /api/show num_ctx)" in report
    assert {r[2].get("Authorization") for r in fake_openai.requests} == {f"Bearer {SECRET}"}

    # Edit: the key field is empty (the key is never shown), saving keeps the stored key
    form = open_form(qtbot, panel, panel.edit_button)
    assert form.key.text() == "" and "a key is set" in form.key.placeholderText()
    assert form.name.text() == "box" and form.url.text() == fake_openai.url and form.remove_key.isVisible()
    form.context.setValue(2048)
    form.vision.setChecked(True)
    with qtbot.waitSignal(manager.backends_changed, timeout=10_000):
        click(qtbot, form.buttons.button(form.buttons.StandardButton.Save))
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1 and cells(panel)[4] == "2,048 tokens")
    assert cells(panel)[5] == "key set"
    with Store(paths().database) as store:
        stored = Backends(store).get("box")
        assert (stored.api_key, stored.context_window, stored.vision) == (SECRET, 2048, True)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert files_holding(paths().home, SECRET) == []   # database, WAL, settings, logs: nowhere

    # Remove: asked first, then the backend and its key are gone
    select_row(qtbot, panel)
    click(qtbot, panel.remove_button)
    box = panel.findChild(QMessageBox, "confirmRemoveBackend")
    qtbot.waitUntil(lambda: box is not None and box.isVisible())
    with qtbot.waitSignal(manager.backends_changed, timeout=10_000):
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.table.rowCount() == 0)
    assert keychain.saved == {} and "Removed box" in panel.status.text()
    with Store(paths().database) as store:
        assert Backends(store).list() == []


def test_a_key_over_plain_http_to_another_computer_is_warned(qtbot, app: HearthApp,
                                                            keychain: MemoryKeyring) -> None:  # noqa: F811
    _manager, panel = open_backends(qtbot, app)
    form = open_form(qtbot, panel, panel.add_button)
    form.name.setText("lan-box")
    form.url.setText("http://192.168.1.20:8080")
    assert not form.http_warning.isVisible()          # no key: nothing secret travels
    form.key.setText(SECRET)
    assert form.http_warning.isVisible() and "unencrypted" in form.http_warning.text()
    form.url.setText("https://192.168.1.20:8080")
    assert not form.http_warning.isVisible()
    form.url.setText("http://localhost:8080")
    assert not form.http_warning.isVisible()
    form.url.setText("http://192.168.1.20:8080")
    assert form.http_warning.isVisible()
    form.url.setText("not an address")
    click(qtbot, form.buttons.button(form.buttons.StandardButton.Save))
    assert form.isVisible() and "not an http:// or https:// address" in form.problem.text()   # said, not saved
    form.reject()
    assert keychain.saved == {}


def test_failures_are_said_in_the_windows_words(qtbot, app: HearthApp, fake_openai: FakeOpenAI,  # noqa: F811
                                                keychain: MemoryKeyring) -> None:  # noqa: F811
    with Store(paths().database) as store:
        from engine.remote import Backend
        Backends(store).add(Backend("gone", closed_port_url()))
        Backends(store).add(Backend("locked", fake_openai.url, api_key="wrong"))
    _manager, panel = open_backends(qtbot, app)
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2)
    assert [cells(panel, r)[5] for r in range(2)] == ["no key", "key set"]
    select_row(qtbot, panel, 0)
    click(qtbot, panel.test_button)
    qtbot.waitUntil(lambda: "Start the server" in panel.status.text(), timeout=20_000)
    fake_openai.status = 401
    select_row(qtbot, panel, 1)
    click(qtbot, panel.test_button)
    qtbot.waitUntil(lambda: "enter the server's API key again" in panel.status.text(), timeout=15_000)
    assert "hearth backends" not in panel.status.text()   # no terminal command in the window
    form = open_form(qtbot, panel, panel.add_button)      # a name already taken is refused, the form says why
    form.name.setText("gone")
    click(qtbot, form.buttons.button(form.buttons.StandardButton.Save))
    qtbot.waitUntil(lambda: "Choose another name" in panel.status.text())
    assert panel.table.rowCount() == 2


def test_without_a_keychain_the_key_is_kept_for_the_session(qtbot, app: HearthApp,
                                                            fake_openai: FakeOpenAI) -> None:  # noqa: F811
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        _manager, panel = open_backends(qtbot, app)
        form = open_form(qtbot, panel, panel.add_button)
        qtbot.waitUntil(form.keychain_note.isVisible)
        assert "no keychain" in form.keychain_note.text()
        form.name.setText("box")
        form.url.setText(fake_openai.url)
        form.key.setText(SECRET)
        click(qtbot, form.buttons.button(form.buttons.StandardButton.Save))
        qtbot.waitUntil(lambda: panel.table.rowCount() == 1)
        assert "kept only until Hearth quits" in panel.status.text() and cells(panel)[5] == "key set"
        with Store(paths().database) as store:
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            Backends(store).remove("box")   # the session's key goes with it
        assert files_holding(paths().home, SECRET) == []
    finally:
        keyring.set_keyring(before)


def test_a_real_llama_server_with_a_key(qtbot, app: HearthApp, llama_server_bin: Path,  # noqa: F811
                                        smollm2_path: Path, tmp_path: Path, keychain: MemoryKeyring) -> None:  # noqa: F811
    server = LlamaServer(llama_server_bin, smollm2_path, tmp_path / "llama-server.log", n_ctx=1024,
                         api_key=SECRET)
    try:
        _manager, panel = open_backends(qtbot, app)
        form = open_form(qtbot, panel, panel.add_button)
        form.name.setText("real")
        form.url.setText(server.root)
        click(qtbot, form.list_button)   # without the key llama-server refuses: said in the form
        qtbot.waitUntil(lambda: "API key" in form.list_status.text(), timeout=15_000)
        form.key.setText(SECRET)
        click(qtbot, form.list_button)
        qtbot.waitUntil(lambda: form.model.currentText() == "smollm2", timeout=15_000)
        click(qtbot, form.buttons.button(form.buttons.StandardButton.Save))
        qtbot.waitUntil(lambda: panel.table.rowCount() == 1)
        assert cells(panel)[3:] == ["smollm2", "from the server", "key set"]
        select_row(qtbot, panel)
        click(qtbot, panel.test_button)
        qtbot.waitUntil(lambda: "answered in" in panel.status.text(), timeout=60_000)
        assert "Models: smollm2" in panel.status.text()
        assert "Context: 1,024 tokens (from /props n_ctx)" in panel.status.text()
    finally:
        server.stop()
