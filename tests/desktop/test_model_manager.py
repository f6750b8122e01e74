"""The model manager window, driven like a user against the local Hub-like server.

Real huggingface_hub client, real HTTP on loopback, real files and database;
the chat model itself is scripted (the manager never runs it).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from desktop.app import HearthApp
from desktop.models.manager import ModelManager
from engine import paths
from engine.runtime.scripted import ScriptedRuntime
from engine.models.starter import starter_model
from tests.hub_server import SMOLLM2_FILE, SMOLLM2_REPO, FakeHub, hub, smollm2_hub  # noqa: F401
from tests.window_helpers import close_app, make_app


@pytest.fixture
def app(qtbot, gemma3_path: Path) -> Iterator[HearthApp]:
    hearth = make_app(qtbot, gemma3_path, runtime=ScriptedRuntime())
    yield hearth
    close_app(hearth)


def open_manager(qtbot, app: HearthApp) -> ModelManager:
    qtbot.keyClick(app.window, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    manager = app.window.model_manager
    assert manager is not None and manager.isVisible()
    qtbot.waitUntil(lambda: manager.installed_table.rowCount() == 1)
    return manager


def find_and_pick(qtbot, manager: ModelManager, query: str) -> None:
    manager.tabs.setCurrentIndex(1)
    manager.search_box.setText(query)
    qtbot.keyClick(manager.search_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: manager.results.count() > 0 and "Searching" not in manager.hub_status.text()
                    and manager.results.item(0).text().startswith(SMOLLM2_REPO), timeout=10_000)
    manager.results.setCurrentRow(0)
    qtbot.waitUntil(lambda: manager.files_table.rowCount() > 0, timeout=20_000)


def test_search_fit_download_and_use(qtbot, app: HearthApp, smollm2_hub: FakeHub) -> None:
    manager = open_manager(qtbot, app)
    find_and_pick(qtbot, manager, "smollm2")
    assert manager.results.item(0).text().startswith(SMOLLM2_REPO)
    row = [manager.files_table.item(0, c).text() for c in range(6)]
    assert row[0] == "★" and row[1] == "Q4_1" and row[2] == "98 MB" and row[4] == "fits"
    assert SMOLLM2_FILE in row[5]
    qtbot.mouseClick(manager.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: manager.downloads and manager.downloads[0].state == "done", timeout=120_000)
    assert manager.downloads[0].bar.value() == 1000
    installed = paths().models.glob("**/" + SMOLLM2_FILE)
    assert [p.stat().st_size for p in installed] == [98_362_432]
    qtbot.waitUntil(lambda: manager.installed_table.rowCount() == 2)
    qtbot.waitUntil(lambda: any(m.path.name == SMOLLM2_FILE for m in app.window.models))  # the picker has it


def test_offline_is_said_not_hung(qtbot, app: HearthApp, hub: FakeHub) -> None:
    manager = open_manager(qtbot, app)
    hub.set_offline(True)
    manager.tabs.setCurrentIndex(1)
    manager.search_box.setText("anything")
    qtbot.keyClick(manager.search_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Offline" in manager.hub_status.text(), timeout=15_000)
    assert app.window.isVisible()


def test_cancel_then_resume_after_reopening(qtbot, app: HearthApp, smollm2_hub: FakeHub) -> None:
    smollm2_hub.stall_after(SMOLLM2_FILE, 30_000_000, 20)  # hold the transfer at ~30 % until cancelled
    manager = open_manager(qtbot, app)
    find_and_pick(qtbot, manager, "smollm2")
    qtbot.mouseClick(manager.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: manager.downloads and manager.downloads[0].bar.value() > 200, timeout=60_000)
    qtbot.mouseClick(manager.downloads[0].button, Qt.MouseButton.LeftButton)  # Cancel
    qtbot.waitUntil(lambda: manager.downloads[0].state == "cancelled", timeout=30_000)
    assert "kept" in manager.downloads[0].label.text()
    # close the manager (as when the app quits) and open a new one: the partial download is offered
    app.window.model_manager.shutdown()
    app.window.model_manager.deleteLater()
    app.window.model_manager = None
    manager = app.window.open_model_manager()
    qtbot.waitUntil(lambda: len(manager.downloads) == 1)
    paused = manager.downloads[0]
    assert paused.state == "cancelled" and paused.bar.value() > 200
    qtbot.mouseClick(paused.button, Qt.MouseButton.LeftButton)  # Resume
    qtbot.waitUntil(lambda: paused.state == "done", timeout=120_000)
    ranges = [r.range for r in smollm2_hub.requests if r.method == "GET" and r.path.endswith(SMOLLM2_FILE)]
    assert any(r and r.startswith("bytes=") and not r.startswith("bytes=0-") for r in ranges), ranges


def test_delete_asks_first_and_keeps_imported_files(qtbot, app: HearthApp, gemma3_path: Path) -> None:
    manager = open_manager(qtbot, app)
    manager.installed_table.selectRow(0)
    qtbot.mouseClick(manager.delete_button, Qt.MouseButton.LeftButton)
    box = manager.findChild(QMessageBox, "confirmDelete")
    assert box is not None and gemma3_path.name in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: manager.installed_table.rowCount() == 0)
    assert gemma3_path.exists()
    qtbot.waitUntil(lambda: not app.window.models)


def test_the_starter_shows_the_demo_banner_with_a_recommendation(qtbot) -> None:
    assert starter_model() is not None
    hearth = make_app(qtbot, None, runtime=ScriptedRuntime(), starter=True)
    try:
        banner = hearth.window.demo_banner
        qtbot.waitUntil(lambda: banner.isVisible(), timeout=10_000)
        qtbot.waitUntil(lambda: "Recommended for this computer" in banner.label.text(), timeout=10_000)
        assert "demo model" in banner.label.text()
        qtbot.mouseClick(banner.button, Qt.MouseButton.LeftButton)
        assert hearth.window.model_manager is not None and hearth.window.model_manager.isVisible()
    finally:
        close_app(hearth)


def test_the_catalog_is_listed_with_the_recommendation_first(qtbot, app: HearthApp) -> None:
    manager = open_manager(qtbot, app)
    qtbot.waitUntil(lambda: manager.results.count() > 3, timeout=10_000)
    assert manager.results.item(0).text() == "Chat models"      # a heading, not a model
    assert not manager.results.item(0).flags() & Qt.ItemFlag.ItemIsSelectable
    first = manager.results.item(1).text()
    assert first.startswith("★ ") and "/" in first.splitlines()[-1]
    assert sum(manager.results.item(i).text().startswith("★") for i in range(manager.results.count())) == 1
    assert "Recommended" in manager.hub_status.text()
