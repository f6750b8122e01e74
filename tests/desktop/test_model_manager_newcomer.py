"""The model manager as a newcomer meets it (issue 18): offline said, chat and embedding models apart,
Download that says why it is off, friendly locations and the loaded model, one vision list, translated tags.

Real manager window, real catalog, real files and database; the Hub is tests/hub_server.py on loopback
or, offline, a closed loopback port. The chat model is scripted (the manager never runs it).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator, Qt
from PySide6.QtWidgets import QApplication, QListWidget, QMessageBox

from desktop.app import HearthApp
from desktop.models.manager import ModelManager
from engine import paths
from engine.models.vision import vision_model_names
from engine.runtime.scripted import ScriptedRuntime
from tests.desktop.conftest import closed_port_url
from tests.hub_server import SMOLLM2_REPO, FakeHub, hub, smollm2_hub  # noqa: F401
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
    qtbot.waitUntil(lambda: manager.installed_table.rowCount() >= 1)
    qtbot.waitUntil(lambda: manager.results.count() > 3, timeout=10_000)   # the catalog
    return manager


def sections(results: QListWidget) -> dict[str, list[str]]:
    """The list as shown: heading → the model names under it (first line, before the details)."""
    found: dict[str, list[str]] = {}
    heading = ""
    for i in range(results.count()):
        item = results.item(i)
        if not item.flags() & Qt.ItemFlag.ItemIsSelectable:
            heading = item.text()
            found[heading] = []
        else:
            found.setdefault(heading, []).append(item.text().split("\n")[0].removeprefix("★ ").split("  (")[0])
    return found


def test_opening_offline_says_so_and_an_offline_search_keeps_the_catalog(qtbot, app: HearthApp,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", closed_port_url())   # no Hub: nothing listens there
    manager = open_manager(qtbot, app)
    qtbot.waitUntil(lambda: manager.offline_notice.isVisible(), timeout=15_000)   # said without searching
    assert manager.offline_notice.text().startswith("Offline")
    whole = manager.results.count()
    manager.tabs.setCurrentIndex(1)
    manager.search_box.setText("qwen")
    qtbot.keyClick(manager.search_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Offline" in manager.hub_status.text(), timeout=15_000)
    shown = [name for names in sections(manager.results).values() for name in names]
    assert shown and all("qwen" in name.lower() for name in shown), shown   # the catalog's matches, not nothing
    manager.search_box.setText("no such model anywhere")
    qtbot.keyClick(manager.search_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "no model of Hearth's catalog matches" in manager.hub_status.text(), timeout=15_000)
    assert manager.results.count() == whole


def test_a_reachable_hub_is_not_called_offline(qtbot, app: HearthApp, smollm2_hub: FakeHub) -> None:
    manager = open_manager(qtbot, app)
    qtbot.waitUntil(lambda: manager.hub_offline is False, timeout=15_000)
    assert not manager.offline_notice.isVisible()
    assert any(r.path == "/api/models" for r in smollm2_hub.requests)


def test_chat_and_embedding_models_are_listed_apart(qtbot, app: HearthApp, minilm_path: Path) -> None:
    manager = open_manager(qtbot, app)
    listed = sections(manager.results)
    assert list(listed)[0] == "Chat models"
    embedding = listed["Embedding models (for knowledge bases, not for chatting)"]
    assert "Nomic Embed Text v1.5" in embedding
    chat = listed["Chat models"] + listed.get("Chat models that can see images", [])
    assert not set(chat) & set(embedding) and not any("Embed" in name for name in chat)
    # an imported embedding model goes to its own list, not among the models to chat with
    manager.import_path(str(minilm_path))
    qtbot.waitUntil(lambda: manager.embedding_table.rowCount() == 1, timeout=10_000)
    assert manager.installed_table.rowCount() == 1   # still only Gemma 3
    assert manager.embedding_table.item(0, 0).data(Qt.ItemDataRole.UserRole) == str(minilm_path.resolve())
    assert "cannot chat" in manager.installed.embedding_heading.text()


def test_download_with_nothing_chosen_says_why(qtbot, app: HearthApp, smollm2_hub: FakeHub) -> None:
    manager = open_manager(qtbot, app)
    manager.tabs.setCurrentIndex(1)
    assert not manager.download_button.isEnabled()
    assert "Choose a model" in manager.download_button.toolTip()
    assert manager.download_hint.isVisible() and "Choose a model" in manager.download_hint.text()
    manager.search_box.setText("smollm2")
    qtbot.keyClick(manager.search_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: manager.results.count() > 0 and "Searching" not in manager.hub_status.text()
                    and manager.results.item(0).text().startswith(SMOLLM2_REPO), timeout=10_000)
    manager.results.setCurrentRow(0)
    qtbot.waitUntil(lambda: manager.files_table.rowCount() > 0, timeout=20_000)
    assert manager.download_button.isEnabled() and manager.download_hint.text() == ""   # ★ row chosen
    manager.files_table.clearSelection()
    assert not manager.download_button.isEnabled()
    assert "Choose one of the files" in manager.download_button.toolTip()
    qtbot.mouseClick(manager.download_button, Qt.MouseButton.LeftButton)
    assert manager.downloads == []


def test_installed_models_say_where_they_are_and_which_is_loaded(qtbot, app: HearthApp, gemma3_path: Path,
                                                                 smollm2_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(gemma3_path.parent.parent))   # the imported file is then under ~
    ours = paths().models / "HuggingFaceTB"
    ours.mkdir(parents=True)
    shutil.copyfile(smollm2_path, ours / smollm2_path.name)      # as a download leaves it
    qtbot.waitUntil(lambda: app.window.info is not None, timeout=20_000)
    assert Path(app.window.info.path).resolve() == gemma3_path.resolve()
    manager = open_manager(qtbot, app)
    table = manager.installed_table
    qtbot.waitUntil(lambda: table.rowCount() == 2, timeout=10_000)
    rows = {Path(table.item(r, 0).data(Qt.ItemDataRole.UserRole)).name: [table.item(r, c).text()
                                                                         for c in range(table.columnCount())]
            for r in range(table.rowCount())}
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    where, in_use = headers.index("Location"), headers.index("In use")
    assert rows[gemma3_path.name][where] == f"~/{gemma3_path.parent.name}"
    assert rows[smollm2_path.name][where] == "Hearth's models folder/HuggingFaceTB"
    assert rows[gemma3_path.name][in_use] == "Loaded now" and rows[smollm2_path.name][in_use] == ""
    assert str(gemma3_path.resolve()) in table.item(0, where).toolTip() + table.item(1, where).toolTip()
    # another model loaded while the manager is open: the mark follows
    manager.set_loaded(str(ours / smollm2_path.name))
    smol = next(r for r in range(table.rowCount()) if table.item(r, 0).data(Qt.ItemDataRole.UserRole).endswith(
        smollm2_path.name))
    assert table.item(smol, in_use).text() == "Loaded now" and table.item(1 - smol, in_use).text() == ""


def test_the_vision_list_is_the_same_in_the_manager_and_the_refusal(qtbot, app: HearthApp) -> None:
    manager = open_manager(qtbot, app)
    in_manager = sections(manager.results).get("Chat models that can see images", [])
    details = [manager.results.item(i).text().split("\n")[0].rsplit("  (", 1)[-1]
               for i in range(manager.results.count()) if "  (" in manager.results.item(i).text()]
    tagged = [d for d in details if d.startswith("vision") or "· vision" in d]
    app.window.attachments.refuse_images("Gemma 3 270M", None)   # what sending an image to a text model shows
    qtbot.waitUntil(lambda: app.window.findChild(QMessageBox, "visionRefusal") is not None, timeout=10_000)
    box = app.window.findChild(QMessageBox, "visionRefusal")
    in_refusal = [line.removeprefix("• ") for line in box.informativeText().splitlines() if line.startswith("• ")]
    box.close()
    assert in_refusal == vision_model_names() and in_refusal
    assert in_manager == in_refusal
    assert len(tagged) == len(in_refusal)   # "vision" is said of no other model (Qwen2.5-VL cannot be shown images)
    assert all("\\x0a" not in manager.results.item(i).text() for i in range(manager.results.count()))


def test_catalog_tags_and_headings_are_translated(qtbot, app: HearthApp, tmp_path: Path) -> None:
    manager = open_manager(qtbot, app)
    ts = tmp_path / "tags.ts"
    ts.write_text("""<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS><TS version="2.1" language="zh_CN"><context><name>ModelManager</name>
<message><source>reasoning</source><translation>推理</translation></message>
<message><source>tools</source><translation>工具</translation></message>
<message><source>embedding</source><translation>嵌入</translation></message>
<message><source>Chat models</source><translation>聊天模型</translation></message>
</context></TS>""", encoding="utf-8")
    lrelease = Path(sys.executable).parent / "pyside6-lrelease"
    subprocess.run([str(lrelease), str(ts), "-qm", str(tmp_path / "tags.qm")], check=True, capture_output=True)
    translator = QTranslator()
    assert translator.load(str(tmp_path / "tags.qm"))
    QCoreApplication.installTranslator(translator)   # sends LanguageChange: the manager retranslates live
    try:
        qtbot.waitUntil(lambda: manager.results.item(0).text() == "聊天模型")
        texts = [manager.results.item(i).text().split("\n")[0] for i in range(manager.results.count())]
        assert any("推理 · 工具" in t for t in texts), texts
        assert any("(嵌入," in t for t in texts), texts
        assert not any("reasoning" in t or "embedding" in t for t in texts)
    finally:
        QCoreApplication.removeTranslator(translator)
        QApplication.processEvents()
