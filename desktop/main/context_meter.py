"""The context meter: a thin bar under the message box showing how the context window is used.

Each part of the prompt that would be sent -- system prompt, earlier turns,
attachments, retrieved knowledge, the message being typed -- gets its own
coloured segment, then the space kept for the reply, then what is free. A line
of text under the bar gives the totals, says how many older turns a send would
leave out, and warns when the message cannot fit. The tooltip lists every
segment with its token count.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QLocale, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPalette
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
    """A proportional bar of the context window's segments, with a one-line summary under it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._budget: Budget | None = None
        self._text = ""
        font = QFont(self.font())
        font.setPointSizeF(max(6.0, font.pointSizeF() - 1))
        self.setFont(font)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setObjectName("contextMeter")
        self.retranslate()

    # -- public API --------------------------------------------------------------------------

    def set_budget(self, budget: Budget | None) -> None:
        """Show ``budget``; ``None`` means no model is loaded (an empty, neutral bar)."""
        self._budget = budget
        self._refresh()

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

    def sizeHint(self) -> QSize:
        return QSize(240, BAR_HEIGHT + GAP + self.fontMetrics().height() + 2)

    def minimumSizeHint(self) -> QSize:
        return QSize(60, self.sizeHint().height())

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
        text_rect = QRect(0, bar.bottom() + 1 + GAP, self.width(), self.height() - bar.bottom() - 1 - GAP)
        text = self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideRight, text_rect.width())
        painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop), text)
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
            if b.over:  # the warning first, so a narrow meter elides the numbers rather than it
                parts.insert(0, self.tr("Too long for the context — shorten the message or raise the context size"))
            self._text = " · ".join(parts)
            lines = [self.tr("{name}: {tokens} tokens").format(name=self._names[key], tokens=format_count(tokens))
                     for key, tokens in self.segments() if tokens or key == "free"]
            tip = "\n".join([self.tr("Context window: {total} tokens").format(total=format_count(b.n_ctx)), *lines])
        self.setToolTip(tip)
        self.setAccessibleDescription(self._text)
        self.update()
