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
import unicodedata

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QLabel, QMessageBox

__all__ = ["visible", "plain_label", "plain_box", "plain_input", "tip"]

# Bidirectional embeddings, overrides and isolates, and the invisible marks that reorder or hide text.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: object, *, newlines: bool = False) -> str:
    """``text`` with control, bidi-override and invisible format characters written as ``\\x1b`` /
    ``\\u202e`` escapes (a backslash stays itself). ``newlines=True`` keeps line breaks and tabs."""
    text = "" if text is None else str(text)
    out = []
    for ch in text:
        if newlines and ch in "\n\t":
            out.append(ch)
        elif ch in _BIDI or ch in _INVISIBLE or unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp"):
            out.append(_escape(ch))
        else:
            out.append(ch)
    return "".join(out)


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
