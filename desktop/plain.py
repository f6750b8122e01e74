"""Untrusted text (file names, titles, document text, model names, errors) shown as text, never as markup.

Qt guesses whether a QLabel's, a message box's or a tooltip's text is rich
text (``Qt.mightBeRichText``): a file named ``<img src=http://…>`` would be
drawn as an image, and a title with ``<b>`` in bold. ``plain_label`` and
``plain_box`` switch that guess off; ``tip`` makes a tooltip that shows its
text literally. ``visible`` shows control characters and bidirectional
overrides (ESC, U+202E, a newline in a file name) as escapes, so a name
cannot hide or reorder what it shows.
"""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QLabel, QMessageBox

from desktop.cli.terminal import visible   # one implementation, for the window and the terminal

__all__ = ["visible", "plain_label", "plain_box", "plain_input", "tip"]


def plain_label(label: QLabel) -> QLabel:
    """Make ``label`` show its text literally (no rich-text guess); returns it."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def plain_box(box: QMessageBox) -> QMessageBox:
    """Make a message box show its text and informative text literally; returns it."""
    box.setTextFormat(Qt.TextFormat.PlainText)
    for label in box.findChildren(QLabel):
        if label.objectName() in ("qt_msgbox_label", "qt_msgbox_informativelabel"):
            label.setTextFormat(Qt.TextFormat.PlainText)
    return box


def plain_input(dialog: QInputDialog) -> QInputDialog:
    """Make an input dialog's label show its text literally (call after setLabelText); returns it."""
    for label in dialog.findChildren(QLabel):
        label.setTextFormat(Qt.TextFormat.PlainText)
    return dialog


def tip(text: object) -> str:
    """A tooltip that shows ``text`` literally: text Qt would take for rich text is escaped and wrapped."""
    text = visible(text, newlines=True)
    if "<" not in text:   # Qt takes text for rich text only when it has a tag
        return text
    return f'<p style="white-space:pre-wrap">{html.escape(text, quote=False)}</p>'
