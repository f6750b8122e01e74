"""The two questions sending with attachments can raise, asked before anything is sent.

``vision_refusal``: an image is attached and the model cannot see; it names
the vision-capable models of the catalog and opens the model manager.
``too_large_offer``: a document does not fit the context; it offers a
section-by-section summary of the whole document (for a request for a
summary) or a knowledge base (for a question), what fits the message first.
Both are non-modal message boxes (returned, for tests); the draft and its
attachments stay in the composer whatever the answer.
"""
from __future__ import annotations

from typing import Callable, Sequence

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.plain import plain_box, visible
from engine import errors, wants_summary


Action = tuple[str, QMessageBox.ButtonRole, str, Callable[[], object]]   # label, role, object name, slot


def _ask(parent: QWidget, name: str, icon: QMessageBox.Icon, text: str, informative: str,
         actions: Sequence[Action], other: QMessageBox.StandardButton, default: str = "") -> QMessageBox:
    """A non-modal "Hearth" box with ``actions`` (label, role, object name, slot) and ``other``; the action
    named ``default`` is the default button (Enter)."""
    box = QMessageBox(parent)
    box.setObjectName(name)
    box.setIcon(icon)
    box.setWindowTitle(QCoreApplication.translate("ErrorDialog", "Hearth"))
    plain_box(box)   # model and file names are shown as they are, never as markup
    box.setText(text)
    box.setInformativeText(informative)
    plain_box(box)
    for label, role, button_name, slot in actions:
        button = box.addButton(label, role)
        button.setObjectName(button_name)
        button.clicked.connect(slot)
        if button_name == default:
            box.setDefaultButton(button)
    box.addButton(other)
    box.open()
    return box


def vision_refusal(parent: QWidget, model_name: str, suggestions: Sequence[str],
                   open_models: Callable[[], object]) -> QMessageBox:
    """"This model cannot see images", the models that can, and a button to the model manager."""
    model = model_name or QCoreApplication.translate("AttachmentDialog", "This model")
    text = (QCoreApplication.translate("AttachmentDialog", "%1 cannot see images. Nothing was sent.")
            .replace("%1", visible(model)))
    lines = [QCoreApplication.translate(
        "AttachmentDialog", "Remove the image to send the text alone, or load a model that can see images.")]
    if suggestions:
        lines.append(QCoreApplication.translate("AttachmentDialog", "Models in the catalog that can see images:"))
        lines.extend(f"• {visible(name)}" for name in suggestions)
    models = (QCoreApplication.translate("AttachmentDialog", "Open Models…"), QMessageBox.ButtonRole.ActionRole,
              "openModels", open_models)
    return _ask(parent, "visionRefusal", QMessageBox.Icon.Information, text, "\n".join(lines), [models],
                QMessageBox.StandardButton.Close)


def too_large_offer(parent: QWidget, exc: errors.AttachmentTooLarge, name: str, draft: str,
                    summarize: Callable[[], object], add_to_knowledge: Callable[[], object]) -> QMessageBox:
    """The document does not fit. What fits the message comes first (Enter): a request for a summary gets a
    section-by-section summary of the whole document, a question gets a knowledge base. Nothing is cut."""
    text = (QCoreApplication.translate("AttachmentDialog", "“%1” does not fit in this conversation. Nothing was sent.")
            .replace("%1", visible(name)))
    size = visible(exc.message, newlines=True)
    if exc.tokens:
        # the model's own count: the number the document's chip and the context meter show
        size = (QCoreApplication.translate("AttachmentDialog", "It needs %1 tokens; %2 are free in the context.")
                .replace("%1", f"{exc.tokens:,}").replace("%2", f"{max(0, exc.room):,}"))
    summary_first = wants_summary(draft) or not draft.strip()
    if summary_first:
        offer = QCoreApplication.translate(
            "AttachmentDialog", "You asked for a summary: Hearth can read the whole document section by section, "
            "summarise each part and combine them, citing the sections (this takes a while; Stop works at any "
            "time). To ask about particular parts instead, add it to a knowledge base.")
    else:
        offer = QCoreApplication.translate(
            "AttachmentDialog", "To answer your question, add it to a knowledge base: this conversation then "
            "answers from the passages that match each question. To summarise the whole document instead, "
            "Hearth can read it section by section.")
    summary = (QCoreApplication.translate("AttachmentDialog", "Summarise the whole document"),
               QMessageBox.ButtonRole.AcceptRole, "summarizeDocument", summarize)
    add = (QCoreApplication.translate("AttachmentDialog", "Add to a knowledge base"),
           QMessageBox.ButtonRole.AcceptRole, "addToKnowledge", add_to_knowledge)
    return _ask(parent, "documentTooLarge", QMessageBox.Icon.Question, text, f"{size}\n\n{offer}",
                [summary, add] if summary_first else [add, summary], QMessageBox.StandardButton.Cancel,
                default="summarizeDocument" if summary_first else "addToKnowledge")
