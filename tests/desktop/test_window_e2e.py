"""The window end to end through the real engine: llama.cpp in its worker process, SmolLM2.

Type, press Enter, the reply streams into the view and is in the database;
Stop ends a long reply and keeps what was written; a killed worker leaves
the window up with "Reload model", and reloading works.
"""
from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtCore import Qt, QTimer

from desktop.app import HearthApp
from tests.window_helpers import bubbles, close_app, in_database, make_app, type_and_send, wait_idle


@pytest.fixture
def app(qtbot, smollm2_path: Path) -> Iterator[HearthApp]:
    hearth = make_app(qtbot, smollm2_path)
    yield hearth
    close_app(hearth)


def new_greedy_chat(qtbot, app: HearthApp, max_tokens: int | None = None) -> None:
    """Ctrl+N, then temperature 0 (and a reply length) in the settings panel, as a user would."""
    window = app.window
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.conversation is not None and window.settings.isEnabled())
    window.settings.findChild(object, "temperatureSlider").setValue(0)
    if max_tokens is not None:
        window.settings.findChild(object, "maxTokens").setValue(max_tokens)
    window.settings.flush()
    conv_id = window.conversation.id
    qtbot.waitUntil(lambda: in_database(lambda s: s.conversation(conv_id).sampling.get("temperature")) == 0)


def test_type_enter_and_the_reply_streams_into_view_and_database(qtbot, app: HearthApp) -> None:
    window = app.window
    qtbot.waitUntil(lambda: window.info is not None, timeout=60_000)  # preloaded in the background
    assert "CPU" in window.status.backend_label.text() or "GPU" in window.status.backend_label.text()
    new_greedy_chat(qtbot, app)
    type_and_send(qtbot, app, "What is the capital of France?")
    qtbot.waitUntil(lambda: window.generation is not None and window.generation.live is not None, timeout=30_000)
    wait_idle(qtbot, app, timeout=120_000)
    reply = bubbles(app)[1]
    assert reply.item.message.status == "complete"
    assert "Paris" in reply.text.source_text()
    conv_id = window.conversation.id
    stored = in_database(lambda s: s.thread(conv_id))
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[1].content == reply.text.source_text()
    assert stored[1].record["model"]["name"] and stored[1].tokens_per_s > 0
    assert "tokens/s" in window.status.speed_label.text()

    # a longer reply is drawn piece by piece while it streams, not once at the end
    seen: set[int] = set()
    sampler = QTimer()
    sampler.timeout.connect(lambda: seen.add(len(bubbles(app)[-1].text.toPlainText()))
                            if window.generation is not None and len(bubbles(app)) == 4 else None)
    sampler.start(5)
    type_and_send(qtbot, app, "Write a short poem about the sea.")
    wait_idle(qtbot, app, timeout=120_000)
    sampler.stop()
    assert len(seen - {0}) >= 3, seen
    assert len(bubbles(app)) == 4 and bubbles(app)[3].item.message.status == "complete"


def start_long_reply(qtbot, app: HearthApp, wait_for_chars: int) -> None:
    """A greedy chat asked to count to 500; returns once the reply has ``wait_for_chars`` characters."""
    window = app.window
    qtbot.waitUntil(lambda: window.info is not None, timeout=60_000)
    new_greedy_chat(qtbot, app, max_tokens=2000)
    type_and_send(qtbot, app, "Count from 1 to 500, separated by commas.")
    qtbot.waitUntil(lambda: window.generation is not None and window.generation.live is not None
                    and len(window.generation.live.answer) > wait_for_chars, timeout=60_000)


def test_stop_ends_a_long_reply_and_keeps_it(qtbot, app: HearthApp) -> None:
    window = app.window
    start_long_reply(qtbot, app, 40)
    qtbot.mouseClick(window.composer.stop_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, app, timeout=30_000)
    reply = bubbles(app)[1].item.message
    assert reply.status == "interrupted"
    assert len(reply.content) > 40 and reply.completion_tokens < 2000
    assert in_database(lambda s: s.message(reply.id).content) == reply.content


def test_killed_engine_leaves_the_window_up_with_reload(qtbot, app: HearthApp) -> None:
    window = app.window
    start_long_reply(qtbot, app, 20)
    os.kill(app.engine.runtime.worker_pid, signal.SIGKILL)
    wait_idle(qtbot, app, timeout=30_000)
    reply = bubbles(app)[1]
    assert window.isVisible()
    assert reply.item.message.status == "interrupted"
    assert len(reply.item.message.content) > 20
    assert reply.reload_button.isVisible() and "SIGKILL" in reply.error_label.text()
    assert "reload" in window.status.model_label.text().lower()
    qtbot.mouseClick(reply.reload_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.info is not None, timeout=60_000)
    type_and_send(qtbot, app, "Say hello.")
    wait_idle(qtbot, app, timeout=120_000)
    assert bubbles(app)[-1].item.message.status == "complete"
