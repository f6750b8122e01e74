"""Growing a shown window for wrapped text that appeared in it later (a warning, a note, a key shown once).

A top-level window does not grow by itself when a word-wrapped label gets longer, and a minimum-size
layout constraint ignores the height such labels need at the window's width, so their last lines would
be cut off. :func:`grow_to_fit` makes the window as tall as its layout asks, never narrower or shorter.
"""
from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget


def grow_to_fit(widget: QWidget) -> None:
    """Once the event loop has laid out ``widget``'s new text, make its window tall enough for it."""
    def grow() -> None:
        window = widget.window()
        if window.isVisible():
            window.resize(window.width(), max(window.height(), window.sizeHint().height()))
    QTimer.singleShot(0, widget, grow)
