"""The window's switch for the local API server (Settings → Local API server), driven like a user.

Turning it on serves the same API as ``hearth serve`` on loopback (a free port): /health and /v1/models
answer over real HTTP, the key made on first enable is shown once and asked for, the status bar says the
API is on; turning it off frees the port, and so does closing the window. A port already taken is said
in words. The window's chat runtime is scripted; the API's own model worker loads the real SmolLM2.
"""
from __future__ import annotations

import socket
import stat
import time
from pathlib import Path
from typing import Iterator

import pytest
import requests
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QCheckBox

from desktop.app import HearthApp
from desktop.prefs import Prefs
from desktop.settings.api_group import ApiGroup
from desktop.settings.api_server import ApiSwitch
from engine import paths
from engine.api.keys import key_path
from engine.runtime.scripted import ScriptedRuntime
from tests.remote_server import free_port
from tests.window_helpers import close_app, in_database, make_app


@pytest.fixture
def app(qtbot, smollm2_path: Path) -> Iterator[HearthApp]:
    hearth = make_app(qtbot, smollm2_path, runtime=ScriptedRuntime())
    yield hearth
    close_app(hearth)


def api_group(qtbot, app: HearthApp) -> ApiGroup:
    dialog = app.window.app_dialogs.open_settings()
    qtbot.waitUntil(dialog.isVisible)
    group = dialog.api_group
    assert group is not None and group.isVisible() and group.title() == "Local API server"
    return group


def toggle(qtbot, box: QCheckBox) -> None:
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(6, box.height() // 2))   # on its tick box


def port_is_free(port: int) -> bool:
    """Nothing listens on ``port`` any more: another server could listen there (the closed connections'
    TIME_WAIT does not count, as for any server, which sets SO_REUSEADDR) and a client is refused."""
    with socket.socket() as client:
        if client.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            probe.listen()
        except OSError:
            return False
    return True


def test_switch_on_serves_the_api_and_off_frees_the_port(qtbot, app: HearthApp, smollm2_path: Path) -> None:
    group = api_group(qtbot, app)
    api: ApiSwitch = group.api
    status = app.window.status
    assert not group.enabled.isChecked() and api.state == "off"   # off by default
    assert group.port.value() == 8337 and not group.lan.isChecked()   # hearth serve's port, this computer only
    assert not status.api_label.isVisible()
    port = free_port()
    group.port.setValue(port)
    assert Prefs(paths()).api_port == port

    started = time.monotonic()
    toggle(qtbot, group.enabled)
    assert time.monotonic() - started < 1.0 and api.state == "starting"   # the window does not wait for it
    assert "Starting" in group.state.text() and not group.port.isEnabled()
    qtbot.waitUntil(lambda: api.state == "on", timeout=30_000)
    url = f"http://127.0.0.1:{port}/v1"
    assert api.url == url and url in group.state.text() and not port_is_free(port)
    assert status.api_label.isVisible() and status.api_label.text() == f"API on 127.0.0.1:{port}"

    # the key, made now, shown once, copyable; kept only in the home's config file (mode 0600)
    key = group.key.text()
    assert key.startswith("hearth-") and group.key_box.isVisible()
    assert key_path(paths().home).read_text().strip() == key
    assert stat.S_IMODE(key_path(paths().home).stat().st_mode) == 0o600
    qtbot.mouseClick(group.copy, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == key

    def health() -> int:
        try:
            return requests.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code
        except requests.RequestException:
            return 0
    qtbot.waitUntil(lambda: health() == 200, timeout=90_000)   # 503 while the API's own model loads
    assert requests.get(f"{url}/models", timeout=10).status_code == 401   # the key is asked for
    listed = requests.get(f"{url}/models", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert listed.status_code == 200
    ids = [m["id"] for m in listed.json()["data"]]
    assert smollm2_path.stem in ids
    assert next(m for m in listed.json()["data"] if m["id"] == smollm2_path.stem)["loaded"] is True
    assert Prefs(paths()).api_enabled

    # off: the port is free again, the indicator gone
    toggle(qtbot, group.enabled)
    qtbot.waitUntil(lambda: api.state == "off", timeout=60_000)
    assert port_is_free(port) and not status.api_label.isVisible() and group.state.text() == "Off."
    assert not Prefs(paths()).api_enabled and group.port.isEnabled()

    # on again, now keeping the API's chats: the same key works, and it is not shown a second time
    group.window().hide()
    group.window().show()
    assert not group.store.isChecked() and group.store.isEnabled()   # off by default; set while the server is off
    toggle(qtbot, group.store)
    assert Prefs(paths()).api_store
    toggle(qtbot, group.enabled)
    qtbot.waitUntil(lambda: api.state == "on", timeout=30_000)
    assert not group.key_box.isVisible() and group.key.text() == "" and not group.store.isEnabled()
    auth = {"Authorization": f"Bearer {key}"}
    assert requests.get(f"{url}/models", headers=auth, timeout=10).status_code == 200
    qtbot.waitUntil(lambda: health() == 200, timeout=90_000)
    asked = requests.post(f"{url}/chat/completions", headers=auth, timeout=120, json={
        "model": smollm2_path.stem, "max_tokens": 4, "messages": [{"role": "user", "content": "Say hello"}]})
    assert asked.status_code == 200
    stored = [c for c in in_database(lambda s: s.conversations()) if c.title.startswith("API")]
    assert [c.title for c in stored] == ["API · Say hello"]   # (the window's own new chat is the other one)
    assert [m.content for m in in_database(lambda s: s.thread(stored[0].id))][0] == "Say hello"

    # the key is in no database file, no settings file
    home = paths().home
    leaks = [p for p in home.rglob("*") if p.is_file() and p != key_path(home) and key.encode() in p.read_bytes()]
    assert leaks == []

    # closing the window stops the server
    close_app(app)
    assert port_is_free(port)


def test_a_taken_port_is_said_not_thrown(qtbot, app: HearthApp) -> None:
    group = api_group(qtbot, app)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        group.port.setValue(port)
        toggle(qtbot, group.enabled)
        qtbot.waitUntil(lambda: group.api.state == "off" and "could not listen" in group.state.text(),
                        timeout=30_000)
        text = group.state.text()
        assert f"127.0.0.1:{port}" in text and "Choose another port" in text and "Traceback" not in text
        assert not group.enabled.isChecked() and group.port.isEnabled()
        assert not app.window.status.api_label.isVisible()
        assert not Prefs(paths()).api_enabled   # not tried again at the next launch
        assert "could not listen" in app.window.status.currentMessage()


def test_the_switch_stays_on_across_launches(qtbot, smollm2_path: Path) -> None:
    port = free_port()
    prefs = Prefs(paths())
    prefs.api_port, prefs.api_enabled = port, True
    prefs.sync()
    hearth = make_app(qtbot, smollm2_path, runtime=ScriptedRuntime())
    try:
        qtbot.waitUntil(lambda: hearth.window.status.api_label.isVisible(), timeout=30_000)
        assert hearth.window.status.api_label.text() == f"API on 127.0.0.1:{port}"
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=10).status_code in (200, 503)
    finally:
        close_app(hearth)
    assert port_is_free(port)
