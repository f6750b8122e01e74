"""A backend's model in the window: in the model picker, loaded as the conversation's model, shown in the
status bar as computed elsewhere, and answering through the same chat as a local model."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from engine import paths, remote_path
from engine.remote import Backend, Backends
from engine.store import Store
from tests.desktop.test_backends_tab import click, open_backends, open_form, select_row
from tests.engine.remote.test_backends import MemoryKeyring, keychain  # noqa: F401
from tests.remote_fake_server import FakeOpenAI, fake_openai  # noqa: F401
from tests.window_helpers import bubbles, close_app, in_database, make_app, type_and_send, wait_idle

REMOTE = remote_path("box", "fake-model")


def add_backend(url: str, **fields: object) -> None:
    with Store(paths().database) as store:
        Backends(store).add(Backend("box", url, preset="ollama", model="fake-model", **fields))  # type: ignore[arg-type]


def test_a_backends_model_is_picked_shown_and_answers(qtbot, fake_openai: FakeOpenAI,  # noqa: F811
                                                      keychain: MemoryKeyring, smollm2_path: Path) -> None:  # noqa: F811
    fake_openai.stream = "reasoning"
    fake_openai.usage = {"prompt_tokens": 3, "completion_tokens": 4}   # far fewer than sent: the server cut it
    add_backend(fake_openai.url, context_window=2048)
    app = make_app(qtbot, smollm2_path)
    try:
        window = app.window
        qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: window.conversation is not None and window.settings.isEnabled())
        picker = window.settings.model_picker
        qtbot.waitUntil(lambda: picker.findData(REMOTE) >= 0)
        local = picker.findData(str(smollm2_path.resolve()))
        assert 0 <= local < picker.findData(REMOTE)   # installed models first, then the backends'
        assert picker.itemText(picker.findData(REMOTE)) == "fake-model · on box"
        picker.setCurrentIndex(picker.findData(REMOTE))
        window.settings.flush()
        qtbot.waitUntil(lambda: window.info is not None and window.info.path == REMOTE, timeout=20_000)
        assert window.status.backend_label.text() == "Remote · box"
        assert "fake-model · context 2,048" == window.status.model_label.text()
        assert window.settings.context_slider.maximum() == 2048   # the backend's typed context is the limit
        type_and_send(qtbot, app, "Hi " + "tell me everything about the sea " * 20)
        wait_idle(qtbot, app)
        reply = bubbles(app)[1]
        assert reply.text.source_text() == "Hello there!" and reply.item.message.status == "complete"
        assert reply.item.message.reasoning == "The user greets me."
        conv_id = window.conversation.id
        stored = in_database(lambda s: (s.conversation(conv_id), s.thread(conv_id)))
        assert stored[0].model_path == REMOTE
        assert stored[1][1].record["remote"]["backend"] == "box"
        assert "read only 3 of the" in window.status.currentMessage()   # Ollama's silent cut, said out loud
        # back to the local model: the worker loads it again, the status bar says CPU
        picker.setCurrentIndex(local)
        window.settings.flush()
        qtbot.waitUntil(lambda: window.info is not None and window.info.path == str(smollm2_path.resolve()),
                        timeout=60_000)
        assert "CPU" in window.status.backend_label.text()
    finally:
        close_app(app)


def test_with_only_a_backend_the_window_chats_instead_of_welcoming(qtbot, fake_openai: FakeOpenAI,  # noqa: F811
                                                                   keychain: MemoryKeyring) -> None:  # noqa: F811
    add_backend(fake_openai.url)
    app = make_app(qtbot, None)
    try:
        window = app.window
        qtbot.waitUntil(lambda: bool(window.remote_models), timeout=10_000)
        assert window.pages.currentWidget() is window.chat_page
        qtbot.waitUntil(lambda: window.info is not None and window.info.path == REMOTE, timeout=20_000)
        type_and_send(qtbot, app, "Hi")
        wait_idle(qtbot, app)
        assert bubbles(app)[1].text.source_text() == "Hello there!"
        assert window.info.n_ctx == 4096   # the fake says nothing of its context: Ollama's default assumed
        assert window.settings.context_slider.maximum() == 4096   # the panel shows what the server runs at
        # the user types the server's real context in Models → Backends: the loaded model is bound again
        manager, panel = open_backends(qtbot, app)
        qtbot.waitUntil(lambda: panel.table.rowCount() == 1)
        select_row(qtbot, panel)
        form = open_form(qtbot, panel, panel.edit_button)
        form.context.setValue(2048)
        click(qtbot, form.buttons.button(form.buttons.StandardButton.Save))
        qtbot.waitUntil(lambda: window.info is not None and window.info.n_ctx == 2048, timeout=20_000)
        assert window.status.model_label.text() == "fake-model · context 2,048"
    finally:
        close_app(app)
