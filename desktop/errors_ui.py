"""One place shows errors: a dialog that says what happened and what to do.

Engine errors carry an English message and hint; the dialog adds a
translated headline chosen by the error's class, so a 简体中文 user always
gets the gist in their language and the exact details below it.
"""
from __future__ import annotations

import logging
import traceback

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.plain import plain_box, visible
from engine import errors

log = logging.getLogger(__name__)


# Most specific first; the headline is translated when shown (QT_TRANSLATE_NOOP marks it for lupdate).
HEADLINES: tuple[tuple[type[BaseException], str], ...] = (
    (errors.ModelCrashed, QT_TRANSLATE_NOOP("ErrorDialog", "The model stopped unexpectedly.")),
    (errors.ModelNotFound, QT_TRANSLATE_NOOP("ErrorDialog", "The model file could not be found.")),
    (errors.ModelBroken, QT_TRANSLATE_NOOP("ErrorDialog", "This model file is broken.")),
    (errors.ModelInvalid, QT_TRANSLATE_NOOP("ErrorDialog", "This file is not a usable model.")),
    (errors.ModelLoadFailed, QT_TRANSLATE_NOOP("ErrorDialog", "The model could not be loaded.")),
    (errors.NoModelLoaded, QT_TRANSLATE_NOOP("ErrorDialog", "No model is chosen for this conversation.")),
    (errors.TemplateError, QT_TRANSLATE_NOOP("ErrorDialog", "The model's chat template could not be used.")),
    (errors.ContextError, QT_TRANSLATE_NOOP("ErrorDialog", "The message does not fit in the model's context.")),
    (errors.VisionUnsupported, QT_TRANSLATE_NOOP("ErrorDialog", "This model cannot see images.")),
    (errors.AttachmentTooLarge, QT_TRANSLATE_NOOP("ErrorDialog", "The attached document does not fit in the context.")),
    (errors.ImageRejected, QT_TRANSLATE_NOOP("ErrorDialog", "This image cannot be attached.")),
    (errors.AttachmentError, QT_TRANSLATE_NOOP("ErrorDialog", "This file cannot be attached.")),
    (errors.EmbeddingModelMissing, QT_TRANSLATE_NOOP("ErrorDialog", "No embedding model is installed.")),
    (errors.DocumentError, QT_TRANSLATE_NOOP("ErrorDialog", "This document could not be read.")),
    (errors.KnowledgeError, QT_TRANSLATE_NOOP("ErrorDialog", "The knowledge collection could not be changed.")),
    (errors.DiskFull, QT_TRANSLATE_NOOP("ErrorDialog", "The disk is full.")),
    (errors.DatabaseReadOnly, QT_TRANSLATE_NOOP("ErrorDialog", "Hearth's database cannot be written to.")),
    (errors.DatabaseCorrupt, QT_TRANSLATE_NOOP("ErrorDialog", "Hearth's database is damaged.")),
    (errors.DatabaseUnavailable, QT_TRANSLATE_NOOP("ErrorDialog", "Hearth's database could not be opened.")),
    (errors.ConversationNotFound, QT_TRANSLATE_NOOP("ErrorDialog", "The conversation could not be found.")),
    (errors.MessageNotFound, QT_TRANSLATE_NOOP("ErrorDialog", "The conversation could not be found.")),
    (errors.StoreError, QT_TRANSLATE_NOOP("ErrorDialog", "Hearth's database could not be used.")),
    (errors.DownloadError, QT_TRANSLATE_NOOP("ErrorDialog", "The download did not finish.")),
    (errors.HubError, QT_TRANSLATE_NOOP("ErrorDialog", "The model hub could not be used.")),
    (errors.HearthError, QT_TRANSLATE_NOOP("ErrorDialog", "Something went wrong.")),
    (OSError, QT_TRANSLATE_NOOP("ErrorDialog", "A file could not be read or written.")),
)
UNEXPECTED = QT_TRANSLATE_NOOP("ErrorDialog", "Something unexpected went wrong. Your conversations are saved.")


def headline(exc: BaseException) -> str:
    """A short translated sentence naming the kind of problem."""
    text = next((line for kind, line in HEADLINES if isinstance(exc, kind)), UNEXPECTED)
    return QCoreApplication.translate("ErrorDialog", text)


def details(exc: BaseException) -> str:
    """What happened and what to do, from the error itself."""
    if isinstance(exc, errors.HearthError):
        return exc.full_text()
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        return f"{exc.strerror or exc}{where}\n" + QCoreApplication.translate("ErrorDialog", "Check that the disk is not full and the folder is writable.")
    return str(exc) or type(exc).__name__


def show_error(parent: QWidget | None, exc: BaseException) -> QMessageBox:
    """Show ``exc`` in the app's one error dialog (non-modal; returns it for tests)."""
    if not isinstance(exc, errors.HearthError):
        log.error("unexpected error", exc_info=exc)
    box = QMessageBox(parent)
    box.setObjectName("errorDialog")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(QCoreApplication.translate("ErrorDialog", "Hearth"))
    box.setTextFormat(Qt.TextFormat.PlainText)   # messages name files, models, documents: never markup
    box.setText(headline(exc))
    box.setInformativeText(visible(details(exc), newlines=True))
    if not isinstance(exc, errors.HearthError):
        box.setDetailedText("".join(traceback.format_exception(exc)))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setStyleSheet("QLabel#qt_msgbox_informativelabel { min-width: 440px; }")
    plain_box(box)
    box.open()
    return box
