"""A combo box that ends a text too long for it with "…" (Qt's own cuts it off mid-letter), the whole text
in its tooltip."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPaintEvent, QPalette
from PySide6.QtWidgets import QComboBox, QStyle, QStyleOptionComboBox, QStylePainter, QWidget

from desktop.plain import tip


class ElidedComboBox(QComboBox):
    """A combo box that ends a text too long for it with "…"; its tooltip is the whole text and the current
    item's data (the model picker's: the model's file)."""

    def __init__(self, parent: QWidget | None = None, **kwargs: object) -> None:
        super().__init__(parent, **kwargs)
        self.currentIndexChanged.connect(self._show_whole)

    def _show_whole(self, index: int) -> None:
        whole = (self.itemText(index), str(self.itemData(index) or "")) if index >= 0 else ()
        self.setToolTip(tip("\n".join(text for text in whole if text)))

    def shown_text(self) -> str:
        """The current text (or the placeholder) as drawn: elided to the width of the text field."""
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        text = option.currentText if self.currentIndex() >= 0 else self.placeholderText()
        field = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                            QStyle.SubControl.SC_ComboBoxEditField, self)
        return self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, max(0, field.width() - 2))

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - QComboBox's own, with the text elided
        painter = QStylePainter(self)
        painter.setPen(self.palette().color(QPalette.ColorRole.Text))
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        if self.currentIndex() < 0:
            option.palette.setBrush(QPalette.ColorRole.ButtonText, option.palette.placeholderText())
        option.currentText = self.shown_text()
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)
