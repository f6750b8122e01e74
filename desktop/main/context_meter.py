"""The context meter: a thin bar under the message box showing how the context window is used.

Each part of the prompt that would be sent -- system prompt, earlier turns,
attachments, retrieved knowledge, the message being typed -- gets its own
coloured segment, then the space kept for the reply, then what is free. A line
of text under the bar gives the totals, says how many older turns a send would
leave out, and warns when the message cannot fit, with advice that can work:
"raise the context" only while the model takes a larger one; past the model's
largest context, a knowledge base for a document or a model with a larger
context. The line wraps (never cut short) and the widget grows to hold it.
The tooltip lists every segment with its token count. ``budget_changed``
passes each budget on (the attachment chips show its counts).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QLocale, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from engine import Budget

KEYS = ("system", "history", "attachments", "knowledge", "draft", "reserve", "free")
# Mid-tone colours that stand out against both light and dark window backgrounds.
COLORS: dict[str, QColor] = {
    "system": QColor("#8e6bc8"),       # violet
    "history": QColor("#3b82d6"),      # blue
    "attachments": QColor("#d98b2b"),  # amber
    "knowledge": QColor("#2e9e6e"),    # green
    "draft": QColor("#1fa8b8"),        # teal
    "reserve": QColor("#8a9099"),      # grey
}
WARNING = QColor("#d93b3b")
BAR_HEIGHT = 6
GAP = 3
MIN_SEGMENT_PX = 2
TEXT_FLAGS = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap)


def format_count(n: int) -> str:
    """``n`` with the locale's digit grouping ("4,096"; C locale reads as English)."""
    locale = QLocale()
    if locale.language() == QLocale.Language.C:
        locale = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    return locale.toString(int(n))


def segment_widths(tokens: list[int], width: int) -> list[int]:
    """Pixel widths proportional to ``tokens`` that add up to ``width``; a nonzero count gets 2 px at least."""
    total = sum(tokens)
    if total <= 0 or width <= 0:
        return [0] * len(tokens)
    widths: list[int] = []
    start = 0.0
    for count in tokens:     # round the running edges, so the rounding errors do not add up
        end = start + count * width / total
        widths.append(round(end) - round(start))
        start = end
    for i, count in enumerate(tokens):
        if count > 0 and widths[i] < MIN_SEGMENT_PX:
            missing = MIN_SEGMENT_PX - widths[i]
            widths[i] = MIN_SEGMENT_PX
            widest = max(range(len(widths)), key=lambda j: widths[j])
            widths[widest] = max(MIN_SEGMENT_PX, widths[widest] - missing)
    return widths


class ContextMeter(QWidget):
    """A proportional bar of the context window's segments, with a summary under it (wrapped when narrow)."""

    budget_changed = Signal(object)   # the Budget just shown, or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._budget: Budget | None = None
        self._text = ""
        font = QFont(self.font())
        font.setPointSizeF(max(6.0, font.pointSizeF() - 1))
        self.setFont(font)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        policy.setHeightForWidth(True)   # the summary wraps: a narrow meter is taller
        self.setSizePolicy(policy)
        self.setObjectName("contextMeter")
        self.retranslate()

    # -- public API --------------------------------------------------------------------------

    def set_budget(self, budget: Budget | None) -> None:
        """Show ``budget``; ``None`` means no model is loaded (an empty, neutral bar)."""
        self._budget = budget
        self._refresh()
        self.budget_changed.emit(budget)

    def budget(self) -> Budget | None:
        return self._budget

    def segments(self) -> list[tuple[str, int]]:
        """``[(key, tokens)]`` in drawing order; ``free`` is never negative. Empty without a budget."""
        b = self._budget
        if b is None:
            return []
        used = [b.system, b.history, b.attachments, b.knowledge, b.draft, b.reserve]
        values = [max(0, v) for v in used]
        values.append(max(0, b.n_ctx - sum(values)))
        return list(zip(KEYS, values))

    def summary_text(self) -> str:
        """The line of text shown under the bar."""
        return self._text

    def segment_rects(self) -> list[tuple[str, QRect]]:
        """Where each segment is drawn, in widget coordinates (for tests and hit-testing)."""
        bar = self._bar_rect()
        segments = self.segments()
        rects: list[tuple[str, QRect]] = []
        x = bar.left()
        for (key, _), width in zip(segments, segment_widths([t for _, t in segments], bar.width())):
            rects.append((key, QRect(x, bar.top(), width, bar.height())))
            x += width
        return rects

    def color(self, key: str) -> QColor:
        """The colour a segment is painted in (``free`` follows the palette)."""
        if key == "free":
            return self._free_color()
        return QColor(COLORS[key])

    def retranslate(self) -> None:
        self._names = {
            "system": self.tr("System prompt"),
            "history": self.tr("Earlier messages"),
            "attachments": self.tr("Attachments"),
            "knowledge": self.tr("Knowledge (up to)"),
            "draft": self.tr("Your message"),
            "reserve": self.tr("Kept for the reply"),
            "free": self.tr("Free"),
        }
        self.setAccessibleName(self.tr("Context usage"))
        self._refresh()

    # -- Qt overrides ------------------------------------------------------------------------

    def text_rect(self) -> QRect:
        """Where the summary is drawn (all of it: it wraps within this width, and this is as tall as it needs)."""
        top = self._bar_rect().bottom() + 1 + GAP
        return QRect(0, top, self.width(), self.height() - top)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        metrics = self.fontMetrics()
        text = metrics.boundingRect(QRect(0, 0, max(1, width), 1 << 20), TEXT_FLAGS, self._text or " ")
        return BAR_HEIGHT + 1 + GAP + max(metrics.height(), text.height()) + 2

    def sizeHint(self) -> QSize:
        return QSize(240, self.heightForWidth(self.width() if self.width() > 60 else 240))

    def minimumSizeHint(self) -> QSize:
        return QSize(60, self.sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.heightForWidth(self.width()) != self.height():   # wrapped into more (or fewer) lines
            self.updateGeometry()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange):
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        bar = self._bar_rect()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._free_color())
        painter.drawRect(bar)
        for key, rect in self.segment_rects():
            if rect.width() <= 0 or key == "free":
                continue
            painter.setBrush(self.color(key))
            painter.drawRect(rect)
        over = self._budget is not None and self._budget.over
        if over:
            limit = self._limit_x(bar)
            painter.setBrush(WARNING)
            painter.drawRect(QRect(limit - 1, bar.top() - 1, 2, bar.height() + 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(WARNING)
            painter.drawRect(bar.adjusted(0, 0, -1, -1))   # a 1 px frame inside the bar
        painter.setPen(WARNING if over else self.palette().color(QPalette.ColorRole.WindowText))
        painter.drawText(self.text_rect(), TEXT_FLAGS, self._text)
        painter.end()

    # -- helpers -----------------------------------------------------------------------------

    def _bar_rect(self) -> QRect:
        return QRect(0, 1, max(0, self.width()), BAR_HEIGHT)

    def _limit_x(self, bar: QRect) -> int:
        """Where the context window ends on the bar (left of the right edge when over)."""
        total = sum(t for _, t in self.segments())
        n_ctx = self._budget.n_ctx if self._budget is not None else 0
        if total <= 0:
            return bar.right()
        return bar.left() + round(bar.width() * min(1.0, n_ctx / total))

    def _free_color(self) -> QColor:
        """Text colour mixed into the window colour: a faint track in any palette."""
        window = self.palette().color(QPalette.ColorRole.Window)
        text = self.palette().color(QPalette.ColorRole.WindowText)
        mix = 0.18
        return QColor(
            round(window.red() * (1 - mix) + text.red() * mix),
            round(window.green() * (1 - mix) + text.green() * mix),
            round(window.blue() * (1 - mix) + text.blue() * mix),
        )

    def _refresh(self) -> None:
        b = self._budget
        if b is None:
            self._text = self.tr("No model loaded")
            tip = self.tr("Load a model to see how much of its context this conversation uses.")
        else:
            parts = [self.tr("{used} / {total} tokens").format(used=format_count(b.used), total=format_count(b.n_ctx))]
            if b.dropped_ids:  # message ids, so count messages: a turn may be one message or two
                parts.append(self.tr("%n older message(s) will be left out", "", len(b.dropped_ids)))
            if b.over:  # the warning first
                parts.insert(0, self._advice(b))
            self._text = " · ".join(parts)
            lines = [self.tr("{name}: {tokens} tokens").format(name=self._names[key], tokens=format_count(tokens))
                     for key, tokens in self.segments() if tokens or key == "free"]
            tip = "\n".join([self.tr("Context window: {total} tokens").format(total=format_count(b.n_ctx)), *lines])
        self.setToolTip(tip)
        self.setAccessibleDescription(self._text)
        self.updateGeometry()
        self.update()

    def _advice(self, b: Budget) -> str:
        """Why the message cannot be sent, and only advice that can work."""
        document = b.attachments > 0
        largest = format_count(max(b.n_ctx_max, b.n_ctx))
        if not b.fits_model:
            if document:
                return self.tr("Too long for this model even at its largest context ({max} tokens) — add the "
                               "document to a knowledge base, or use a model with a larger context").format(max=largest)
            return self.tr("Too long for this model even at its largest context ({max} tokens) — shorten the "
                           "message").format(max=largest)
        if b.n_ctx_max <= 0:   # the model's largest context is not known
            return self.tr("Too long for the context — shorten the message or raise the context size")
        if b.n_ctx >= b.n_ctx_max:
            if document:
                return self.tr("Too long for the context — add the document to a knowledge base, or shorten "
                               "the message")
            return self.tr("Too long for the context — shorten the message")
        if document:
            return self.tr("Too long for the context — raise the context size (this model takes up to {max} "
                           "tokens), or add the document to a knowledge base").format(max=largest)
        return self.tr("Too long for the context — raise the context size (this model takes up to {max} tokens) "
                       "or shorten the message").format(max=largest)
