"""The two questions sending with attachments can raise, asked before anything is sent.

``vision_refusal``: an image is attached and the model cannot see; it names
the vision-capable models of the catalog and opens the model manager.
``too_large_offer``: a document does not fit the context; it offers to add
the document to a knowledge base (and answer through retrieval) instead.
Both are non-modal message boxes (returned, for tests); the draft and its
attachments stay in the composer whatever the answer.
"""
from __future__ import annotations

from typing import Callable, Sequence

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.plain import plain_box, visible
from engine import errors


def _ask(parent: QWidget, name: str, icon: QMessageBox.Icon, text: str, informative: str,
         action: tuple[str, QMessageBox.ButtonRole, str, Callable[[], object]],
         other: QMessageBox.StandardButton) -> QMessageBox:
    """A non-modal "Hearth" box with one action button (label, role, object name, slot) and ``other``."""
    box = QMessageBox(parent)
    box.setObjectName(name)
    box.setIcon(icon)
    box.setWindowTitle(QCoreApplication.translate("ErrorDialog", "Hearth"))
    plain_box(box)   # model and file names are shown as they are, never as markup
    box.setText(text)
    box.setInformativeText(informative)
    plain_box(box)
    label, role, button_name, slot = action
    button = box.addButton(label, role)
    button.setObjectName(button_name)
    button.clicked.connect(slot)
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
    return _ask(parent, "visionRefusal", QMessageBox.Icon.Information, text, "\n".join(lines), models,
                QMessageBox.StandardButton.Close)


def too_large_offer(parent: QWidget, exc: errors.AttachmentTooLarge, name: str,
                    add_to_knowledge: Callable[[], object]) -> QMessageBox:
    """The document does not fit: add it to a knowledge base, or cancel. Nothing is cut."""
    text = (QCoreApplication.translate("AttachmentDialog", "“%1” does not fit in this conversation. Nothing was sent.")
            .replace("%1", visible(name)))
    size = visible(exc.message, newlines=True)
    if exc.tokens:
        # the model's own count: the number the document's chip and the context meter show
        size = (QCoreApplication.translate("AttachmentDialog", "It needs %1 tokens; %2 are free in the context.")
                .replace("%1", f"{exc.tokens:,}").replace("%2", f"{max(0, exc.room):,}"))
    offer = QCoreApplication.translate("AttachmentDialog", "Add it to a knowledge base instead: this conversation "
                                       "will then answer from the passages that match each question.")
    add = (QCoreApplication.translate("AttachmentDialog", "Add to a knowledge base"),
           QMessageBox.ButtonRole.AcceptRole, "addToKnowledge", add_to_knowledge)
    return _ask(parent, "documentTooLarge", QMessageBox.Icon.Question, text, f"{size}\n\n{offer}", add,
                QMessageBox.StandardButton.Cancel)
