""""Show prompt" on a reply: the exact text the model was given, with what differs from the chat as shown.

End to end through the real engine (SmolLM2 in its worker): the dialog holds
byte for byte what ``hearth prompt`` computes from the GGUF header for the
same conversation, and Copy puts it on the clipboard. GUI-only cases build
the message widget from records: a reply without a stored prompt has the
action disabled with a tooltip saying why; dropped turns, a merged system
prompt and a cut prompt are each noted.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from PySide6.QtGui import QGuiApplication

from desktop.app import HearthApp
from desktop.main.message_widget import MessageWidget, ThreadItem
from desktop.main.prompt_dialog import PromptDialog
from engine import Message
from engine.chat.prompt_preview import header_template, preview_prompt
from tests.window_helpers import bubbles, close_app, make_app, type_and_send, wait_idle


def reply(record: dict[str, Any], *, status: str = "complete", role: str = "assistant") -> Message:
    now = time.time()
    return Message(id=2, conversation_id=1, parent_id=1, role=role, content="Hello.", reasoning="",
                   status=status, error=None, created_at=now, updated_at=now, record=record)


RECORD = {"model": {"name": "Tiny Chat", "quantization": "Q4_K_M"},
          "template": {"name": "gemma", "hash": "0123456789abcdef0123", "merges_system": False},
          "sampling": {"temperature": 0.7, "thinking": None}, "n_ctx": 2048, "dropped": [],
          "prompt": "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n"}


def test_the_dialog_shows_the_stored_prompt_with_its_model_template_and_thinking(qtbot) -> None:
    widget = MessageWidget(ThreadItem(reply(RECORD)))
    qtbot.addWidget(widget)
    button = widget.prompt_button
    assert not button.isHidden() and button.isEnabled()
    button.click()
    dialog = widget.prompt_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.text.toPlainText() == RECORD["prompt"]
    assert dialog.text.isReadOnly()
    header = dialog.header.text()
    assert "Tiny Chat (Q4_K_M)" in header and "gemma · 0123456789ab" in header
    assert "Thinking: the template's default" in header and "2048" in header
    assert dialog.notes.isHidden()   # nothing differs from the chat as shown
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == RECORD["prompt"]
    dialog.close()


@pytest.mark.parametrize("extra, expected", [
    ({"dropped": [3, 4]}, "2 earlier messages were left out"),
    ({"template": {"name": "gemma", "hash": "ab", "merges_system": True}}, "has no system role"),
    ({"joined": {"5": [3, 5]}}, "sent together as one user turn"),
    ({"prompt_cut": 12345}, "first 12,345 characters are not shown"),
])
def test_what_the_prompt_differs_by_is_noted(qtbot, extra: dict[str, Any], expected: str) -> None:
    dialog = PromptDialog({**RECORD, **extra})
    qtbot.addWidget(dialog)
    assert not dialog.notes.isHidden()
    assert expected in dialog.notes.text()


def test_thinking_on_and_off_are_named(qtbot) -> None:
    for value, word in ((True, "Thinking: on"), (False, "Thinking: off")):
        dialog = PromptDialog({**RECORD, "sampling": {"thinking": value}})
        qtbot.addWidget(dialog)
        assert word in dialog.header.text()


def test_a_reply_without_a_stored_prompt_says_why_the_action_is_off(qtbot) -> None:
    widget = MessageWidget(ThreadItem(reply({k: v for k, v in RECORD.items() if k != "prompt"})))
    qtbot.addWidget(widget)
    assert not widget.prompt_button.isHidden()
    assert not widget.prompt_button.isEnabled()
    assert "no stored prompt" in widget.prompt_button.toolTip()


def test_a_streaming_reply_and_a_user_message_have_no_show_prompt(qtbot) -> None:
    streaming = MessageWidget(ThreadItem(reply(RECORD, status="streaming")))
    user = MessageWidget(ThreadItem(reply({}, role="user")))
    for widget in (streaming, user):
        qtbot.addWidget(widget)
    assert not streaming.prompt_button.isEnabled()
    assert user.prompt_button.isHidden()


def test_a_hostile_record_is_shown_as_text(qtbot) -> None:
    record = {**RECORD, "model": {"name": "<img src=http://127.0.0.1/x>\u202eevil", "quantization": ""}}
    dialog = PromptDialog(record)
    qtbot.addWidget(dialog)
    assert "<img src=http://127.0.0.1/x>" in dialog.header.text()
    assert "\u202e" not in dialog.header.text()


@pytest.fixture
def app(qtbot, smollm2_path: Path) -> Iterator[HearthApp]:
    hearth = make_app(qtbot, smollm2_path)
    yield hearth
    close_app(hearth)


def test_show_prompt_in_the_window_is_what_hearth_prompt_computes(qtbot, app: HearthApp, smollm2_path: Path) -> None:
    window = app.window
    qtbot.waitUntil(lambda: window.info is not None, timeout=60_000)
    window.settings.findChild(object, "maxTokens").setValue(8)
    window.settings.flush()
    type_and_send(qtbot, app, "Name a colour.")
    wait_idle(qtbot, app, timeout=120_000)
    type_and_send(qtbot, app, "And another?")
    wait_idle(qtbot, app, timeout=120_000)
    shown = bubbles(app)
    assert [b.item.message.role for b in shown] == ["user", "assistant", "user", "assistant"]
    last = shown[3]
    assert last.prompt_button.isEnabled()
    last.prompt_button.click()
    dialog = last.prompt_dialog
    assert dialog is not None and dialog.isVisible()
    messages = [{"role": b.item.message.role, "content": b.item.message.content} for b in shown[:3]]
    system = window.conversation.system_prompt
    expected = preview_prompt(header_template(smollm2_path), messages, system=system)
    assert dialog.text.toPlainText() == expected
    assert "Name a colour." in expected and "And another?" in expected
    assert shown[1].item.message.content in expected
    assert window.info.name in dialog.header.text()
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == expected
