"""The window and the knowledge base: choosing collections, sources under replies, citations, not found.

Most tests run the real Chat service, KnowledgeBase, store, job threads and
widgets over a scripted chat model whose embedder is a bag of hashed words
(exact and instant). The last one goes through the real engine: SmolLM2
answers and all-MiniLM-L6-v2 embeds, both in llama.cpp's worker process.
"""
from __future__ import annotations

import re
import subprocess
import sys
import zlib
from xml.sax.saxutils import escape
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt, QTranslator
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication, QCheckBox

from desktop.app import HearthApp
from desktop.main.markdown import render_markdown, source_number
from desktop.main.message_text import MessageText
from desktop.main.message_widget import MessageWidget
from desktop.main.sources_view import SourcesView, not_found_text, source_url
from engine import Runtime, Store, paths
from engine.knowledge import collections as library
from engine.knowledge.base import KnowledgeBase
from engine.runtime.client import EmbedderInfo
from engine.runtime.scripted import ScriptedRuntime
from tests.window_helpers import (UrlCatcher, bubbles, catching_file_urls, close_app, in_database,
                                  make_app, type_and_send, wait_idle)

DOCS = {
    "garden.md": "# Growing tomatoes\n\nTomatoes need six hours of sun every day and deep watering twice "
                 "a week.\n\n## Pests\n\nAphids on tomato leaves wash off with soapy water.\n",
    "bikes.md": "# Bicycle tyres\n\nRoad bicycle tyres are pumped to about seven bar; mountain bike tyres "
                "to about two bar.\n",
    "passwords.md": "# Passwords\n\nUse a password manager and a different long passphrase for every "
                    "account.\n",
}
TOMATO_QUESTION = "How many hours of sun do tomatoes need?"
MERCURY_QUESTION = "What is the boiling point of mercury?"
NOT_FOUND_SOURCE = "I could not find this in your documents (%1), so I won't answer from memory."
_STOP = {"what", "is", "the", "of", "a", "an", "how", "many", "do", "does", "and", "to", "in", "for", "on",
         "with", "are", "every", "about", "need"}


class EmbeddingScripted(ScriptedRuntime):
    """The scripted chat model plus an embedder: content words hashed into 256 dimensions."""

    DIM = 256

    def load_embedder(self, path: Any, **_: object) -> EmbedderInfo:
        return EmbedderInfo(path=str(path), name="bag-of-words", dim=self.DIM, n_ctx_train=512, n_ctx=512,
                            pooling="mean", sha256="b" * 64, backend="CPU", load_seconds=0.0)

    def embed(self, texts: list[str]) -> np.ndarray:
        rows = np.zeros((len(texts), self.DIM), np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                if word not in _STOP:
                    rows[i, zlib.crc32(word.removesuffix("es").removesuffix("s").encode()) % self.DIM] += 1
            rows[i] /= max(1e-6, float(np.linalg.norm(rows[i])))
        return rows


def write_docs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def index_collection(runtime: Any, embedder: Path, folder: Path, name: str = "Garden") -> None:
    """Create, fill and index a collection in the test's Hearth home with the engine's own API."""
    with Store(paths().database) as store:
        kb = KnowledgeBase(store, runtime, embedder=embedder)
        kb.create(name)
        kb.add(name, [folder])
        states = [p.state for p in kb.index(name)]
        assert states[-1] == "done"
        assert kb.status(name).files["indexed"] == len(DOCS)


@pytest.fixture
def catcher() -> Iterator[UrlCatcher]:
    with catching_file_urls() as found:
        yield found


@pytest.fixture
def fake() -> EmbeddingScripted:
    return EmbeddingScripted()


@pytest.fixture
def app(qtbot, smollm2_path: Path, fake: EmbeddingScripted, tmp_path: Path) -> Iterator[HearthApp]:
    (tmp_path / "bag.gguf").touch()   # a collection's model file must exist; the scripted runtime never reads it
    index_collection(fake, tmp_path / "bag.gguf", write_docs(tmp_path / "docs"))
    hearth = make_app(qtbot, smollm2_path, runtime=fake, embedder=tmp_path / "bag.gguf")
    qtbot.waitUntil(lambda: hearth.window.conversation is not None and hearth.window.info is not None)
    yield hearth
    close_app(hearth)


def box_named(qtbot, app: HearthApp, name: str) -> QCheckBox:
    choice = app.window.settings.knowledge
    qtbot.waitUntil(lambda: name in choice.boxes())
    return choice.boxes()[name]


def tick(qtbot, box: QCheckBox) -> None:
    """Click the checkbox's indicator, as a person does."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def use_collection(qtbot, app: HearthApp, name: str = "Garden", *, documents_only: bool = False) -> int:
    """Tick the collection (and documents-only) in the settings panel; returns the conversation's id."""
    window = app.window
    conv_id = window.conversation.id
    tick(qtbot, box_named(qtbot, app, name))
    qtbot.waitUntil(lambda: in_database(lambda s: [c.name for c in library.conversation_collections(
        s.conn, conv_id)]) == [name])
    if documents_only:
        only = window.settings.knowledge.only
        assert only.isEnabled()
        tick(qtbot, only)
        qtbot.waitUntil(lambda: in_database(lambda s: library.documents_only(s.conn, conv_id)))
    return conv_id


def anchor_point(reply: MessageWidget, href: str) -> tuple[MessageText, QPoint]:
    """The segment of ``reply`` holding a link to ``href``, and a point on that link."""
    for segment in reply.text.segments():
        doc = segment.document()
        block = doc.begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                if fragment.charFormat().anchorHref() == href:
                    cursor = QTextCursor(doc)
                    cursor.setPosition(fragment.position() + 1)
                    return segment, segment.cursorRect(cursor).center()
                it += 1
            block = block.next()
    raise AssertionError(f"no link to {href} in {reply.text.source_text()!r}")


def compiled_translator(folder: Path, context: str, source: str, translation: str) -> QTranslator:
    """A real .qm catalogue with one message, compiled by pyside6-lrelease."""
    ts = folder / "test.ts"
    ts.write_text(f'''<?xml version="1.0" encoding="utf-8"?><!DOCTYPE TS><TS version="2.1" language="en">
<context><name>{escape(context)}</name><message><source>{escape(source)}</source>
<translation>{escape(translation)}</translation></message></context></TS>''', encoding="utf-8")
    subprocess.run([str(Path(sys.executable).with_name("pyside6-lrelease")), str(ts), "-qm", str(folder / "test.qm")],
                   check=True, capture_output=True)
    translator = QTranslator()
    assert translator.load(str(folder / "test.qm"))
    return translator


def knowledge_room(meter: Any) -> int:
    """The context meter's knowledge segment, in tokens (0 without a budget)."""
    return dict(meter.segments()).get("knowledge", 0)


def on_screen(widget: Any) -> bool:
    return not widget.visibleRegion().isEmpty()


# --- the settings panel ----------------------------------------------------------------

def test_knowledge_group_lists_collections_and_saves_the_choice_per_conversation(qtbot, app: HearthApp) -> None:
    window = app.window
    choice = window.settings.knowledge
    box_named(qtbot, app, "Garden")
    assert sorted(choice.boxes()) == ["Garden"]
    assert choice.hint.isHidden() and not choice.only.isEnabled()
    meter = window.composer.meter
    qtbot.waitUntil(lambda: meter.budget() is not None)
    assert knowledge_room(meter) == 0

    conv_id = use_collection(qtbot, app, documents_only=True)
    qtbot.waitUntil(lambda: knowledge_room(meter) > 0)   # the room kept for sources
    assert "Knowledge (up to)" in meter.toolTip()

    # a collection made elsewhere (the knowledge window) appears when told that collections changed
    in_database(lambda s: library.create(s.conn, "Papers"))
    window.settings.refresh_collections()
    box_named(qtbot, app, "Papers")
    assert not choice.boxes()["Papers"].isChecked() and choice.boxes()["Garden"].isChecked()

    # another conversation has its own choice (Ctrl+N would reuse this one: it is still empty)
    window._create_conversation(lambda _data: None)
    qtbot.waitUntil(lambda: window.conversation.id != conv_id)
    qtbot.waitUntil(lambda: not choice.boxes()["Garden"].isChecked() and not choice.only.isChecked())
    qtbot.waitUntil(lambda: knowledge_room(meter) == 0)
    window.open_conversation(conv_id)
    qtbot.waitUntil(lambda: choice.boxes()["Garden"].isChecked() and choice.only.isChecked())


def test_without_collections_the_group_says_where_to_make_one(qtbot, smollm2_path: Path) -> None:
    hearth = make_app(qtbot, smollm2_path, runtime=EmbeddingScripted())
    try:
        choice = hearth.window.settings.knowledge
        qtbot.waitUntil(lambda: hearth.window.conversation is not None)
        qtbot.waitUntil(lambda: choice.hint.isVisible())
        assert "File → Knowledge…" in choice.hint.text()
        assert not choice.boxes() and choice.only.isHidden()
    finally:
        close_app(hearth)


# --- replies with sources ---------------------------------------------------------------

def test_reply_lists_its_sources_and_a_citation_opens_them(qtbot, app: HearthApp, fake: EmbeddingScripted,
                                                         catcher: UrlCatcher, tmp_path: Path) -> None:
    window = app.window
    conv_id = use_collection(qtbot, app)
    fake.gate.clear()   # hold the reply before its first piece: the search line shows meanwhile
    fake.replies = [["Tomatoes need six hours ", "of sun a day [1].\n\n",
                     *[f"- note {i} about watering and soil\n" for i in range(60)]]]
    type_and_send(qtbot, app, TOMATO_QUESTION)
    qtbot.waitUntil(lambda: len(bubbles(app)) == 2 and bubbles(app)[1].sources.status.isVisible(), timeout=10_000)
    status = bubbles(app)[1].sources.status.text()
    # (English plural forms come from desktop/i18n/hearth_en.qm: "passage(s)" until it has these strings)
    assert re.fullmatch(r"Searched \d+ passages?(\(s\))? · using [1-9]\d*", status), status
    fake.gate.set()
    wait_idle(qtbot, app)

    reply = bubbles(app)[1]
    stored = in_database(lambda s: s.thread(conv_id))[1]
    knowledge = stored.record["knowledge"]
    assert knowledge["collections"] == ["Garden"] and knowledge["cited"] == [1]
    assert Path(knowledge["sources"][0]["path"]).name == "garden.md"
    assert "<<<SOURCES" in fake.prompts[-1] and "six hours of sun" in fake.prompts[-1]
    view = reply.sources
    assert view.status.isHidden()                       # the search line belongs to the streaming reply
    assert view.toggle.isVisible() and view.toggle.text() == f"Sources ({len(knowledge['sources'])})"
    assert not view.is_open() and not view.cards()      # collapsed; cards are made on first opening

    bar = window.chat_view.verticalScrollBar()
    window.chat_view.ensureWidgetVisible(reply.text, 0, 0)
    bar.setValue(0)
    segment, point = anchor_point(reply, "hearth-source:1")
    assert on_screen(segment) and "hearth-source:9" not in segment.toHtml()
    before = bar.value()
    qtbot.mouseClick(segment.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: view.is_open() and bool(view.cards()))
    first = view.cards()[0]
    assert first.file_name() == "garden.md" and first.property("highlighted") is True
    assert first.cited and not first.cited_mark.isHidden()
    assert all(not card.cited for card in view.cards()[1:])
    assert "Score" in first.scores.text() and "cosine" in first.scores.text()
    assert "six hours of sun" in first.text.text()
    qtbot.waitUntil(lambda: on_screen(first))           # scrolled down to the card, far below the link
    assert bar.value() > before

    qtbot.mouseClick(first.open_button, Qt.MouseButton.LeftButton)
    assert [u.toLocalFile() for u in catcher.urls] == [str((tmp_path / "docs" / "garden.md").resolve())]

    qtbot.mouseClick(view.toggle, Qt.MouseButton.LeftButton)   # the header closes (and opens) the list
    assert not view.is_open() and view.body.isHidden()


def test_documents_only_with_nothing_relevant_says_so_without_the_model(
        qtbot, app: HearthApp, fake: EmbeddingScripted, tmp_path: Path) -> None:
    conv_id = use_collection(qtbot, app, documents_only=True)
    type_and_send(qtbot, app, MERCURY_QUESTION)
    wait_idle(qtbot, app)
    reply = bubbles(app)[1]
    assert fake.prompts == []                           # nothing was generated
    stored = in_database(lambda s: s.thread(conv_id))[1]
    assert stored.record["finish_reason"] == "not_found" and stored.record["knowledge"]["not_found"]
    assert reply.text.source_text() == not_found_text(["Garden"])
    assert "(Garden)" in reply.text.toPlainText() and reply.sources.toggle.isHidden()

    pirate = compiled_translator(tmp_path, "SourcesView", NOT_FOUND_SOURCE, "Arr, naught in yer scrolls (%1).")
    QApplication.instance().installTranslator(pirate)
    try:   # the stored reply is English; the window shows it in the interface's language
        qtbot.waitUntil(lambda: reply.text.source_text() == "Arr, naught in yer scrolls (Garden).")
    finally:
        QApplication.instance().removeTranslator(pirate)


def test_a_reply_without_relevant_sources_says_it_is_from_the_model(qtbot, app: HearthApp,
                                                                    fake: EmbeddingScripted) -> None:
    use_collection(qtbot, app)
    fake.replies = [["Mercury boils at 357 °C."]]
    type_and_send(qtbot, app, MERCURY_QUESTION)
    wait_idle(qtbot, app)
    view = bubbles(app)[1].sources
    assert len(fake.prompts) == 1 and "<<<SOURCES" not in fake.prompts[0]
    assert view.toggle.isHidden() and "Nothing in Garden matched" in view.status.text()


# --- pieces -----------------------------------------------------------------------------

def test_citations_link_only_to_sources_that_exist() -> None:
    html = render_markdown("See [1] and [2, 3], not [4], `[1]` or [x](hearth-source:1).", sources=3).html
    assert html.count('href="hearth-source:1"') == 1
    assert 'href="hearth-source:2"' in html and 'href="hearth-source:3"' in html
    assert "hearth-source:4" not in html
    assert "hearth-source" not in render_markdown("See [1].").html
    assert [source_number(h, 3) for h in ("hearth-source:1", "hearth-source:3", "hearth-source:4",
                                          "hearth-source:0", "hearth-source:1x", "https://x.org")] \
        == [1, 3, None, None, None, None]


def test_source_card_opens_a_pdf_at_its_page(qtbot, tmp_path: Path, catcher: UrlCatcher) -> None:
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.7\n")
    source = {"n": 2, "chunk_id": 7, "collection": "Papers", "path": str(pdf), "page": 4, "line_start": 3,
              "line_end": 9, "heading": "Results", "text": "Yields rose.", "score": 0.0325,
              "vector_score": 0.71, "keyword_score": -2.5}
    assert source_url(source).fragment() == "page=4"
    view = SourcesView()
    qtbot.addWidget(view)
    view.set_knowledge({"collections": ["Papers"], "searched": 6, "sources": [source], "cited": []},
                       streaming=False)
    view.show_source(2)
    card = view.cards()[0]
    assert card.title.text() == "[2] paper.pdf · page 4 · lines 3–9 — Results"
    assert card.scores.text() == "Score 0.0325 · cosine 0.71 · bm25 -2.5" and card.cited_mark.isHidden()
    card.open_button.click()
    assert catcher.urls[0].toLocalFile() == str(pdf) and catcher.urls[0].fragment() == "page=4"
    pdf.unlink()
    card.retranslate()
    assert not card.open_button.isEnabled()


# --- through the real engine --------------------------------------------------------------

def test_real_engine_answers_from_a_collection_and_refuses_outside_it(
        qtbot, smollm2_path: Path, minilm_path: Path, tmp_path: Path) -> None:
    with Runtime(log_path=tmp_path / "index.log", cache_dir=tmp_path) as indexer:
        index_collection(indexer, minilm_path, write_docs(tmp_path / "docs"))
    hearth = make_app(qtbot, smollm2_path, embedder=minilm_path)
    try:
        window = hearth.window
        qtbot.waitUntil(lambda: window.info is not None, timeout=60_000)
        qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: window.conversation is not None and window.settings.isEnabled())
        window.settings.findChild(object, "temperatureSlider").setValue(0)
        window.settings.findChild(object, "maxTokens").setValue(80)
        window.settings.flush()
        conv_id = use_collection(qtbot, hearth)
        qtbot.waitUntil(lambda: knowledge_room(window.composer.meter) > 0, timeout=30_000)

        type_and_send(qtbot, hearth, TOMATO_QUESTION)
        wait_idle(qtbot, hearth, timeout=180_000)
        reply = bubbles(hearth)[1]
        stored = in_database(lambda s: s.thread(conv_id))[1]
        assert stored.status == "complete" and stored.completion_tokens > 0
        knowledge = stored.record["knowledge"]
        assert Path(knowledge["sources"][0]["path"]).name == "garden.md"
        assert knowledge["sources"][0]["vector_score"] > 0.3
        view = reply.sources
        assert view.toggle.isVisible() and view.toggle.text().startswith("Sources (")
        if knowledge["cited"]:
            n = knowledge["cited"][0]
            segment, point = anchor_point(reply, f"hearth-source:{n}")
            window.chat_view.ensureWidgetVisible(segment, 0, 0)
            segment, point = anchor_point(reply, f"hearth-source:{n}")
            qtbot.mouseClick(segment.viewport(), Qt.MouseButton.LeftButton, pos=point)
            qtbot.waitUntil(lambda: view.is_open())
            assert view.cards()[n - 1].property("highlighted") is True
        else:
            qtbot.mouseClick(view.toggle, Qt.MouseButton.LeftButton)
            assert view.is_open()
        assert view.cards()[0].file_name() == "garden.md"

        only = window.settings.knowledge.only
        tick(qtbot, only)
        qtbot.waitUntil(lambda: in_database(lambda s: library.documents_only(s.conn, conv_id)))
        type_and_send(qtbot, hearth, MERCURY_QUESTION)
        wait_idle(qtbot, hearth, timeout=120_000)
        refusal = in_database(lambda s: s.thread(conv_id))[3]
        assert refusal.record["finish_reason"] == "not_found" and not refusal.completion_tokens
        assert bubbles(hearth)[3].text.source_text() == not_found_text(["Garden"])
    finally:
        close_app(hearth)
