"""Under a reply that used the knowledge base: where its answer came from.

``SourcesView`` reads a reply's ``record["knowledge"]`` (see engine/chat.py):
while the reply streams it shows "Searched N passages · using k"; then a
collapsed "Sources (k)" header that opens a card per source -- its number,
file, page and lines, its scores (fused, cosine, bm25), the chunk's text, a
mark when the reply cited it, and "Open" to open the file (at the page, for a
PDF). A citation link [n] in the reply calls ``show_source(n)``, which opens
the list, highlights that card and scrolls the chat to it. Cards are built
on first opening, so a long conversation does not pay for closed lists.

Passages that matched but did not fit in the context are not "nothing matched": the notice says how many
did not fit, and a button beside it asks for the context at which they do (``raise_context``: the window
sets the chat's context and writes the reply again).
"""
from __future__ import annotations

from pathlib import Path, PurePath
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy,
                               QToolButton, QVBoxLayout, QWidget)

from desktop.plain import plain_label, tip, visible

MAX_CHARS = 1200   # of a chunk's text shown on its card (the tooltip has it all)

STYLE = """
QFrame#sourceCard { border: 1px solid palette(mid); border-radius: 6px; }
QFrame#sourceCard[highlighted="true"] { border: 2px solid #2e9e6e; }
QLabel#knowledgeStatus, QLabel#sourceScores { color: palette(mid); }
QLabel#citedMark { color: #2e9e6e; font-weight: bold; }
"""


class SearchLine(QObject):
    """The translation context of the search line (lupdate finds plural forms only in ``self.tr``)."""

    def text(self, searched: int, used: int) -> str:
        return self.tr("Searched %n passage(s)", "", searched) + " · " + self.tr("using %n", "", used)


def searched_text(searched: int, used: int) -> str:
    """ "Searched 8 passages · using 3" (also the status bar's message when sources arrive)."""
    return SearchLine().text(searched, used)


def summary_progress_text(event: Any) -> str:
    """Where a section-by-section summary (engine SummaryProgress) stands, for the status bar."""
    name = visible(event.document)
    if event.stage == "reading":
        return (QCoreApplication.translate("SourcesView", "Reading “%1”: section %2 of %3…").replace("%1", name)
                .replace("%2", str(event.done + 1)).replace("%3", str(event.total)))
    if event.stage == "combining":
        return (QCoreApplication.translate("SourcesView", "Combining %1 summaries of “%2”…")
                .replace("%1", str(event.total)).replace("%2", name))
    return QCoreApplication.translate("SourcesView", "Writing the summary of “%1”…").replace("%1", name)


def not_found_text(collections: list[str]) -> str:
    """The translated meaning of engine.knowledge.prompting.NOT_FOUND (the stored reply is English)."""
    names = QCoreApplication.translate("SourcesView", ", ").join(collections)
    return QCoreApplication.translate(
        "SourcesView", "I could not find this in your documents (%1), so I won't answer from memory."
    ).replace("%1", names)


def refusal_text(knowledge: dict[str, Any]) -> str | None:
    """A documents-only reply that sent no source, in the interface's language (None: not such a reply):
    nothing relevant (prompting.NOT_FOUND), or relevant passages too long for the context (NOT_FITTED)."""
    collections = [str(n) for n in knowledge.get("collections") or []]
    if knowledge.get("not_fitted"):
        names = QCoreApplication.translate("SourcesView", ", ").join(collections)
        return QCoreApplication.translate(
            "SourcesView", "Passages in your documents (%1) match this question, but none of them fits in this "
            "chat's context of %2 tokens, so I won't answer from memory. Raise the context and ask again."
        ).replace("%1", names).replace("%2", f"{int(knowledge.get('n_ctx') or 0):,}")
    if knowledge.get("not_found"):
        return not_found_text(collections)
    return None


def file_url(path: str, page: int | None) -> QUrl:
    """A local file as a URL; a PDF opens at ``page`` (viewers read ``#page=N``)."""
    url = QUrl.fromLocalFile(path)
    if page and path.lower().endswith(".pdf"):
        url.setFragment(f"page={int(page)}")
    return url


def source_url(source: dict[str, Any]) -> QUrl:
    """The file of a source (a reply's ``record["knowledge"]["sources"]`` item) as a URL."""
    return file_url(str(source.get("path") or ""), source.get("page"))


def _number(value: object, digits: int) -> str:
    return "–" if value is None else f"{float(value):.{digits}f}"  # type: ignore[arg-type]


def _significant(value: object) -> str:
    """bm25 spans many magnitudes (about -1e-6 in a tiny collection): three significant digits."""
    return "–" if value is None else f"{float(value):.3g}"  # type: ignore[arg-type]


class SourceCard(QFrame):
    """One numbered source of a reply."""

    def __init__(self, source: dict[str, Any], cited: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.number = int(source.get("n") or 0)
        self.cited = cited
        self.setObjectName("sourceCard")
        self.setProperty("highlighted", False)
        self.title = plain_label(QLabel(objectName="sourceTitle", wordWrap=True))   # a path and a heading
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.cited_mark = QLabel(objectName="citedMark")
        self.cited_mark.setVisible(cited)
        self.open_button = QPushButton(objectName="openSource", clicked=self.open_file)
        self.open_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.scores = QLabel(objectName="sourceScores", wordWrap=True)
        text = str(source.get("text") or "").strip()
        shown = text if len(text) <= MAX_CHARS else text[:MAX_CHARS].rstrip() + "…"
        self.text = QLabel(shown, objectName="sourceText", wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if shown != text:
            self.text.setToolTip(tip(text))
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.title, 1)
        head.addWidget(self.cited_mark)
        head.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(3)
        layout.addLayout(head)
        layout.addWidget(self.scores)
        layout.addWidget(self.text)
        self.retranslate()

    def file_name(self) -> str:
        """The name the user knows (an attachment's stored copy is named by its hash)."""
        return str(self.source.get("name") or PurePath(str(self.source.get("path") or "")).name)

    def set_highlighted(self, on: bool) -> None:
        self.setProperty("highlighted", on)
        self.style().unpolish(self)
        self.style().polish(self)

    def open_file(self) -> None:
        QDesktopServices.openUrl(source_url(self.source))

    def retranslate(self) -> None:
        s = self.source
        parts = [f"[{self.number}] {visible(self.file_name())}"]
        if s.get("page") is not None:
            parts.append(self.tr("page %1").replace("%1", str(s["page"])))
        start, end = s.get("line_start"), s.get("line_end")
        if start is not None:
            parts.append(self.tr("lines %1–%2").replace("%1", str(start)).replace("%2", str(end))
                         if end not in (None, start) else self.tr("line %1").replace("%1", str(start)))
        title = " · ".join(parts)
        if s.get("heading"):
            title += f" — {visible(s['heading'])}"
        self.title.setText(title)
        self.title.setToolTip(tip(s.get("path") or ""))
        self.cited_mark.setText(self.tr("Cited"))
        self.cited_mark.setToolTip(self.tr("The reply cites this source."))
        self.scores.setVisible(not s.get("section"))   # a summary's section has no search scores
        self.scores.setText(self.tr("Score %1 · cosine %2 · bm25 %3").replace("%1", _number(s.get("score"), 4))
                            .replace("%2", _number(s.get("vector_score"), 2))
                            .replace("%3", _significant(s.get("keyword_score"))))
        self.scores.setToolTip(self.tr(
            "Score: both searches fused by rank (higher is better). Cosine: how close the meaning is (0 to 1). "
            "bm25: how well the words match (lower is better); – when that search did not find it."))
        self.open_button.setText(self.tr("Open"))
        exists = Path(str(s.get("path") or "")).is_file()
        self.open_button.setEnabled(exists)
        self.open_button.setToolTip(tip(self.tr("Open %1").replace("%1", self.file_name())) if exists
                                    else self.tr("This file is no longer there."))


class SourcesView(QFrame):
    """A reply's knowledge: the search line while it streams, then its sources, collapsed."""

    raise_context = Signal(int)   # the context (tokens) at which the passages that did not fit would

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sourcesView")
        self.setStyleSheet(STYLE)
        self._knowledge: dict[str, Any] = {}
        self._streaming = False
        self._open = False
        self._cards: list[SourceCard] = []
        self.status = plain_label(QLabel(objectName="knowledgeStatus", wordWrap=True))
        self.raise_button = QPushButton(objectName="raiseContext", clicked=self._raise_clicked)
        self.raise_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.raise_button.setVisible(False)
        self.toggle = QToolButton(objectName="sourcesToggle", autoRaise=True, clicked=self.toggle_open)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.body = QWidget(objectName="sourcesBody")
        self._body_layout = QVBoxLayout(self.body)
        self._body_layout.setContentsMargins(0, 0, 0, 0)
        self._body_layout.setSpacing(4)
        self.body.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        notice = QHBoxLayout()
        notice.setContentsMargins(0, 0, 0, 0)
        notice.addWidget(self.status, 1)
        notice.addWidget(self.raise_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(notice)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.body)
        self.setVisible(False)

    # --- content -------------------------------------------------------------------
    def set_knowledge(self, knowledge: dict[str, Any] | None, *, streaming: bool) -> None:
        """Show a reply's ``record["knowledge"]`` (None: the reply used none)."""
        knowledge = knowledge or {}
        if knowledge != self._knowledge:
            self._knowledge = knowledge
            self._clear_cards()
        self._streaming = streaming
        self.setVisible(bool(knowledge))
        self.retranslate()

    def sources(self) -> list[dict[str, Any]]:
        return list(self._knowledge.get("sources") or [])

    def fit_context(self) -> int | None:
        """The context offered for the passages that did not fit (None: none offered)."""
        k = self._knowledge
        return int(k["fit_ctx"]) if k.get("unfitted") and k.get("fit_ctx") else None

    def _raise_clicked(self) -> None:
        fit = self.fit_context()
        if fit is not None:
            self.raise_context.emit(fit)

    def cards(self) -> list[SourceCard]:
        return list(self._cards)

    def is_open(self) -> bool:
        return self._open

    def toggle_open(self) -> None:
        self.set_open(not self._open)

    def set_open(self, on: bool) -> None:
        self._open = on and bool(self.sources())
        if self._open and not self._cards:
            self._build_cards()
        self.body.setVisible(self._open)
        self._label_toggle()

    def show_source(self, number: int) -> None:
        """Open the list, highlight source ``number`` and scroll the chat to it."""
        self.set_open(True)
        card = next((c for c in self._cards if c.number == number), None)
        for other in self._cards:
            other.set_highlighted(other is card)
        if card is not None:
            self._reveal(card)
            QTimer.singleShot(0, lambda: self._reveal(card))  # again once every layout has settled

    def _reveal(self, card: SourceCard) -> None:
        area, widget = None, self.parentWidget()
        chain: list[QWidget] = [card, self.body, self]
        while widget is not None and area is None:
            if isinstance(widget, QScrollArea):
                area = widget
            else:
                chain.append(widget)
                widget = widget.parentWidget()
        for holder in chain:  # innermost first, so each outer layout sees the new sizes
            if holder.layout() is not None:
                holder.layout().activate()
        if area is not None:
            area.ensureWidgetVisible(card, 0, 40)

    def _build_cards(self) -> None:
        cited = set(self._knowledge.get("cited") or [])
        for source in self.sources():
            card = SourceCard(source, int(source.get("n") or 0) in cited)
            self._body_layout.addWidget(card)
            self._cards.append(card)

    def _clear_cards(self) -> None:
        for card in self._cards:
            self._body_layout.removeWidget(card)
            card.deleteLater()
        self._cards = []
        self._open = False
        self.body.setVisible(False)

    # --- text ----------------------------------------------------------------------
    def _label_toggle(self) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if self._open else Qt.ArrowType.RightArrow)
        label = self.tr("Sections (%1)") if self._knowledge.get("summary") else self.tr("Sources (%1)")
        self.toggle.setText(label.replace("%1", str(len(self.sources()))))

    def retranslate(self) -> None:
        k = self._knowledge
        sources = self.sources()
        names = self.tr(", ").join(visible(n) for n in k.get("collections") or [])
        searched = int(k.get("searched") or 0)
        unfitted, n_ctx = int(k.get("unfitted") or 0), f"{int(k.get('n_ctx') or 0):,}"
        fit = self.fit_context()
        if k.get("summary"):   # a section-by-section summary: its sections are the sources
            status = "" if self._streaming else self.tr(
                "Summarised from %n section(s) of “%1”; each source is a section and what the model made of it.",
                "", len(sources)).replace("%1", visible(str(k["summary"])))
        elif self._streaming:
            status = searched_text(searched, len(sources))
        elif unfitted and not sources:
            status = self.tr("%n passage(s) in %1 matched the question but did not fit in this chat's context "
                             "of %2 tokens.", "", unfitted).replace("%1", names).replace("%2", n_ctx)
            if not k.get("not_fitted"):
                status += " " + self.tr("This reply is from the model alone.")
        elif unfitted:
            status = self.tr("%n more passage(s) matched but did not fit in this chat's context of %1 tokens.",
                             "", unfitted).replace("%1", n_ctx)
        elif k and not sources and not k.get("not_found"):
            status = self.tr("Nothing in %1 matched the question; this reply is from the model alone."
                             ).replace("%1", names)
        else:
            status = ""
        if unfitted and not self._streaming and fit is None:
            status += " " + self.tr("They are too long for this model even at its largest context.")
        self.raise_button.setVisible(fit is not None and not self._streaming)
        if fit is not None:
            self.raise_button.setText(self.tr("Use %1 tokens and answer again").replace("%1", f"{fit:,}"))
            self.raise_button.setToolTip(self.tr(
                "Sets this chat's context to %1 tokens (the model reloads) and writes this reply again "
                "with the passages; this reply is kept.").replace("%1", f"{fit:,}"))
        self.status.setText(status)
        self.status.setVisible(bool(status))
        self.toggle.setVisible(bool(sources))
        self.toggle.setToolTip(tip(self.tr("Summaries of the sections the reply was written from")
                                   if k.get("summary") else
                                   self.tr("Passages from %1 that went into the prompt").replace("%1", names)
                                   + "\n" + searched_text(searched, len(sources))))
        self._label_toggle()
        for card in self._cards:
            card.retranslate()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
