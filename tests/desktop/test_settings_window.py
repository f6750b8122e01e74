"""The Settings window, driven like a user: opened with the platform's shortcut, each choice applied at once
and still there after a restart. The threads and GPU choice is checked against the real llama.cpp engine."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QPalette
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QSpinBox

from desktop.app import HearthApp
from desktop.background.engine import ModelWanted
from desktop.prefs import Prefs
from desktop.settings import theme as looks
from desktop.settings.window import SettingsDialog
from engine import paths
from engine.runtime.scripted import ScriptedRuntime
from engine.models.installed import import_model
from tests.window_helpers import catching_file_urls, close_app, in_database, make_app


@pytest.fixture(autouse=True)
def system_look() -> Iterator[None]:
    """A test that darkens the app or enlarges its font cannot leak it into the next one."""
    yield
    app = QApplication.instance()
    if isinstance(app, QApplication):
        looks.apply_theme(app, "system")
        looks.apply_font_size(app, None)


@pytest.fixture
def app(qtbot, smollm2_path: Path) -> Iterator[HearthApp]:
    hearth = make_app(qtbot, smollm2_path, runtime=ScriptedRuntime())
    yield hearth
    close_app(hearth)


def open_settings(qtbot, app: HearthApp) -> SettingsDialog:
    """The platform's Preferences shortcut (Ctrl+, where there is none), as a user presses it."""
    shortcut = app.window.menus.preferences.shortcut()
    assert not shortcut.isEmpty()
    if QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences) == []:
        assert shortcut == QKeySequence("Ctrl+,")
    app.window.activateWindow()
    qtbot.keyClick(app.window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: app.window.findChild(SettingsDialog, "settingsDialog") is not None)
    dialog = app.window.findChild(SettingsDialog, "settingsDialog")
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def choose(box: QComboBox, data: str) -> None:
    index = box.findData(data)
    assert index >= 0, f"{data!r} is not offered in {box.objectName()}"
    box.setCurrentIndex(index)


def window_color(widget) -> QPalette:
    return widget.palette().color(QPalette.ColorRole.Window)


def test_theme_applies_a_dark_palette_live_and_back(qtbot, app: HearthApp) -> None:
    dialog = open_settings(qtbot, app)
    theme = dialog.findChild(QComboBox, "settingsTheme")
    assert [theme.itemText(i) for i in range(theme.count())] == ["Follow the system", "Light", "Dark"]
    start = QPalette(QApplication.palette())
    choose(theme, "dark")
    assert looks.is_dark(QApplication.palette())
    qtbot.waitUntil(lambda: looks.is_dark(app.window.palette()))   # widgets follow on the next event loop turn
    assert looks.is_dark(app.window.chat_view.palette()) and looks.is_dark(app.window.composer.input.palette())
    assert window_color(app.window).lightness() < 60
    assert QApplication.style().name().lower() == "fusion"
    choose(theme, "light")
    assert not looks.is_dark(QApplication.palette())
    qtbot.waitUntil(lambda: window_color(app.window).lightness() > 200)
    choose(theme, "system")
    assert QApplication.palette().color(QPalette.ColorRole.Window) == start.color(QPalette.ColorRole.Window)
    assert Prefs(paths()).theme == "system"


def test_font_size_applies_to_the_whole_app_live(qtbot, app: HearthApp) -> None:
    dialog = open_settings(qtbot, app)
    size = dialog.findChild(QSpinBox, "settingsFontSize")
    assert size.text() == "System"
    system = QApplication.font().pointSize()
    wanted = system + 6
    size.setValue(wanted)
    assert QApplication.font().pointSize() == wanted
    qtbot.waitUntil(lambda: app.window.composer.input.font().pointSize() == wanted)   # next event loop turn
    assert app.window.conversations.font().pointSize() == wanted
    size.setValue(size.minimum())   # back to "System"
    assert QApplication.font().pointSize() == system
    assert Prefs(paths()).font_size is None


def test_language_switches_the_window_live(qtbot, app: HearthApp) -> None:
    dialog = open_settings(qtbot, app)
    choose(dialog.findChild(QComboBox, "settingsLanguage"), "zh_CN")
    qtbot.waitUntil(lambda: app.window.menus.file.title() == "文件(&F)")   # LanguageChange is posted
    assert app.window.menus.languages["zh_CN"].isChecked()
    assert Prefs(paths()).language == "zh_CN"
    assert dialog.findChild(QComboBox, "settingsLanguage").currentData() == "zh_CN"   # still shown after retranslate


def test_data_folder_is_shown_openable_and_says_how_to_move_it(qtbot, app: HearthApp) -> None:
    dialog = open_settings(qtbot, app)
    assert dialog.data_folder.text() == str(app.paths.home)   # under /tmp in tests: no "~" to write
    assert "HEARTH_HOME" in dialog.move_hint.text()
    with catching_file_urls() as opened:
        dialog.open_data.click()
    assert [u.toLocalFile() for u in opened.urls] == [str(app.paths.home)]


def test_choices_are_kept_after_a_restart(qtbot, smollm2_path: Path, minilm_path: Path) -> None:
    in_database(lambda store: import_model(store, minilm_path))   # an embedding model the user installed
    first = make_app(qtbot, smollm2_path, runtime=ScriptedRuntime())
    dialog = open_settings(qtbot, first)
    choose(dialog.findChild(QComboBox, "settingsTheme"), "dark")
    dialog.findChild(QSpinBox, "settingsFontSize").setValue(15)
    dialog.findChild(QCheckBox, "settingsOffline").setChecked(True)
    dialog.findChild(QSpinBox, "settingsThreads").setValue(2)
    dialog.findChild(QSpinBox, "settingsGpuLayers").setValue(0)
    model = dialog.findChild(QComboBox, "settingsDefaultModel")
    assert model.findData(str(smollm2_path.resolve())) >= 0
    choose(model, "")
    choose(model, str(smollm2_path.resolve()))
    embedder = dialog.findChild(QComboBox, "settingsDefaultEmbedder")
    wanted = str(minilm_path.resolve())
    qtbot.waitUntil(lambda: embedder.findData(wanted) >= 0, timeout=30_000)   # the installed embedding models
    choose(embedder, wanted)
    assert first.engine.load_options == {"n_threads": 2, "n_gpu_layers": 0}
    close_app(first)
    looks.apply_theme(QApplication.instance(), "system")   # the restart starts from the system's look
    looks.apply_font_size(QApplication.instance(), None)

    second = make_app(qtbot, smollm2_path, runtime=ScriptedRuntime())
    try:
        assert looks.is_dark(QApplication.palette())        # applied at start, before any dialog
        assert QApplication.font().pointSize() == 15
        assert second.engine.load_options == {"n_threads": 2, "n_gpu_layers": 0}
        assert second.home.embedder == minilm_path.resolve()
        dialog = open_settings(qtbot, second)
        assert dialog.findChild(QComboBox, "settingsTheme").currentData() == "dark"
        assert dialog.findChild(QSpinBox, "settingsFontSize").value() == 15
        assert dialog.findChild(QCheckBox, "settingsOffline").isChecked()
        assert dialog.findChild(QSpinBox, "settingsThreads").value() == 2
        assert dialog.findChild(QSpinBox, "settingsGpuLayers").value() == 0
        assert dialog.findChild(QComboBox, "settingsDefaultModel").currentData() == str(smollm2_path.resolve())
    finally:
        close_app(second)


def test_threads_reach_the_real_engine_on_the_next_load(qtbot, smollm2_path: Path) -> None:
    hearth = make_app(qtbot, smollm2_path)   # the real llama.cpp worker
    try:
        dialog = open_settings(qtbot, hearth)
        dialog.findChild(QSpinBox, "settingsThreads").setValue(1)
        dialog.findChild(QSpinBox, "settingsGpuLayers").setValue(0)
        loaded: list[object] = []
        hearth.engine.load(ModelWanted(str(smollm2_path), 512), loaded.append, loaded.append, force=True)
        qtbot.waitUntil(lambda: bool(loaded), timeout=60_000)
        info = loaded[0]
        assert getattr(info, "threads", None) == 1, info
        assert info.gpu_layers == 0
    finally:
        close_app(hearth)


def test_offline_mode_turns_the_hub_features_off_and_says_why(qtbot, app: HearthApp) -> None:
    dialog = open_settings(qtbot, app)
    dialog.findChild(QCheckBox, "settingsOffline").setChecked(True)
    assert "no network request" in dialog.offline_hint.text()
    manager = app.window.open_model_manager()
    qtbot.waitUntil(lambda: manager.results.count() > 0, timeout=20_000)   # the catalog is local: still shown
    qtbot.waitUntil(lambda: "Offline mode is on" in manager.hub_status.text())
    shown = manager.results.count()
    manager.search_box.setText("qwen")
    manager.search()
    assert "Offline mode is on" in manager.hub_status.text()
    assert manager.results.count() == shown             # an offline search does not empty the list
    row = manager.start_download("Qwen/Qwen2.5-0.5B-Instruct-GGUF", ["qwen2.5-0.5b-instruct-q4_k_m.gguf"], None)
    assert row.state == "cancelled" and "Offline mode is on" in row.label.text()
