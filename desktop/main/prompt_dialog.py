"""The "Show prompt" dialog: the exact text a reply was generated from.

A reply's record keeps the prompt the model was given (``record["prompt"]``,
the chat template's output after the context fit). This dialog shows it
read-only in a monospace box, with a header naming the model, the chat
template (name and short hash) and the thinking setting, and notes for what
the user cannot see in the chat: older turns left out to fit the context,
a system prompt merged into the first user turn because the template has no
system role, a prompt too long to keep whole. Copy puts the whole prompt on
the clipboard. It is the window's side of ``hearth prompt``.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout,
                               QWidget)

from desktop.plain import plain_label, visible

__all__ = ["PromptDialog", "has_prompt"]


def has_prompt(record: dict[str, Any]) -> bool:
    """Whether a reply's record keeps the prompt it was generated from (replies before it was kept do not)."""
    return isinstance(record.get("prompt"), str) and bool(record["prompt"])


class PromptDialog(QDialog):
    """Shows one reply's prompt; built from the reply's record, it reads nothing else."""

    def __init__(self, record: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("promptDialog")
        self.record = record
        self.header = plain_label(QLabel())
        self.header.setObjectName("promptHeader")
        self.header.setWordWrap(True)
        self.notes = plain_label(QLabel())
        self.notes.setObjectName("promptNotes")
        self.notes.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setObjectName("promptText")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setPlainText(str(record.get("prompt") or ""))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton(self.tr("Copy prompt"))
        self.copy_button.setObjectName("copyPrompt")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.notes)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.setWindowTitle(self.tr("Prompt of this reply"))
        self.resize(760, 560)
        self.header.setText(self.header_text())
        notes = self.note_lines()
        self.notes.setText("\n".join(notes))
        self.notes.setVisible(bool(notes))

    def header_text(self) -> str:
        """Model, chat template and thinking setting, one per line."""
        model = self.record.get("model") if isinstance(self.record.get("model"), dict) else {}
        template = self.record.get("template") if isinstance(self.record.get("template"), dict) else {}
        sampling = self.record.get("sampling") if isinstance(self.record.get("sampling"), dict) else {}
        name = visible(str(model.get("name") or "?"))
        quant = str(model.get("quantization") or "")
        lines = [self.tr("Model: %1").replace("%1", f"{name} ({visible(quant)})" if quant else name)]
        tname = visible(str(template.get("name") or "?"))
        thash = str(template.get("hash") or "")[:12]
        lines.append(self.tr("Chat template: %1").replace("%1", f"{tname} · {thash}" if thash else tname))
        thinking = sampling.get("thinking")
        lines.append(self.tr("Thinking: %1").replace(
            "%1", self.tr("on") if thinking is True else self.tr("off") if thinking is False
            else self.tr("the template's default")))
        if self.record.get("n_ctx"):
            lines.append(self.tr("Context: %1 tokens").replace("%1", str(self.record["n_ctx"])))
        return "\n".join(lines)

    def note_lines(self) -> list[str]:
        """What the prompt differs by from the chat as shown."""
        notes: list[str] = []
        dropped = self.record.get("dropped") or []
        if dropped:
            notes.append(self.tr("%n earlier message(s) were left out to fit the context.", "", len(dropped)))
        template = self.record.get("template") if isinstance(self.record.get("template"), dict) else {}
        if template.get("merges_system"):
            notes.append(self.tr("This model's chat template has no system role: the system prompt was put at "
                                 "the start of the first user message, as llama.cpp does."))
        if self.record.get("joined"):
            notes.append(self.tr("Messages that got no reply were sent together as one user turn."))
        cut = int(self.record.get("prompt_cut") or 0)
        if cut:
            notes.append(self.tr("The prompt is too long to keep whole: its first %1 characters are not shown.")
                         .replace("%1", f"{cut:,}"))
        return notes

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())
