"""Stop pressed before the first token (while the model reads the prompt) leaves a "Stopped" reply with no
timing: no "first token 0.00 s" in the status bar, no speed line under the reply (issue 18).

The scripted runtime holds its reply behind ``gate`` as a model does while it reads a long prompt; the real
engine's stop during prompt reading is tested in tests/engine/runtime/test_stop_prompt.py.
"""
from __future__ import annotations

from PySide6.QtCore import Qt

from desktop.app import HearthApp
from engine.runtime.scripted import ScriptedRuntime
from tests.window_helpers import bubbles, in_database, type_and_send, wait_idle


def test_a_reply_stopped_before_its_first_token_shows_no_timing(qtbot, app: HearthApp,
                                                                 fake: ScriptedRuntime) -> None:
    fake.replies = [["Hello", " there"], ["never", " shown"]]
    type_and_send(qtbot, app, "Hi")
    wait_idle(qtbot, app)
    speed = app.window.status.speed_label
    first = bubbles(app)[1]
    assert "123.0" in speed.text() and "123.0" in first.stats_label.text()   # a written reply has its speed

    fake.gate.clear()   # the model is still reading the prompt: no token yet
    type_and_send(qtbot, app, "Summarize this long document")
    composer = app.window.composer
    qtbot.waitUntil(lambda: composer.stop_button.isVisible() and len(bubbles(app)) == 4, timeout=5000)
    qtbot.mouseClick(composer.stop_button, Qt.MouseButton.LeftButton)
    fake.gate.set()
    wait_idle(qtbot, app)

    reply = bubbles(app)[3]
    conv_id = app.window.conversation.id
    stored = in_database(lambda s: s.thread(conv_id)[-1])
    assert (stored.role, stored.content, stored.status, stored.completion_tokens) == ("assistant", "", "interrupted", 0)
    assert reply.status_label.text() == "Stopped"
    assert reply.stats_label.text() == ""
    assert speed.text() == ""   # neither "first token 0.00 s" nor the previous reply's speed
    assert "token" not in app.window.status.currentMessage()
