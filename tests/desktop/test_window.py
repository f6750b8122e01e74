"""The window's interactions, driven like a user, over a scripted runtime.

The real Chat service, store, job threads and widgets run; only the model is
scripted (engine/runtime/scripted.py). tests/desktop/test_window_e2e.py does the same
through the real llama.cpp engine.
"""
from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from desktop.app import HearthApp
from engine.runtime.scripted import ScriptedRuntime as FakeRuntime
from tests.window_helpers import (bubbles, chat, close_app, in_database, make_app, new_chat, texts, type_and_send,
                                  wait_idle)


def test_send_streams_the_reply_into_the_view_and_the_database(qtbot, app: HearthApp, fake: FakeRuntime) -> None:
    fake.replies = [["Hello", " there", "!"]]
    type_and_send(qtbot, app, "Hi 你好")
    qtbot.waitUntil(lambda: app.window.composer.text() == "")
    wait_idle(qtbot, app)
    assert texts(app) == [("user", "Hi 你好"), ("assistant", "Hello there!")]
    conv_id = app.window.conversation.id
    stored = in_database(lambda s: [(m.role, m.content, m.status) for m in s.thread(conv_id)])
    assert stored == [("user", "Hi 你好", "complete"), ("assistant", "Hello there!", "complete")]
    assert app.window.conversations.list.count() == 1
    assert app.window.conversations.list.item(0).text() == "Hi 你好"
    assert "123.0" in app.window.status.speed_label.text()


def test_shift_enter_makes_a_new_line_instead_of_sending(qtbot, app: HearthApp) -> None:
    box = app.window.composer.input
    box.setFocus()
    qtbot.keyClicks(box, "one")
    qtbot.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(box, "two")
    assert box.toPlainText() == "one\ntwo"
    assert app.window.generation is None


def test_stop_button_replaces_send_and_keeps_the_partial_reply(qtbot, app: HearthApp, fake: FakeRuntime) -> None:
    fake.delay = 0.03
    fake.replies = [[f"w{i} " for i in range(200)]]
    type_and_send(qtbot, app, "Write a lot")
    composer = app.window.composer
    qtbot.waitUntil(lambda: composer.stop_button.isVisible() and not composer.send_button.isVisible())
    qtbot.waitUntil(lambda: len(bubbles(app)) == 2 and "w3" in bubbles(app)[1].text.source_text(), timeout=5000)
    qtbot.mouseClick(composer.stop_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, app)
    assert composer.send_button.isVisible() and not composer.stop_button.isVisible()
    reply = bubbles(app)[1].item.message
    assert reply.status == "interrupted" and reply.error is None
    assert 3 < len(reply.content.split()) < 200
    assert bubbles(app)[1].status_label.text() == "Stopped"


def test_escape_stops(qtbot, app: HearthApp, fake: FakeRuntime) -> None:
    fake.delay = 0.03
    fake.replies = [[f"w{i} " for i in range(200)]]
    type_and_send(qtbot, app, "Write a lot")
    qtbot.waitUntil(lambda: len(bubbles(app)) == 2 and "w2" in bubbles(app)[1].text.source_text(), timeout=5000)
    qtbot.keyClick(app.window, Qt.Key.Key_Escape)
    wait_idle(qtbot, app)
    assert bubbles(app)[1].item.message.status == "interrupted"


def test_regenerate_makes_a_sibling_and_arrows_switch_between_them(qtbot, app: HearthApp,
                                                                   fake: FakeRuntime) -> None:
    fake.replies = [["First answer"], ["Second answer"]]
    type_and_send(qtbot, app, "Question")
    wait_idle(qtbot, app)
    reply = bubbles(app)[1]
    assert not reply.sibling_label.isVisible()
    qtbot.mouseClick(reply.regenerate_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, app)
    # the new branch is shown once the conversation is reloaded after the reply: wait for that, not a time
    qtbot.waitUntil(lambda: texts(app)[-1] == ("assistant", "Second answer"), timeout=10_000)
    assert texts(app) == [("user", "Question"), ("assistant", "Second answer")]
    reply = bubbles(app)[1]
    assert reply.sibling_label.isVisible() and reply.sibling_label.text() == "2/2"
    assert reply.prev_button.isEnabled() and not reply.next_button.isEnabled()
    qtbot.mouseClick(reply.prev_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: texts(app)[-1] == ("assistant", "First answer"))
    assert bubbles(app)[1].sibling_label.text() == "1/2"
    conv_id = app.window.conversation.id
    assert in_database(lambda s: [m.content for m in s.thread(conv_id)]) == ["Question", "First answer"]
    assert in_database(lambda s: len(s.messages(conv_id))) == 3  # nothing was erased


def test_edit_creates_a_branch_and_keeps_the_original(qtbot, app: HearthApp, fake: FakeRuntime) -> None:
    fake.replies = [["About cats"], ["More cats"], ["About dogs"]]
    type_and_send(qtbot, app, "Tell me about cats")
    wait_idle(qtbot, app)
    type_and_send(qtbot, app, "More")
    wait_idle(qtbot, app)
    first = bubbles(app)[0]
    qtbot.mouseClick(first.edit_button, Qt.MouseButton.LeftButton)
    assert first.editor.isVisible() and first.editor.toPlainText() == "Tell me about cats"
    first.editor.setPlainText("Tell me about dogs")
    qtbot.mouseClick(first.edit_send, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, app)
    assert texts(app) == [("user", "Tell me about dogs"), ("assistant", "About dogs")]
    assert bubbles(app)[0].sibling_label.text() == "2/2"
    qtbot.mouseClick(bubbles(app)[0].prev_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(bubbles(app)) == 4)
    assert [t for _, t in texts(app)] == ["Tell me about cats", "About cats", "More", "More cats"]


def test_delete_can_be_undone(qtbot, app: HearthApp, fake: FakeRuntime) -> None:
    chat(qtbot, app, "first chat")
    new_chat(qtbot, app)
    chat(qtbot, app, "second chat")
    listing = app.window.conversations
    qtbot.waitUntil(lambda: listing.list.count() == 2)
    assert listing.list.item(0).text() == "second chat"
    listing.delete_current()
    qtbot.waitUntil(lambda: listing.list.count() == 1)
    assert listing.undo_bar.isVisible() and "second chat" in listing.undo_label.text()
    assert app.window.conversation is None and not bubbles(app)
    qtbot.mouseClick(listing.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: listing.list.count() == 2)
    qtbot.waitUntil(lambda: texts(app)[:1] == [("user", "second chat")])
    assert not listing.undo_bar.isVisible()


def test_rename(qtbot, app: HearthApp) -> None:
    type_and_send(qtbot, app, "untitled")
    wait_idle(qtbot, app)
    listing = app.window.conversations
    qtbot.waitUntil(lambda: listing.list.count() == 1)
    listing.list.item(0).setText("菜谱 Recipes")
    conv_id = app.window.conversation.id
    qtbot.waitUntil(lambda: in_database(lambda s: s.conversation(conv_id).title) == "菜谱 Recipes")
    qtbot.waitUntil(lambda: app.window.windowTitle().startswith("菜谱 Recipes"))


def test_search_finds_messages_and_opens_the_conversation(qtbot, app: HearthApp, fake: FakeRuntime) -> None:
    fake.replies = [["红烧肉需要五花肉和冰糖。"], ["Paris is the capital."]]
    chat(qtbot, app, "红烧肉怎么做")
    new_chat(qtbot, app)
    chat(qtbot, app, "capital of France")
    listing = app.window.conversations
    qtbot.keyClick(app.window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert listing.search_box.hasFocus()
    listing.search_box.insert("五花肉")  # as an input method would commit it
    qtbot.waitUntil(lambda: listing.search_mode and listing.list.count() == 1, timeout=5000)
    assert "五花肉" in listing.list.item(0).text()
    listing.list.setCurrentRow(0)
    qtbot.waitUntil(lambda: texts(app)[:1] == [("user", "红烧肉怎么做")])
    listing.search_box.clear()
    qtbot.waitUntil(lambda: not listing.search_mode and listing.list.count() == 2)


def test_settings_panel_changes_are_stored_per_conversation(qtbot, app: HearthApp) -> None:
    type_and_send(qtbot, app, "hello")
    wait_idle(qtbot, app)
    panel = app.window.settings
    slider = panel.findChild(object, "temperatureSlider")
    slider.setValue(slider.maximum())
    panel.flush()
    conv_id = app.window.conversation.id
    qtbot.waitUntil(lambda: in_database(lambda s: s.conversation(conv_id).sampling.get("temperature")) == 2.0)
    # the next reply is generated with it, and its record says so
    type_and_send(qtbot, app, "again")
    wait_idle(qtbot, app)
    record = bubbles(app)[-1].item.message.record
    assert record["sampling"]["temperature"] == 2.0
    # another conversation keeps its own value
    qtbot.keyClick(app.window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: app.window.conversation is not None and app.window.conversation.id != conv_id)
    assert slider.value() != slider.maximum()


def test_context_meter_follows_the_draft(qtbot, app: HearthApp, fake: FakeRuntime) -> None:
    meter = app.window.composer.meter
    type_and_send(qtbot, app, "hello")
    wait_idle(qtbot, app)
    qtbot.waitUntil(lambda: dict(meter.segments()).get("history", 0) > 0, timeout=5000)
    before = dict(meter.segments())["draft"]
    app.window.composer.input.setPlainText("word " * 400)
    qtbot.waitUntil(lambda: dict(meter.segments())["draft"] > before + 400, timeout=5000)
    assert sum(tokens for _, tokens in meter.segments()) == 4096
    assert "4,096" in meter.summary_text()


def test_older_turns_left_out_show_a_notice(qtbot, app: HearthApp, fake: FakeRuntime) -> None:
    type_and_send(qtbot, app, "start")
    wait_idle(qtbot, app)
    conv_id = app.window.conversation.id
    app.window.update_settings({"ctx_size": 512})
    qtbot.waitUntil(lambda: fake.info is not None and fake.info.n_ctx == 512, timeout=5000)
    for i in range(3):
        type_and_send(qtbot, app, f"long message {i} " + "x" * 600)
        wait_idle(qtbot, app)
    notice = bubbles(app)[-1].dropped_label
    assert notice.isVisible()
    assert "left out" in notice.text() and "“start”" in notice.text()
    dropped = in_database(lambda s: s.thread(conv_id)[-1].record["dropped"])
    assert dropped and all(isinstance(i, int) for i in dropped)


def test_model_crash_keeps_the_partial_reply_and_offers_reload(qtbot, app: HearthApp, fake: FakeRuntime) -> None:
    fake.replies = [["Partial ", "answer ", "lost"]]
    fake.crash_after = 2
    type_and_send(qtbot, app, "crash please")
    wait_idle(qtbot, app)
    # the crashed reply is shown from the database once stored as interrupted: wait for that, not a time
    qtbot.waitUntil(lambda: bubbles(app)[1].item.message.status == "interrupted", timeout=10_000)
    reply = bubbles(app)[1]
    assert reply.text.source_text().strip() == "Partial answer"
    assert reply.item.message.status == "interrupted"
    assert reply.error_box.isVisible() and reply.reload_button.isVisible()
    assert "stopped unexpectedly" in reply.error_label.text()
    assert app.window.isVisible()
    loads = len(fake.loads)
    qtbot.mouseClick(reply.reload_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(fake.loads) == loads + 1)
    type_and_send(qtbot, app, "and now?")
    wait_idle(qtbot, app)
    assert bubbles(app)[-1].item.message.status == "complete"


def test_switching_conversation_while_streaming_does_not_mix(qtbot, app: HearthApp, fake: FakeRuntime) -> None:
    chat(qtbot, app, "chat B first")
    b_id = app.window.conversation.id
    new_chat(qtbot, app)
    fake.delay = 0.02
    fake.replies = [[f"a{i} " for i in range(60)]]
    type_and_send(qtbot, app, "chat A")
    a_id = None
    qtbot.waitUntil(lambda: len(bubbles(app)) == 2, timeout=5000)
    a_id = app.window.conversation.id
    app.window.open_conversation(b_id)
    qtbot.waitUntil(lambda: app.window.conversation.id == b_id)
    assert not app.window.composer.send_button.isEnabled()  # one reply at a time
    streamed = len(app.window.generation.live.answer.split())
    qtbot.waitUntil(lambda: app.window.generation is None                 # more of A arrives while B is shown
                    or len(app.window.generation.live.answer.split()) >= streamed + 5, timeout=5000)
    assert [t for _, t in texts(app)] == ["chat B first", "Reply 1"]
    app.window.open_conversation(a_id)
    qtbot.waitUntil(lambda: app.window.conversation.id == a_id)
    wait_idle(qtbot, app)
    assert texts(app)[1][1].split() == [f"a{i}" for i in range(60)]
    assert app.window.composer.send_button.isEnabled()


def test_code_blocks_render_and_copy(qtbot, app: HearthApp, fake: FakeRuntime) -> None:
    fake.replies = [["Here:\n\n```python\nprint('hi')\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"]]
    type_and_send(qtbot, app, "code")
    wait_idle(qtbot, app)
    text = bubbles(app)[1].text
    assert "print('hi')" in text.toPlainText() and "1" in text.toPlainText()
    code_segment = next(segment for segment in text.segments() if segment.code_blocks())
    code_segment.anchorClicked.emit(QUrl("hearth-copy:0"))
    assert QGuiApplication.clipboard().text().strip() == "print('hi')"


def test_a_long_code_block_is_drawn_in_chunks_and_copied_whole(qtbot, app: HearthApp,
                                                               fake: FakeRuntime) -> None:
    code = "".join(f"line_{i} = {i}\n" for i in range(100))
    fake.replies = [["Long:\n\n```python\n", *[f"line_{i} = {i}\n" for i in range(100)], "```\n\nEnd."]]
    type_and_send(qtbot, app, "long code")
    wait_idle(qtbot, app)
    text = bubbles(app)[1].text
    chunks = [segment for segment in text.segments() if "line_" in segment.toPlainText()]
    assert len(chunks) == 7  # 100 lines in chunks of 16
    assert "Copy" in chunks[0].toPlainText() and "Copy" not in chunks[1].toPlainText()
    chunks[0].anchorClicked.emit(QUrl("hearth-copy:0"))
    assert QGuiApplication.clipboard().text() == code.rstrip("\n")
    assert "".join(s.toPlainText() for s in chunks).count("line_") == 100


def test_welcome_page_without_models(qtbot) -> None:
    hearth = make_app(qtbot, None, runtime=FakeRuntime())
    try:
        window = hearth.window
        qtbot.waitUntil(lambda: window.pages.currentWidget() is window.welcome)
        assert "models" in window.welcome.body.text()
        assert not window.composer.send_button.isEnabled()
    finally:
        close_app(hearth)


def test_window_state_is_remembered(qtbot, smollm2_path: Path) -> None:
    first = make_app(qtbot, smollm2_path, runtime=FakeRuntime())
    type_and_send(qtbot, first, "remember me")
    wait_idle(qtbot, first)
    conv_id = first.window.conversation.id
    first.window.resize(780, 520)  # the offscreen screen is 800 wide
    first.window.menus.panel.setChecked(False)
    qtbot.waitUntil(lambda: first.window.width() == 780)
    close_app(first)
    second = make_app(qtbot, smollm2_path, runtime=FakeRuntime())
    try:
        qtbot.waitUntil(lambda: second.window.conversation is not None)
        assert second.window.conversation.id == conv_id
        assert texts(second)[0] == ("user", "remember me")
        assert (second.window.width(), second.window.height()) == (780, 520)
        assert not second.window.settings.isVisible()
    finally:
        close_app(second)


def test_language_switch_to_chinese_and_back(qtbot, app: HearthApp) -> None:
    window = app.window
    window.set_language("zh_CN")
    qtbot.waitUntil(lambda: window.composer.send_button.text() == "发送")
    assert window.conversations.new_button.text() == "新对话"
    assert window.menus.file.title() == "文件(&F)"
    assert app.prefs.language == "zh_CN"
    window.set_language("en")
    qtbot.waitUntil(lambda: window.composer.send_button.text() == "Send")
    assert window.menus.file.title() == "&File"


def test_reasoning_is_a_collapsed_block_above_the_answer(qtbot, app: HearthApp, fake: FakeRuntime) -> None:
    fake.replies = [["<think>", "The user greets me.", "</think>", "Hello!"]]
    type_and_send(qtbot, app, "hi")
    wait_idle(qtbot, app)
    reply = bubbles(app)[1]
    assert reply.text.source_text() == "Hello!"
    assert reply.reasoning_toggle.isVisible() and not reply.reasoning_text.isVisible()
    layout = reply.layout()
    assert layout.indexOf(reply.reasoning_toggle) < layout.indexOf(reply.text)
    qtbot.mouseClick(reply.reasoning_toggle, Qt.MouseButton.LeftButton)
    assert reply.reasoning_text.isVisible()
    assert "The user greets me." in reply.reasoning_text.toPlainText()
    conv_id = app.window.conversation.id
    assert in_database(lambda s: s.thread(conv_id)[-1].reasoning) == "The user greets me."


def test_ctrl_l_focuses_the_message_box(qtbot, app: HearthApp) -> None:
    app.window.conversations.search_box.setFocus()
    qtbot.keyClick(app.window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert app.window.composer.input.hasFocus()


def test_a_broken_model_file_gets_the_error_dialog_naming_it(qtbot, app: HearthApp, tmp_path: Path,
                                                             smollm2_path: Path) -> None:
    broken = tmp_path / "half-downloaded.gguf"
    with open(smollm2_path, "rb") as whole:
        broken.write_bytes(whole.read(3_000_000))  # a download cut short
    app.window.add_model_path(str(broken))
    qtbot.waitUntil(lambda: app.window.findChild(QMessageBox, "errorDialog") is not None, timeout=5000)
    box = app.window.findChild(QMessageBox, "errorDialog")
    assert box.text() == "This file is not a usable model."
    assert "half-downloaded.gguf" in box.informativeText()
    assert "download it again" in box.informativeText() or "Delete it" in box.informativeText()
    assert str(broken) not in [str(m.path) for m in app.window.models]
    assert app.window.isVisible()


def test_settings_changed_just_before_send_are_the_ones_the_reply_uses(qtbot, app: HearthApp,
                                                                         fake: FakeRuntime) -> None:
    """The panel's edits reach the database on its thread; the reply runs on the model's thread. With the
    database thread busy, the reply must still use the temperature and system prompt the panel shows."""
    qtbot.waitUntil(lambda: app.window.conversation is not None and app.window.info is not None)
    conv_id = app.window.conversation.id
    release = threading.Event()
    app.window.db.submit(lambda _store: release.wait(10))   # the panel's write waits behind this
    try:
        panel = app.window.settings
        panel.temperature_slider.setValue(27)   # 1.35
        panel.system_prompt.setPlainText("Answer like a pirate.")
        type_and_send(qtbot, app, "Ahoy")
        qtbot.waitUntil(lambda: app.window.generation is None, timeout=10_000)
    finally:
        release.set()
    wait_idle(qtbot, app)
    reply = in_database(lambda s: s.thread(conv_id)[-1])
    assert reply.role == "assistant" and reply.record["sampling"]["temperature"] == 1.35
    assert "Answer like a pirate." in fake.prompts[-1]
    stored = in_database(lambda s: s.conversation(conv_id))
    assert stored.system_prompt == "Answer like a pirate." and stored.sampling["temperature"] == 1.35
