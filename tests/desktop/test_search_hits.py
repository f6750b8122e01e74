"""Conversation search as a user meets it: a hit opens its chat at the matching message, with the
searched word marked, and a whole word ("basil") is found before the same letters inside another word
("basilicas"). The real Chat service, store and widgets; the model is scripted.
"""
from __future__ import annotations

from PySide6.QtCore import Qt

from desktop.app import HearthApp
from engine.runtime.scripted import ScriptedRuntime as FakeRuntime
from tests.window_helpers import bubbles, chat, new_chat, wait_idle


def test_a_hit_opens_its_message_marked_and_whole_words_come_first(qtbot, app: HearthApp,
                                                                   fake: FakeRuntime) -> None:
    long = "\n\n".join(f"Paragraph {i} about the weather and the sea." for i in range(40))
    fake.replies = [["The basilicas of Rome are old; the basilicas are many."],
                    ["Tear fresh basil leaves over the pasta at the end."]] + [[long]] * 3
    chat(qtbot, app, "Tell me about Rome")
    new_chat(qtbot, app)
    chat(qtbot, app, "How do I finish the pasta?", "More", "More", "More")
    listing = app.window.conversations
    qtbot.keyClick(app.window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    listing.search_box.insert("basil")
    qtbot.waitUntil(lambda: listing.search_mode and listing.list.count() == 2, timeout=5000)
    first = listing.list.item(0).text()
    assert "[basil] leaves" in first, first                      # the whole word, not "basilicas", first
    assert "[basil]icas" in listing.list.item(1).text()

    # open the herb message from the other chat, several long replies above the end
    new_chat(qtbot, app)
    listing.search_box.clear()
    listing.search_box.insert("basil")
    qtbot.waitUntil(lambda: listing.search_mode and listing.list.count() == 2, timeout=5000)
    listing.list.setCurrentRow(0)
    qtbot.waitUntil(lambda: len(bubbles(app)) == 8, timeout=5000)
    wait_idle(qtbot, app)
    target = next(b for b in bubbles(app) if "fresh basil" in b.text.source_text())
    qtbot.waitUntil(lambda: target.text.highlighted_text() == ["basil"], timeout=5000)
    view = app.window.chat_view
    top = target.mapTo(view.widget(), target.rect().topLeft()).y()
    shown = view.verticalScrollBar().value()
    assert shown <= top < shown + view.viewport().height(), (top, shown)   # scrolled to it, not left at the end
    assert view.verticalScrollBar().value() < view.verticalScrollBar().maximum()
    others = [b for b in bubbles(app) if b is not target]
    assert all(b.text.highlighted_text() == [] for b in others)
