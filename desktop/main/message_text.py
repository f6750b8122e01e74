"""A message's text: Markdown rendered into read-only views, split so streaming re-renders little.

``MessageText`` is one view (a web or mail link shows its target on hover
and opens only once the user has seen it and said so, a citation [n] asks
for its source, code blocks have Copy); ``SegmentedText`` stacks them, one
per run of Markdown blocks, and re-renders only the segments whose source
changed, which while streaming is just the last one.
"""
from __future__ import annotations

import math
from functools import partial
from typing import Callable

from PySide6.QtCore import QPoint, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QCursor, QGuiApplication, QMouseEvent, QPalette, QResizeEvent, QTextCursor
from PySide6.QtWidgets import (QFrame, QMessageBox, QSizePolicy, QTextBrowser, QTextEdit, QToolTip, QVBoxLayout,
                               QWidget)

from desktop.main.blocks import BlockSplitter, code_chunks, fenced
from desktop.main.link_dialog import confirm_link, display_url
from desktop.main.markdown import Rendered, copy_index, is_safe_link, render_code, render_markdown, source_number
from desktop.plain import tip
from engine.store.search import found_spans


def is_dark(widget: QWidget) -> bool:
    """Whether the app is drawn light on dark (message views are transparent: ask the app's palette)."""
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


class MessageText(QTextBrowser):
    """A read-only Markdown view as tall as its content; never loads anything remote."""

    copy_block = Signal(int)
    source_clicked = Signal(int)   # a citation [n] of a source that exists

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.viewport().setAutoFillBackground(False)
        self.setStyleSheet("QTextBrowser { background: transparent; }")
        self.document().setDocumentMargin(2)
        self.anchorClicked.connect(self._clicked)
        self.highlighted.connect(self._hovered)
        self.document().contentsChanged.connect(self._fit)
        self._blocks: tuple[str, ...] = ()
        self._source = ""
        self._rendered = False
        self.copy_override: str | None = None   # what Copy copies when this is one chunk of a longer block
        self.sources = 0                        # how many sources citations may link to
        self._linked = 0
        self._press: QPoint | None = None     # where the last click was, to find the link text clicked
        self.link_dialog: QMessageBox | None = None

    def set_markdown(self, text: str) -> None:
        if text == self._source and self._rendered and self._linked == self.sources:
            return
        self._rendered = True
        self._source, self._linked = text, self.sources
        rendered = render_markdown(text, dark=is_dark(self), sources=self.sources)
        self._blocks = rendered.code_blocks
        self.setHtml(rendered.html)
        self._fit()

    def set_rendered(self, key: str, render: Callable[[], Rendered]) -> None:
        """Show HTML rendered by ``render()`` (a code chunk); the same ``key`` again does nothing."""
        if key == self._source and self._rendered:
            return
        self._source, self._rendered = key, True
        rendered = render()
        self._blocks = rendered.code_blocks
        self.setHtml(rendered.html)
        self._fit()

    def set_plain(self, text: str) -> None:
        self._source = text
        self._rendered = False
        self._blocks = ()
        self.setPlainText(text)
        self._fit()

    def source_text(self) -> str:
        return self._source

    def code_blocks(self) -> tuple[str, ...]:
        return self._blocks

    def loadResource(self, kind: int, url: QUrl | str) -> object:  # noqa: N802 (Qt's name)
        return None  # nothing is ever fetched: no remote (or local) images in messages

    def _clicked(self, url: QUrl) -> None:
        href = url.toString()
        index = copy_index(href)
        if index is not None:
            if self.copy_override is not None:
                QGuiApplication.clipboard().setText(self.copy_override)
                self.copy_block.emit(index)
            elif 0 <= index < len(self._blocks):
                QGuiApplication.clipboard().setText(self._blocks[index])
                self.copy_block.emit(index)
            return
        number = source_number(href, self.sources)
        if number is not None:
            self.source_clicked.emit(number)
        elif is_safe_link(href):
            self.link_dialog = confirm_link(self.window(), url, self.anchor_texts(href, self._press))

    def anchor_texts(self, href: str, at: QPoint | None = None) -> list[str]:
        """The texts of the links to ``href`` (only the one under ``at``, a viewport position, when found)."""
        runs: list[tuple[int, int, str]] = []
        block = self.document().begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                if fragment.isValid() and fragment.charFormat().anchorHref() == href:
                    start, text = fragment.position(), fragment.text()
                    if runs and runs[-1][1] == start:
                        runs[-1] = (runs[-1][0], start + len(text), runs[-1][2] + text)
                    else:
                        runs.append((start, start + len(text), text))
                it += 1
            block = block.next()
        if at is not None:
            pos = self.cursorForPosition(at).position()
            hit = [text for start, end, text in runs if start <= pos <= end]
            if hit:
                return hit
        return [text for _start, _end, text in runs]

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._press = event.position().toPoint()
        try:
            super().mouseReleaseEvent(event)
        finally:
            self._press = None

    def _hovered(self, url: QUrl) -> None:
        """The target of a web or mail link under the mouse, as a tooltip (what a click would open)."""
        href = url.toString()
        if href and is_safe_link(href) and copy_index(href) is None:
            text = tip(display_url(url))
            self.setToolTip(text)
            QToolTip.showText(QCursor.pos(), text, self)
        else:
            self.setToolTip("")

    def _fit(self) -> None:
        width = max(50, self.viewport().width())
        if self.document().textWidth() != width:   # setting it, even unchanged, lays the whole text out again
            self.document().setTextWidth(width)
        height = math.ceil(self.document().size().height()) + 2 * self.frameWidth() + 2
        if self.height() != height:
            self.setFixedHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(400, self.height())


class SegmentedText(QWidget):
    """A message as a column of ``MessageText`` segments, one per run of Markdown blocks.

    Re-setting a longer text re-renders only the segments whose source
    changed, which while streaming is just the last one.
    """

    source_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self._segments: list[MessageText] = []
        self._source: str | None = None
        self._sources = 0
        self._splitter = BlockSplitter()
        self._drawn: list[tuple[str, int]] = []   # each piece shown, and how many segments it took

    def set_sources(self, count: int) -> None:
        """How many numbered sources the text may cite; [n] of one of them becomes a link."""
        if count != self._sources:
            self._sources = count
            for segment in self._segments:
                segment.sources = count
            text, self._source = self._source, None
            self._drawn = []   # every piece is drawn again, its citations linked or not
            if text is not None:
                self.set_markdown(text)

    def set_markdown(self, text: str) -> None:
        """Show ``text``; pieces already shown as they are now are skipped, so a streaming reply costs
        its growing block per call (the splitter scans only that far back too)."""
        if text == self._source:
            return
        self._source = text
        dark = is_dark(self)
        index = 0
        drawn: list[tuple[str, int]] = []
        unchanged = True    # every piece so far is shown as it is, in the segments it was drawn in
        for number, piece in enumerate(self._splitter.split(text) or [""]):
            unchanged = unchanged and number < len(self._drawn) and self._drawn[number][0] == piece
            if unchanged:
                drawn.append(self._drawn[number])
                index += self._drawn[number][1]
                continue
            used = self._draw_piece(piece, index, dark)
            drawn.append((piece, used))
            index += used
        for segment in self._segments[index:]:
            self._layout.removeWidget(segment)
            segment.deleteLater()
        del self._segments[index:]
        self._drawn = drawn

    def _draw_piece(self, piece: str, index: int, dark: bool) -> int:
        """Draw one piece into the segments from ``index`` on; returns how many it took."""
        block = fenced(piece)
        if block is None:
            self._segment(index).copy_override = None
            self._segment(index).set_markdown(piece)
            return 1
        chunks = code_chunks(block.code)
        for number, chunk in enumerate(chunks):
            segment = self._segment(index + number)
            segment.copy_override = block.code.removesuffix("\n") if number == 0 else None
            last = number == len(chunks) - 1
            growing = last and not block.closed
            key = f"\0code:{block.language}:{number == 0}:{last}:{growing}:{chunk}"
            segment.set_rendered(key, partial(render_code, chunk, block.language, header=number == 0,
                                              bottom=last, dark=dark, colour=not growing))
        return len(chunks)

    def _segment(self, index: int) -> MessageText:
        if index == len(self._segments):
            segment = MessageText()
            segment.setObjectName("messageSegment")
            segment.sources = self._sources
            segment.source_clicked.connect(self.source_clicked)
            self._layout.addWidget(segment)
            self._segments.append(segment)
        return self._segments[index]

    def segments(self) -> list[MessageText]:
        return list(self._segments)

    def highlight(self, terms: list[str]) -> int:
        """Mark where the search ``terms`` occur (whole words first, as the search ranks them), in the
        palette's highlight colours; an empty list clears the marks. Returns how many were marked."""
        marked = 0
        for segment in self._segments:
            selections = []
            for start, end in found_spans(segment.toPlainText(), terms) if terms else []:
                selection = QTextEdit.ExtraSelection()
                selection.cursor = QTextCursor(segment.document())
                selection.cursor.setPosition(start)
                selection.cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
                selection.format.setBackground(segment.palette().color(QPalette.ColorRole.Highlight))
                selection.format.setForeground(segment.palette().color(QPalette.ColorRole.HighlightedText))
                selections.append(selection)
            segment.setExtraSelections(selections)
            marked += len(selections)
        return marked

    def highlighted_text(self) -> list[str]:
        """The text of each mark, in order (for tests and accessibility)."""
        return [s.cursor.selectedText() for segment in self._segments for s in segment.extraSelections()]

    def source_text(self) -> str:
        return self._source or ""

    def toPlainText(self) -> str:  # noqa: N802 (QTextEdit's name)
        return "\n".join(segment.toPlainText() for segment in self._segments)
