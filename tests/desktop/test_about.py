"""Help → About, driven like a user: opened from the menu bar, read, "Copy diagnostics" pasted.

The window runs the real Chat service and threads over a scripted model; the
llama.cpp facts come from the real llama.cpp build (asked in a child process).
"""
from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QPushButton

from desktop.app import HearthApp
from desktop.settings.about import AboutDialog
from engine.runtime.build_info import parse_cpu_features
from engine.runtime.scripted import ScriptedRuntime
from tests.window_helpers import catching_file_urls, chat, close_app, make_app


@pytest.fixture
def app(qtbot, smollm2_path: Path) -> Iterator[HearthApp]:
    hearth = make_app(qtbot, smollm2_path, runtime=ScriptedRuntime())
    yield hearth
    close_app(hearth)


def menu_action(app: HearthApp, menu_title: str, text: str) -> QAction:
    """The action ``text`` in the menu bar's menu ``menu_title``, found the way a user reads the bar."""
    for top in app.window.menuBar().actions():
        if top.text().replace("&", "") == menu_title:
            found = [a for a in top.menu().actions() if a.text() == text]
            assert found, f"no {text!r} in {menu_title}: {[a.text() for a in top.menu().actions()]}"
            return found[0]
    raise AssertionError(f"no menu {menu_title!r}")


def open_about(qtbot, app: HearthApp) -> AboutDialog:
    menu_action(app, "Help", "About Hearth").trigger()
    dialog = app.window.findChild(AboutDialog, "aboutDialog")
    assert dialog is not None and dialog.isVisible()
    copy = dialog.findChild(QPushButton, "aboutCopyDiagnostics")
    qtbot.waitUntil(copy.isEnabled, timeout=30_000)   # llama.cpp has been asked
    return dialog


def test_about_shows_versions_backend_qt_and_licences(qtbot, app: HearthApp) -> None:
    dialog = open_about(qtbot, app)
    assert metadata.version("hearth") in dialog.title.text()
    details = dialog.details.text()
    assert f"llama-cpp-python {metadata.version('llama-cpp-python')}" in details
    backend = dialog.diagnostics.llama.backend
    assert backend in ("CPU", "CUDA", "Metal", "Vulkan", "HIP", "SYCL", "GPU")
    assert f"backend: {backend}" in details
    features = dialog.diagnostics.llama.cpu_features
    assert features, "llama.cpp reports the CPU features it uses"
    assert "CPU features used: " + " ".join(features) in details
    assert f"Qt {qVersion()}" in details
    licences = dialog.licences.text()
    assert "llama.cpp" in licences and "MIT" in licences
    assert "Qt 6 / PySide6" in licences and "LGPL-3.0" in licences


def test_copy_diagnostics_puts_a_report_without_user_content_on_the_clipboard(
        qtbot, app: HearthApp, smollm2_path: Path) -> None:
    app.engine.runtime.replies = [["Basil likes warmth."]]   # type: ignore[attr-defined]
    chat(qtbot, app, "my secret tomato recipe")
    QGuiApplication.clipboard().setText("")
    dialog = open_about(qtbot, app)
    qtbot.mouseClick(dialog.copy, Qt.MouseButton.LeftButton)
    report = QGuiApplication.clipboard().text()
    assert report.startswith(f"Hearth {metadata.version('hearth')}\n")
    assert f"Qt {qVersion()}" in report
    assert "Memory: " in report and "total" in report
    assert "llama-cpp-python " in report and ("GPU offload" in report)
    assert "Loaded model: Scripted" in report           # how the model runs …
    assert str(smollm2_path.parent) not in report        # … never where the user keeps it
    assert "secret tomato" not in report and "Basil" not in report
    assert f"Data folder: {app.paths.home}" in report
    home = str(Path.home())
    assert all(home not in line for line in report.splitlines() if not line.startswith("Data folder:"))
    assert "Copied" in dialog.copied.text()


def test_about_buttons_open_the_data_and_logs_folders(qtbot, app: HearthApp) -> None:
    dialog = open_about(qtbot, app)
    with catching_file_urls() as opened:
        dialog.findChild(QPushButton, "aboutOpenData").click()
        dialog.findChild(QPushButton, "aboutOpenLogs").click()
    assert opened.urls == [QUrl.fromLocalFile(str(app.paths.home)), QUrl.fromLocalFile(str(app.paths.logs))]


def test_cpu_features_are_read_from_llama_cpp_system_info() -> None:
    info = "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 0 | FMA = 1 | Metal : EMBED_LIBRARY = 1 | "
    assert parse_cpu_features(info) == ["SSE3", "AVX", "FMA", "EMBED_LIBRARY"]
