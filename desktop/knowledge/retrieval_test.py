"""The knowledge window's "Test retrieval" tab: ask a question, see what is found and why.

A query box, a choice of retrieval mode (hybrid with rerank, the default;
hybrid; keywords only; vectors only) and the passages found, best first:
where each is, its fused score, its rank and score in the keyword and in the
vector search, its rerank score, and its text with the question's words
highlighted (``normalize.spans`` on the original text, so 隨機 in the question
lights up 随机 in a simplified document). Below, the chosen passage in full with
the reasons for its place. The search runs on the ``KnowledgeThread``; this
widget only shows what comes back, on the GUI thread.

Documents are untrusted: every piece of their text (and file names, headings)
is written with ``visible`` and HTML-escaped before it joins the markup this
module makes, so a document holding ``<img src=…>`` shows those characters.
"""
from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Callable, Sequence

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRectF, Qt, Signal
from PySide6.QtGui import QAbstractTextDocumentLayout, QDesktopServices, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import (QApplication, QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSplitter,
                               QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTableWidget, QTableWidgetItem,
                               QTextBrowser, QVBoxLayout, QWidget)

from engine import Hit
from engine.knowledge import normalize
from engine.knowledge.retrieval import DEFAULT_MODE, MODES

from desktop.background.knowledge import KnowledgeThread
from desktop.knowledge.widgets import set_up_table
from desktop.main.sources_view import file_url
from desktop.plain import plain_label, tip, visible

HITS = 10
EXCERPT = 220              # characters of a passage shown in its row, around the first match
HTML_ROLE = Qt.ItemDataRole.UserRole + 1
MARK = '<span style="background-color:#ffe08a; color:#000000; font-weight:600">'
_SPACES = re.compile(r"\s+")


def highlighted(text: str, spans: Sequence[tuple[int, int]], *, one_line: bool = False) -> str:
    """``text`` as rich text, the ``spans`` marked; every piece of it escaped (``one_line``: whitespace
    runs as one space)."""
    out: list[str] = []
    done = 0

    def piece(part: str) -> str:
        if one_line:
            return html.escape(visible(_SPACES.sub(" ", part)), quote=False)
        return html.escape(visible(part, newlines=True), quote=False)

    for start, end in spans:
        if start < done or end > len(text):
            continue
        out.append(piece(text[done:start]))
        out.append(MARK + piece(text[start:end]) + "</span>")
        done = end
    out.append(piece(text[done:]))
    return "".join(out)


def excerpt(text: str, spans: Sequence[tuple[int, int]], width: int = EXCERPT) -> tuple[str, list[tuple[int, int]]]:
    """About ``width`` characters of ``text`` from a little before its first span, and the spans within."""
    start = max(0, spans[0][0] - width // 5) if spans else 0
    end = min(len(text), start + width)
    inside = [(max(s, start) - start, min(e, end) - start) for s, e in spans if s < end and e > start]
    prefix, suffix = ("…" if start else ""), ("…" if end < len(text) else "")
    shifted = [(s + len(prefix), e + len(prefix)) for s, e in inside]
    return prefix + text[start:end] + suffix, shifted


class _RichTextDelegate(QStyledItemDelegate):
    """Draws a cell's ``HTML_ROLE`` markup (one line, clipped) instead of its plain text."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        markup = index.data(HTML_ROLE)
        if not markup:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        doc = QTextDocument()
        doc.setDefaultFont(opt.font)
        doc.setDocumentMargin(2)
        doc.setHtml(f'<span style="white-space:pre">{markup}</span>')
        context = QAbstractTextDocumentLayout.PaintContext()
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        context.palette.setColor(QPalette.ColorRole.Text, opt.palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text))
        painter.save()
        painter.translate(opt.rect.topLeft())
        top = max(0.0, (opt.rect.height() - doc.size().height()) / 2)
        painter.translate(0, top)
        painter.setClipRect(QRectF(0, -top, opt.rect.width(), opt.rect.height()))
        doc.documentLayout().draw(painter, context)
        painter.restore()


class HitsTable(QTableWidget):
    """Ranked passages of a test query; double-click opens the file (a PDF at its page)."""

    open_hit = Signal(object)   # Hit

    RANK, RERANK, FUSED, VECTOR, KEYWORD, FILE, PAGE, LINES, HEADING, TEXT = range(10)

    def __init__(self) -> None:
        super().__init__(0, self.TEXT + 1)
        set_up_table(self, "kbHits", self.TEXT)
        self.setItemDelegateForColumn(self.TEXT, _RichTextDelegate(self))
        self.hits: list[Hit] = []
        self.spans: list[list[tuple[int, int]]] = []
        self.cellDoubleClicked.connect(lambda row, _col: self.open_row(row))
        self.retranslate()

    def show_hits(self, hits: Sequence[Hit], spans: Sequence[list[tuple[int, int]]]) -> None:
        self.hits, self.spans = list(hits), list(spans)
        self.setRowCount(len(self.hits))
        for row, (hit, marks) in enumerate(zip(self.hits, self.spans)):
            lines = (f"{hit.line_start}–{hit.line_end}" if hit.line_end != hit.line_start else str(hit.line_start))
            shown, shown_marks = excerpt(hit.text, marks)
            cells = {
                self.RANK: str(row + 1),
                self.RERANK: "—" if hit.rerank_score is None else f"{hit.rerank_score:.3f}",
                self.FUSED: f"{hit.score:.4f}",
                self.VECTOR: "—" if hit.vector_rank is None else f"#{hit.vector_rank} · {hit.vector_score:.3f}",
                self.KEYWORD: "—" if hit.keyword_rank is None else f"#{hit.keyword_rank} · {hit.keyword_score:.2f}",
                self.FILE: visible(Path(hit.path).name), self.PAGE: "" if hit.page is None else str(hit.page),
                self.LINES: lines, self.HEADING: visible(hit.heading), self.TEXT: visible(_SPACES.sub(" ", shown)),
            }
            for column, text in cells.items():
                item = QTableWidgetItem(text)
                if column in (self.RERANK, self.FUSED, self.VECTOR, self.KEYWORD):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if column == self.TEXT:
                    item.setData(HTML_ROLE, highlighted(shown, shown_marks, one_line=True))
                item.setToolTip(tip(hit.path) if column == self.FILE else tip(hit.heading) if column == self.HEADING
                                else "")
                self.setItem(row, column, item)
        for column in range(self.TEXT):
            self.resizeColumnToContents(column)
        self.setColumnWidth(self.HEADING, min(self.columnWidth(self.HEADING), 220))

    def open_row(self, row: int) -> None:
        if 0 <= row < len(self.hits):
            self.open_hit.emit(self.hits[row])

    def retranslate(self) -> None:
        self.setHorizontalHeaderLabels([
            "#", self.tr("Rerank"), self.tr("Fused"), self.tr("Vector"), self.tr("Keyword"), self.tr("File"),
            self.tr("Page"), self.tr("Lines"), self.tr("Heading"), self.tr("Text")])


class RetrievalTest(QWidget):
    """The tab: a question for the collection ``collection`` (set by the window), and what retrieval finds."""

    def __init__(self, knowledge: KnowledgeThread, on_error: Callable[[object], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kbRetrievalTest")
        self.knowledge = knowledge
        self.on_error = on_error
        self.collection: str | None = None
        self._query_id = 0
        self._found: int | None = None   # how many passages the status line reports (None: nothing shown)
        self._searching = False
        self.terms: list[str] = []
        self.query = QLineEdit(objectName="kbQuery")
        self.query.setClearButtonEnabled(True)
        self.query.setAcceptDrops(False)  # a dropped folder goes to the collection, not into the text
        self.query.returnPressed.connect(self.test_query)
        self.mode = QComboBox(objectName="kbMode")
        for mode in MODES:
            self.mode.addItem("", mode)
        self.mode.setCurrentIndex(MODES.index(DEFAULT_MODE))
        self.search_button = QPushButton(objectName="kbSearch")
        self.search_button.clicked.connect(self.test_query)
        row = QHBoxLayout()
        row.addWidget(self.query, 1)
        row.addWidget(self.mode)
        row.addWidget(self.search_button)
        self.status = plain_label(QLabel(objectName="kbHitsStatus"))
        self.hits = HitsTable()
        self.hits.open_hit.connect(self.open_hit)
        self.hits.itemSelectionChanged.connect(self._show_detail)
        self.detail = QTextBrowser(objectName="kbHitDetail")
        self.detail.setOpenLinks(False)   # the markup has no links; if a document smuggled one, it goes nowhere
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.hits)
        split.addWidget(self.detail)
        split.setSizes([300, 160])
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)
        self.retranslate()

    def set_collection(self, name: str | None) -> None:
        """Show ``name``'s tab; a different collection clears the results."""
        if name != self.collection:
            self.collection = name
            self.clear()

    def clear(self) -> None:
        self._query_id += 1   # a search still running for the old collection is not shown
        self.hits.show_hits([], [])
        self._found, self._searching = None, False
        self.status.setText("")
        self.detail.clear()

    def test_query(self) -> None:
        query = self.query.text().strip()
        if self.collection is None or not query:
            return
        self._query_id += 1
        asked, name, mode = self._query_id, self.collection, str(self.mode.currentData())
        self._found, self._searching = None, True
        self._show_found()

        def show(hits: list[Hit]) -> None:
            if asked != self._query_id or name != self.collection:
                return
            self.terms = normalize.query_terms(query)
            self.hits.show_hits(hits, [normalize.spans(hit.text, self.terms) for hit in hits])
            self._found, self._searching = len(hits), False
            self._show_found()
            if hits:
                self.hits.selectRow(0)

        def failed(exc: object) -> None:
            if asked == self._query_id:
                self._found, self._searching = None, False
                self.status.setText("")
            self.on_error(exc)
        self.knowledge.search(name, query, HITS, show, failed, mode=mode)

    def _show_found(self) -> None:
        """'Searching…', '10 passages, best first…' in the current language (again on a language change)."""
        if self._searching:
            self.status.setText(self.tr("Searching…"))
        elif self._found is not None:
            self.status.setText(self.tr("%n passages, best first. Double-click one to open its file.", "", self._found)
                                if self._found else self.tr("Nothing matches."))

    def open_hit(self, hit: Hit) -> None:
        QDesktopServices.openUrl(file_url(hit.path, hit.page))

    def _show_detail(self) -> None:
        rows = {index.row() for index in self.hits.selectedIndexes()}
        if len(rows) != 1 or next(iter(rows)) >= len(self.hits.hits):
            self.detail.clear()
            return
        row = next(iter(rows))
        self.detail.setHtml(self.explain(self.hits.hits[row], self.hits.spans[row]))

    def explain(self, hit: Hit, spans: Sequence[tuple[int, int]]) -> str:
        """Why ``hit`` ranked where it did, then its whole text with the question's words marked."""
        def esc(text: object) -> str:
            return html.escape(visible(text), quote=False)

        found = set(normalize.index_terms(f"{hit.heading}\n{hit.text}"))
        held = [t for t in self.terms if t in found]
        missing = [t for t in self.terms if t not in found]
        lines = [f"<b>{esc(hit.where())}</b>" + (f" · {esc(hit.heading)}" if hit.heading else "")]
        lines.append(esc(self.tr("Keyword search: rank %1, bm25 %2").replace("%1", str(hit.keyword_rank))
                         .replace("%2", f"{hit.keyword_score:.2f}")) if hit.keyword_rank is not None
                     else esc(self.tr("Keyword search: not among its results")))
        lines.append(esc(self.tr("Vector search: rank %1, similarity %2").replace("%1", str(hit.vector_rank))
                         .replace("%2", f"{hit.vector_score:.3f}")) if hit.vector_rank is not None
                     else esc(self.tr("Vector search: not among its results")))
        lines.append(esc(self.tr("Fused score (reciprocal rank): %1").replace("%1", f"{hit.score:.4f}")))
        if hit.rerank_score is not None:
            parts = dict(hit.rerank_parts)
            lines.append(esc(self.tr("Rerank: %1 = fused rank %2 + question terms held %3 + best window %4 + "
                                     "phrases %5 + title %6 (each weighted)")
                             .replace("%1", f"{hit.rerank_score:.3f}")
                             .replace("%2", f"{parts.get('prior', 0):.2f}")
                             .replace("%3", f"{parts.get('coverage', 0):.2f}")
                             .replace("%4", f"{parts.get('window', 0):.2f}")
                             .replace("%5", f"{parts.get('phrase', 0):.2f}")
                             .replace("%6", f"{parts.get('title', 0):.2f}")))
        lines.append(esc(self.tr("Question terms found: %1").replace("%1", ", ".join(held) or "—")) + "<br>"
                     + esc(self.tr("Not found: %1").replace("%1", ", ".join(missing) or "—")))
        text = highlighted(hit.text, spans)
        return "<br>".join(lines) + f'<hr><div style="white-space:pre-wrap">{text}</div>'

    def retranslate(self) -> None:
        self.query.setPlaceholderText(self.tr("Ask something the documents answer, to see what is found"))
        self.search_button.setText(self.tr("Search"))
        labels = {"hybrid+rerank": self.tr("Hybrid + rerank"), "hybrid": self.tr("Hybrid"),
                  "keyword": self.tr("Keywords only"), "vectors": self.tr("Vectors only")}
        for i in range(self.mode.count()):
            self.mode.setItemText(i, labels[str(self.mode.itemData(i))])
        self.hits.retranslate()
        self._show_found()
        if self.hits.hits:
            self._show_detail()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
