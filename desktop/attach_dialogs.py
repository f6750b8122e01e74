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

from engine import errors



def vision_refusal(parent: QWidget, model_name: str, suggestions: Sequence[str],
                   open_models: Callable[[], object]) -> QMessageBox:
    """"This model cannot see images", the models that can, and a button to the model manager."""
    box = QMessageBox(parent)
    box.setObjectName("visionRefusal")
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle(QCoreApplication.translate("ErrorDialog", "Hearth"))
    model = model_name or QCoreApplication.translate("AttachmentDialog", "This model")
    box.setText(QCoreApplication.translate("AttachmentDialog", "%1 cannot see images. Nothing was sent.")
                .replace("%1", model))
    lines = [QCoreApplication.translate(
        "AttachmentDialog", "Remove the image to send the text alone, or load a model that can see images.")]
    if suggestions:
        lines.append(QCoreApplication.translate("AttachmentDialog", "Models in the catalog that can see images:"))
        lines.extend(f"• {name}" for name in suggestions)
    box.setInformativeText("\n".join(lines))
    models = box.addButton(QCoreApplication.translate("AttachmentDialog", "Open Models…"),
                           QMessageBox.ButtonRole.ActionRole)
    models.setObjectName("openModels")
    models.clicked.connect(open_models)
    box.addButton(QMessageBox.StandardButton.Close)
    box.open()
    return box


def too_large_offer(parent: QWidget, exc: errors.AttachmentTooLarge, name: str,
                    add_to_knowledge: Callable[[], object]) -> QMessageBox:
    """The document does not fit: add it to a knowledge base, or cancel. Nothing is cut."""
    box = QMessageBox(parent)
    box.setObjectName("documentTooLarge")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(QCoreApplication.translate("ErrorDialog", "Hearth"))
    box.setText(QCoreApplication.translate("AttachmentDialog", "“%1” does not fit in this conversation. Nothing was sent.")
                .replace("%1", name))
    size = exc.message
    if exc.tokens:
        size = (QCoreApplication.translate("AttachmentDialog",
                                           "It needs about %1 tokens; %2 are free in the context.")
                .replace("%1", f"{exc.tokens:,}").replace("%2", f"{max(0, exc.room):,}"))
    offer = QCoreApplication.translate("AttachmentDialog", "Add it to a knowledge base instead: this conversation "
                                       "will then answer from the passages that match each question.")
    box.setInformativeText(f"{size}\n\n{offer}")
    add = box.addButton(QCoreApplication.translate("AttachmentDialog", "Add to a knowledge base"),
                        QMessageBox.ButtonRole.AcceptRole)
    add.setObjectName("addToKnowledge")
    add.clicked.connect(add_to_knowledge)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.open()
    return box
