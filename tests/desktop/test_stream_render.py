"""A streaming reply is drawn at the view's pace, not per token: few renders, each costing only the growing
block, and the end result identical to drawing the whole reply at once (Stop included)."""
from __future__ import annotations

import random
from typing import Any

import pytest
from PySide6.QtCore import Qt

from desktop.main import blocks
from desktop.main.blocks import BlockSplitter, split_blocks
from desktop.main.message_text import MessageText, SegmentedText
from desktop.main.message_widget import MessageWidget
from engine.runtime.scripted import ScriptedRuntime
from tests.window_helpers import bubbles, in_database, type_and_send, wait_idle

CODE = [f"total{i} = {i} * 2  # line {i}\n" for i in range(40)]
# A reply as a model streams it: prose, a list, a Python block growing token by token, more prose.
REPLY = (["Here ", "is ", "**the** ", "plan", ":\n\n", "- one\n", "- two\n\n", "```", "python", "\n"]
         + [token for line in CODE for token in (line[:7], line[7:])]
         + ["```\n\n", "Then ", "a ", "table", ":\n\n", "| a | b |\n", "|---|---|\n", "| 1 | 2 |\n\n"]
         + [f"Paragraph {i} says something long enough to be a block of its own. " * 8 + "\n\n"
            for i in range(6)])
TEXT = "".join(REPLY)


LINES = ["Some text.\n", "\n", "- item\n", "  continued\n", "1. one\n", "```python\n", "```\n", "~~~\n",
         "x = 1\n", "# Heading\n", "long " * 90 + "\n", "    indented\n", "\r\n", "a\r", "``", "1", "-", " ```\n",
         "> quote\n", "word"]


def test_the_splitter_fed_a_growing_text_cuts_exactly_where_a_whole_split_does() -> None:
    rng = random.Random(18)
    for _ in range(400):
        text = "".join(rng.choice(LINES) for _ in range(rng.randint(0, 50)))
        splitter = BlockSplitter()
        end = 0
        while end < len(text):
            end = min(len(text), end + rng.randint(1, 12))
            pieces = splitter.split(text[:end])
            assert pieces == split_blocks(text[:end]) and "".join(pieces) == text[:end]
    # a line still being written can change where a block starts ("1" becomes the list item "1. ")
    splitter = BlockSplitter()
    head = "- a\n" + "b" * 400 + "\n\n"
    assert splitter.split(head + "1") == [head, "1"]
    assert splitter.split(head + "1. c\n") == [head + "1. c\n"] == split_blocks(head + "1. c\n")
    assert splitter.split("another text") == ["another text"]   # not a continuation: split afresh


def segments_html(text: SegmentedText) -> list[str]:
    return [segment.toHtml() for segment in text.segments()]


def one_shot(qtbot: Any, markdown: str) -> SegmentedText:
    view = SegmentedText()
    qtbot.addWidget(view)
    view.set_markdown(markdown)
    return view


def test_streaming_token_by_token_ends_identical_to_a_one_shot_render(qtbot) -> None:
    streamed = SegmentedText()
    qtbot.addWidget(streamed)
    text = ""
    for number, token in enumerate(REPLY):
        text += token
        streamed.set_markdown(text)
        if number % 9 == 0:   # and at any moment, what is shown is what drawing that much at once shows
            assert segments_html(streamed) == segments_html(one_shot(qtbot, text))
    assert streamed.source_text() == TEXT
    assert segments_html(streamed) == segments_html(one_shot(qtbot, TEXT))
    assert "total39" in streamed.toPlainText() and "Paragraph 5" in streamed.toPlainText()


def test_each_render_scans_only_the_growing_block_and_redraws_only_its_segments(qtbot, monkeypatch) -> None:
    scanned: list[int] = []
    scan = blocks._scan

    def scan_whole(text: str) -> list[str]:
        return blocks._pieces(text, scan(text, 0, blocks._State()))

    def counting(text: str, offset: int, state: Any) -> Any:
        scanned.append(len(text) - offset)
        return scan(text, offset, state)
    monkeypatch.setattr(blocks, "_scan", counting)
    drawn: dict[int, int] = {}
    set_html = MessageText.setHtml

    def counting_html(self: MessageText, html: str) -> None:
        drawn[id(self)] = drawn.get(id(self), 0) + 1
        set_html(self, html)
    monkeypatch.setattr(MessageText, "setHtml", counting_html)

    view = SegmentedText()
    qtbot.addWidget(view)
    text = ""
    for token in REPLY:
        text += token
        view.set_markdown(text)
        last = scanned[-1]
        # never the whole reply: at most the last two blocks (the last may be an unfinished line)
        assert last <= len(token) + 2 * max(map(len, scan_whole(text))), (len(text), last)
    assert last < len(TEXT) // 2
    # a block that arrived whole was drawn once, then left alone while later blocks arrived
    paragraph = next(s for s in view.segments() if s.toPlainText().startswith("Paragraph 1"))
    assert drawn[id(paragraph)] == 1


def test_a_fast_reply_is_drawn_a_few_times_not_per_token(qtbot, app, fake: ScriptedRuntime, monkeypatch) -> None:
    pieces = [f"w{i} " + ("\n\n" if i % 50 == 49 else "") for i in range(1500)]
    fake.replies = [pieces]
    fake.delay = 0.0005
    renders: list[int] = []
    live = MessageWidget.set_live_text

    def counting(self: MessageWidget, answer: str, reasoning: str) -> None:
        renders.append(len(answer))
        live(self, answer, reasoning)
    monkeypatch.setattr(MessageWidget, "set_live_text", counting)
    type_and_send(qtbot, app, "Write a lot")
    wait_idle(qtbot, app)
    assert 1 <= len(renders) <= len(pieces) // 10
    assert renders == sorted(renders)           # only ever more text
    reply = bubbles(app)[1]
    assert reply.text.source_text() == "".join(pieces)
    stored = in_database(lambda store: store.thread(app.window.conversation.id)[-1].content)
    assert stored == "".join(pieces)


def test_markdown_and_code_streamed_into_the_window_end_as_a_one_shot_render(qtbot, app,
                                                                             fake: ScriptedRuntime) -> None:
    fake.replies = [REPLY]
    fake.delay = 0.002
    type_and_send(qtbot, app, "Plan, please")
    wait_idle(qtbot, app)
    reply = bubbles(app)[1]
    assert reply.text.source_text() == TEXT
    assert segments_html(reply.text) == segments_html(one_shot(qtbot, TEXT))


@pytest.mark.parametrize("pieces_before_stop", [5, 60])
def test_stop_mid_stream_keeps_everything_shown(qtbot, app, fake: ScriptedRuntime, pieces_before_stop: int) -> None:
    fake.replies = [REPLY]
    fake.delay = 0.02
    type_and_send(qtbot, app, "Plan, please")
    wanted = "".join(REPLY[:pieces_before_stop])
    qtbot.waitUntil(lambda: len(bubbles(app)) == 2 and bubbles(app)[1].text.source_text().startswith(wanted),
                    timeout=10_000)
    shown = bubbles(app)[1].text.source_text()
    qtbot.mouseClick(app.window.composer.stop_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, app)
    reply = bubbles(app)[1]
    final = reply.text.source_text()
    assert reply.item.message.status == "interrupted"
    assert final.startswith(shown) and len(final) < len(TEXT)   # nothing shown was taken back
    assert final == reply.item.message.content                 # what is shown is what was kept
    assert segments_html(reply.text) == segments_html(one_shot(qtbot, final))
