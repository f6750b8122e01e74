"""Untrusted text in the window is shown as text: never Qt rich text, control characters made visible.

Conversation titles, file names, source paths and snippets, model names and error messages come from
files and models, not from us. A name with ``<b>x</b>``, ``<img src=http://127.0.0.1:PORT/>``, ESC and
U+202E (right-to-left override) must show literally: the labels are PlainText, the control characters
escaped, and a canary HTTP server on loopback sees no request. The attachment queue is hostile input
too: one file whose preparation never ends (a FIFO) must not hold up the files attached after it.
"""
from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from desktop.app import HearthApp
from desktop.errors_ui import show_error
from desktop.main.sources_view import SourceCard
from desktop.plain import tip, visible
from engine import errors
from engine.runtime.scripted import ScriptedRuntime
from tests.window_helpers import chat, close_app, make_app, wait_database

PLAIN = Qt.TextFormat.PlainText


@pytest.fixture
def canary() -> Iterator[Any]:
    """An HTTP server on 127.0.0.1 that counts the requests it gets."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            server.hits += 1   # type: ignore[attr-defined]
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.hits = 0   # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def hostile(server: Any) -> str:
    return f"<b>x</b><img src=http://127.0.0.1:{server.server_address[1]}/canary.png>\x1b[31m\u202eexe.txt"


def shows_literally(label: QLabel, raw: str) -> None:
    assert label.textFormat() == PLAIN, (label.objectName(), label.text())
    assert "<b>x</b>" in label.text()
    assert "\x1b" not in label.text() and "\u202e" not in label.text()
    assert "\\x1b" in label.text() and "\\u202e" in label.text()


def paint(*widgets: Any) -> None:
    for widget in widgets:
        widget.show()
        widget.grab()
    QApplication.processEvents()
    time.sleep(0.3)


@pytest.fixture
def app(qtbot, smollm2_path: Path) -> Iterator[HearthApp]:
    fake = ScriptedRuntime()
    fake.replies = [["Hello."]] * 4
    hearth = make_app(qtbot, smollm2_path, runtime=fake)
    qtbot.waitUntil(lambda: hearth.window.info is not None and hearth.window.conversation is not None, timeout=10_000)
    yield hearth
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.isVisible():
            widget.close()
    close_app(hearth)


def test_a_hostile_conversation_title_shows_literally(qtbot, app: HearthApp, canary: Any) -> None:
    name = hostile(canary)
    chat(qtbot, app, "hi")
    window = app.window
    conv_id = window.conversation.id
    window.conversations.rename_requested.emit(conv_id, name)
    qtbot.waitUntil(lambda: window.conversation.title == name, timeout=5000)
    wait_database(qtbot, app)
    assert "\\x1b" in window.windowTitle() and "\u202e" not in window.windowTitle()
    window.refresh_conversations()   # as the list is filled at start
    qtbot.waitUntil(lambda: "\\u202e" in window.conversations.list.item(0).text(), timeout=5000)
    assert "\x1b" not in window.conversations.list.item(0).text()
    window.conversations.delete_requested.emit(conv_id)
    qtbot.waitUntil(lambda: window.conversations.undo_bar.isVisible(), timeout=5000)
    shows_literally(window.conversations.undo_label, name)
    paint(window)
    assert canary.hits == 0


def test_a_hostile_file_name_in_an_error_shows_literally(qtbot, canary: Any) -> None:
    name = hostile(canary)
    box = show_error(None, errors.AttachmentError(f"“{name}” cannot be attached.", path=name))
    try:
        assert box.textFormat() == PLAIN
        informative = box.findChild(QLabel, "qt_msgbox_informativelabel")
        shows_literally(informative, name)
        paint(box)
        assert canary.hits == 0
    finally:
        box.close()


def test_a_hostile_source_path_and_snippet_show_literally(qtbot, canary: Any) -> None:
    name = hostile(canary)
    card = SourceCard({"n": 1, "path": "/tmp/<b>x<img src=canary.png>\x1b\u202etxt.md", "heading": name, "page": None,
                       "text": f"snippet {name}", "score": 0.5, "vector_score": 0.5, "keyword_score": -1.0},
                      cited=True)
    qtbot.addWidget(card)
    shows_literally(card.title, name)
    assert card.text.textFormat() == PLAIN
    assert "&lt;b&gt;" in card.title.toolTip() or "<b>" not in card.title.toolTip()
    paint(card)
    assert canary.hits == 0


def test_hostile_names_in_the_status_bar_and_messages(qtbot, app: HearthApp, canary: Any) -> None:
    name = hostile(canary)
    status = app.window.status
    status.show_loading(name)
    shows_literally(status.model_label, name)
    chat(qtbot, app, "hi")
    reply = app.window.chat_view.widgets()[1]
    for label in (reply.role_label, reply.status_label, reply.error_label, reply.dropped_label):
        assert label.textFormat() == PLAIN, label.objectName()
    paint(app.window)
    assert canary.hits == 0


def test_visible_escapes_control_and_bidi_characters() -> None:
    assert visible("a\x1bb\u202ec\nd\u200b") == "a\\x1bb\\u202ec\\x0ad\\u200b"
    assert visible("line\nnext", newlines=True) == "line\nnext"
    assert visible("报告 v2.pdf") == "报告 v2.pdf"
    assert tip("<b>x</b>") != "<b>x</b>" and "&lt;b&gt;" in tip("<b>x</b>")
    assert tip("plain") == "plain"


# --- the attachment queue ---------------------------------------------------------------------------------
def test_a_file_that_never_finishes_does_not_hold_up_the_next(qtbot, app: HearthApp, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.chat.attachments as engine_attachments
    real = engine_attachments.prepare
    release = threading.Event()
    hung = tmp_path / "y.txt"
    hung.write_text("never read\n")
    good = tmp_path / "notes.md"
    good.write_text("# Notes\n\nTomatoes need sun.\n")

    def prepare(path: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(path).name == "y.txt":
            release.wait(30)    # a FIFO nobody writes to
        return real(path, *args, **kwargs)

    monkeypatch.setattr(engine_attachments, "prepare", prepare)
    strip = app.window.composer.strip
    try:
        app.window.attachments.attach_files([str(hung), str(good)])
        qtbot.waitUntil(lambda: any(c.name == "notes.md" and not c.reading for c in strip.chips()), timeout=5000)
        assert [c.reading for c in strip.chips() if c.name == "y.txt"] == [True]
    finally:
        release.set()


def test_a_file_past_its_time_limit_fails_with_an_error_naming_it(qtbot, app: HearthApp, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.chat.attachments as engine_attachments
    release = threading.Event()
    hung = tmp_path / "y.txt"
    hung.write_text("never read\n")
    monkeypatch.setattr(engine_attachments, "prepare", lambda path, *a, **k: release.wait(30))
    app.window.attachments.preparer.limit_s = 0.5
    strip = app.window.composer.strip
    try:
        app.window.attachments.attach_files([str(hung)])
        qtbot.waitUntil(lambda: not strip.chips(), timeout=5000)
        boxes = [w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QMessageBox) and w.objectName() == "errorDialog" and w.isVisible()]
        assert boxes and "y.txt" in boxes[0].informativeText()
        assert isinstance(app.window._last_error, errors.AttachmentError)
    finally:
        release.set()
