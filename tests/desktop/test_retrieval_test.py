"""The knowledge window's "Test retrieval" tab on a real index.

Real files in the test's Hearth home, indexed by the real KnowledgeThread with all-MiniLM-L6-v2;
questions typed into the tab. A question in traditional characters lights up the simplified words
of the passage; every score and rank is shown; a document that looks like HTML stays text.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtCore import Qt

from desktop.background.knowledge import KnowledgeThread
from desktop.knowledge.retrieval_test import HTML_ROLE, MARK, RetrievalTest
from desktop.knowledge.window import KnowledgeWindow
from tests.window_helpers import catching_file_urls

DOCS = {
    "采样.md": "# 采样参数\n\n采样时可以随机调整温度，让回答更多样。温度越低，回答越确定。\n",
    "园艺.md": "# 园艺\n\n番茄每天需要六小时的日照，每周浇水两次。\n",
    "evil.md": '# <i>Blight</i> notes\n\n<img src="http://127.0.0.1:9/x.png"> <b>bold</b> '
               '<a href="file:///etc/passwd">link</a> tomato blight spreads in wet weather &amp; heat.\n',
}


@pytest.fixture
def tab(qtbot, tmp_path: Path, minilm_path: Path) -> Iterator[tuple[KnowledgeWindow, RetrievalTest]]:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    knowledge = KnowledgeThread(embedder=minilm_path)
    try:
        window = KnowledgeWindow(knowledge)
        qtbot.addWidget(window)
        window.show()
        window.add_paths([str(folder)])   # no collection yet: "docs" is made

        def ready() -> bool:
            status = window.statuses.get("docs")
            return status is not None and status.files.get("indexed") == 3 and status.collection.state == "idle"
        qtbot.waitUntil(ready, timeout=120_000)
        qtbot.waitUntil(lambda: window.current == "docs")
        window.tabs.setCurrentIndex(2)
        yield window, window.retrieval
    finally:
        knowledge.stop(timeout=60)


def ask(qtbot, tab: RetrievalTest, query: str, mode: str | None = None) -> list[dict[int, str]]:
    if mode is not None:
        tab.mode.setCurrentIndex(tab.mode.findData(mode))
    tab.status.setText("")
    tab.query.setText(query)
    qtbot.keyClick(tab.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.status.text() not in ("", "Searching…"), timeout=30_000)
    table = tab.hits
    return [{c: table.item(r, c).text() for c in range(table.columnCount())} for r in range(table.rowCount())]


def test_traditional_question_highlights_simplified_words_with_scores_and_ranks(qtbot, tab) -> None:
    window, view = tab
    table = view.hits
    assert view.mode.currentData() == "hybrid+rerank" and view.mode.currentText() == "Hybrid + rerank"
    rows = ask(qtbot, view, "隨機調整溫度")
    assert rows and rows[0][table.FILE] == "采样.md" and rows[0][table.RANK] == "1"
    assert rows[0][table.HEADING] == "采样参数" and rows[0][table.LINES] == "1–3"
    markup = table.item(0, table.TEXT).data(HTML_ROLE)
    assert f"{MARK}随机调整温度</span>" in markup, markup   # 隨機調整溫度 folds to the simplified text
    assert f"{MARK}温度</span>" in markup                    # its second occurrence too
    assert "回答更多样" in markup and f"{MARK}回答" not in markup
    assert re.fullmatch(r"#\d+ · -\d+\.\d\d", rows[0][table.KEYWORD]), rows[0]
    assert re.fullmatch(r"#\d+ · -?[01]\.\d{3}", rows[0][table.VECTOR]), rows[0]
    assert float(rows[0][table.FUSED]) > 0 and float(rows[0][table.RERANK]) >= float(rows[-1][table.RERANK])
    detail = view.detail.toPlainText()   # the first row is selected: why it ranked there, and its whole text
    assert "Keyword search: rank 1, bm25" in detail and "Vector search: rank" in detail
    assert "Rerank: " in detail and "Question terms found: 随机, 机调, 调整, 整温, 温度" in detail
    assert "采样时可以随机调整温度" in detail
    window.grab()   # paints the highlighted cells

    rows = ask(qtbot, view, "隨機調整溫度", mode="keyword")
    assert rows[0][table.FILE] == "采样.md"
    assert all(r[table.VECTOR] == "—" and r[table.RERANK] == "—" for r in rows)
    rows = ask(qtbot, view, "隨機調整溫度", mode="vectors")
    assert all(r[table.KEYWORD] == "—" and r[table.VECTOR].startswith("#") for r in rows)

    with catching_file_urls() as catcher:
        rect = table.visualItemRect(table.item(0, table.FILE))
        assert table.viewport().rect().contains(rect.center())
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.waitUntil(lambda: bool(catcher.urls))
    assert Path(catcher.urls[0].toLocalFile()).name in DOCS


def test_a_document_that_looks_like_html_is_shown_as_text(qtbot, tab) -> None:
    _, view = tab
    table = view.hits
    rows = ask(qtbot, view, "tomato blight in wet weather")
    row = next(i for i, r in enumerate(rows) if r[table.FILE] == "evil.md")
    markup = table.item(row, table.TEXT).data(HTML_ROLE)
    assert "&lt;img src=" in markup and "&lt;b&gt;bold&lt;/b&gt;" in markup and "&amp;amp;" in markup
    assert "<img" not in markup and "<b>" not in markup and "<a " not in markup
    assert f"{MARK}tomato</span> {MARK}blight</span>" in markup
    assert table.item(row, table.HEADING).text() == "<i>Blight</i> notes"
    table.selectRow(row)
    detail = view.detail.toPlainText()
    assert '<img src="http://127.0.0.1:9/x.png"> <b>bold</b>' in detail and "&amp; heat" in detail
    assert "<i>Blight</i> notes" in detail
    html = view.explain(view.hits.hits[row], view.hits.spans[row])
    assert "<img" not in html and "<i>" not in html and "<a " not in html


def test_enter_in_the_question_box_searches_and_opens_nothing_else(qtbot, tab) -> None:
    """In a dialog Enter presses the default button: it used to open "New collection" over the results."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    window, test = tab
    opened: list[str] = []

    def close_modal() -> None:
        modal = QApplication.activeModalWidget()
        if modal is not None:
            opened.append(type(modal).__name__)
            modal.reject()
    watch = QTimer()
    watch.timeout.connect(close_modal)
    watch.start(20)
    try:
        rows = ask(qtbot, test, "温度")
        qtbot.wait(300)   # a dialog opened by the same key press would show within the event loop's next turns
    finally:
        watch.stop()
    assert opened == []
    assert rows and rows[0][test.hits.FILE] == "采样.md"
    assert window.isVisible() and window.current == "docs"
