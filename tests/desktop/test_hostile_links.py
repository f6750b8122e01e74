"""Links in replies are hostile input: a click shows where a link really goes and asks before opening it.

A model that read an injected document wrote ``[https://docs.python.org/3/](http://127.0.0.1/leak?…)``:
the text shows one address, the link opens another. The real window shows the reply (scripted model);
clicking the link (a real mouse click, or the view's anchorClicked) opens a dialog with the real target
and a warning, and QDesktopServices.openUrl is called only after Open. javascript: and file: links never
become links nor open. A bare URL followed by ``]`` does not take the bracket into the link.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication, QTextCursor
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from desktop.app import HearthApp
from desktop.main.link_dialog import deception, shown_hosts
from desktop.main.markdown import render_markdown
from desktop.main.message_text import MessageText
from engine.runtime.scripted import ScriptedRuntime
from tests.window_helpers import bubbles, chat, close_app, make_app

DECEPTIVE = "http://127.0.0.1/leak?data=SECRET"
REPLY = (f"See [https://docs.python.org/3/]({DECEPTIVE}) and [the tutorial](https://docs.python.org/3/tutorial/). "
         "Also [run](javascript:alert(1)) and [passwd](file:///etc/passwd).")


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL the app asks the desktop to open (none is really opened)."""
    calls: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: calls.append(url.toString()) or True))
    return calls


@pytest.fixture
def app(qtbot, smollm2_path: Path) -> Iterator[HearthApp]:
    fake = ScriptedRuntime()
    fake.replies = [[REPLY]]
    hearth = make_app(qtbot, smollm2_path, runtime=fake)
    qtbot.waitUntil(lambda: hearth.window.info is not None and hearth.window.conversation is not None, timeout=10_000)
    chat(qtbot, hearth, "Where are the Python docs?")
    yield hearth
    for box in dialogs():
        box.close()
    close_app(hearth)


def dialogs() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.objectName() == "linkConfirm" and w.isVisible()]


def reply_view(app: HearthApp) -> MessageText:
    segments = bubbles(app)[1].text.segments()
    found = [s for s in segments if DECEPTIVE in s.toHtml()]
    assert found, [s.toHtml() for s in segments]
    return found[0]


def anchor_point(view: MessageText, href: str):
    """The centre of the first character of the link to ``href``, in viewport coordinates."""
    block = view.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().anchorHref() == href:
                cursor = QTextCursor(view.document())
                cursor.setPosition(fragment.position() + 1)
                return view.cursorRect(cursor).center()
            it += 1
        block = block.next()
    raise AssertionError(f"no link to {href}")


def button(box: QMessageBox, name: str) -> QPushButton:
    found = box.findChild(QPushButton, name)
    assert found is not None, name
    return found


def test_clicking_a_deceptive_link_shows_the_real_target_and_opens_nothing_until_open(
        qtbot, app: HearthApp, opened: list[str]) -> None:
    view = reply_view(app)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=anchor_point(view, DECEPTIVE))
    qtbot.waitUntil(lambda: bool(dialogs()))
    assert opened == []
    box = dialogs()[0]
    text = box.text()
    assert "<b>127.0.0.1</b>" in text and "/leak?data=SECRET" in text
    assert "docs.python.org" in text and "127.0.0.1" in box.property("deceptive") + text
    assert box.property("deceptive") == "docs.python.org"
    assert box.property("target") == DECEPTIVE
    qtbot.mouseClick(button(box, "openLink"), Qt.MouseButton.LeftButton)
    assert opened == [DECEPTIVE]


def test_an_honest_link_asks_too_without_a_warning_and_cancel_opens_nothing(
        qtbot, app: HearthApp, opened: list[str]) -> None:
    view = reply_view(app)
    view.anchorClicked.emit(QUrl("https://docs.python.org/3/tutorial/"))
    qtbot.waitUntil(lambda: bool(dialogs()))
    box = dialogs()[0]
    assert box.property("deceptive") == ""
    assert "<b>docs.python.org</b>" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert opened == []


def test_copy_link_copies_the_real_target(qtbot, app: HearthApp, opened: list[str]) -> None:
    reply_view(app).anchorClicked.emit(QUrl(DECEPTIVE))
    qtbot.waitUntil(lambda: bool(dialogs()))
    box = dialogs()[0]
    assert box.property("deceptive") == "docs.python.org"   # found from the link's text in the view
    qtbot.mouseClick(button(box, "copyLink"), Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == DECEPTIVE
    assert opened == []


def test_hovering_a_link_shows_its_target_and_unsafe_links_never_open(
        qtbot, app: HearthApp, opened: list[str]) -> None:
    view = reply_view(app)
    view.highlighted.emit(QUrl(DECEPTIVE))
    assert DECEPTIVE in view.toolTip()
    html = view.toHtml()
    assert "javascript:" not in html and "file:///etc/passwd" not in html
    for href in ("javascript:alert(1)", "file:///etc/passwd"):
        view.anchorClicked.emit(QUrl(href))
    QApplication.processEvents()
    assert dialogs() == [] and opened == []
    view.anchorClicked.emit(QUrl(DECEPTIVE))
    assert opened == []       # today a click opened it at once
    assert len(dialogs()) == 1


@pytest.mark.parametrize(("text", "href"), [
    ("see https://example.com/a] and more", "https://example.com/a"),
    ("[see https://example.com/a]", "https://example.com/a"),
    ("(https://example.com/b).", "https://example.com/b"),
    ("“https://example.com/c”,", "https://example.com/c"),
    ("https://en.wikipedia.org/wiki/Foo_(bar)!", "https://en.wikipedia.org/wiki/Foo_(bar)"),
    ("https://example.com/x?a[0]=1]", "https://example.com/x?a[0]=1"),
])
def test_a_bare_url_leaves_unbalanced_brackets_and_punctuation_out(text: str, href: str) -> None:
    html = render_markdown(text).html
    assert f'href="{href}"' in html, html


def test_what_counts_as_another_address() -> None:
    assert shown_hosts("https://docs.python.org/3/") == ["docs.python.org"]
    assert deception(["https://docs.python.org/3/"], DECEPTIVE) == "docs.python.org"
    assert deception(["docs.python.org"], "https://docs.python.org/3/") is None
    assert deception(["python.org"], "https://docs.python.org/") is None          # a subdomain of what is shown
    assert deception(["www.python.org"], "https://python.org/") is None
    assert deception(["the tutorial"], "https://evil.example/") is None
    assert deception(["setup.py"], "https://github.com/x/y/blob/main/setup.py") is None
    assert deception(["help@bank.example"], "mailto:thief@evil.example") == "bank.example"
    assert deception(["10.0.0.1"], "https://docs.python.org/") == "10.0.0.1"
