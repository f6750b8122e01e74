"""One place shows errors: a dialog that says what happened and what to do.

Engine errors carry an English message and hint; the dialog adds a
translated headline chosen by the error's class, so a 简体中文 user always
gets the gist in their language and the exact details below it.
"""
from __future__ import annotations

import logging
import traceback

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from engine import errors

log = logging.getLogger(__name__)


def headline(exc: BaseException) -> str:
    """A short translated sentence naming the kind of problem."""
    if isinstance(exc, errors.ModelCrashed):
        return QCoreApplication.translate("ErrorDialog", "The model stopped unexpectedly.")
    if isinstance(exc, errors.ModelNotFound):
        return QCoreApplication.translate("ErrorDialog", "The model file could not be found.")
    if isinstance(exc, errors.ModelInvalid):
        return QCoreApplication.translate("ErrorDialog", "This file is not a usable model.")
    if isinstance(exc, errors.ModelLoadFailed):
        return QCoreApplication.translate("ErrorDialog", "The model could not be loaded.")
    if isinstance(exc, errors.NoModelLoaded):
        return QCoreApplication.translate("ErrorDialog", "No model is chosen for this conversation.")
    if isinstance(exc, errors.TemplateError):
        return QCoreApplication.translate("ErrorDialog", "The model's chat template could not be used.")
    if isinstance(exc, errors.ContextError):
        return QCoreApplication.translate("ErrorDialog", "The message does not fit in the model's context.")
    if isinstance(exc, errors.StoreError):
        return QCoreApplication.translate("ErrorDialog", "The conversation could not be found.")
    if isinstance(exc, errors.HearthError):
        return QCoreApplication.translate("ErrorDialog", "Something went wrong.")
    if isinstance(exc, OSError):
        return QCoreApplication.translate("ErrorDialog", "A file could not be read or written.")
    return QCoreApplication.translate("ErrorDialog", "Something unexpected went wrong. Your conversations are saved.")


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
    box.setText(headline(exc))
    box.setInformativeText(details(exc))
    if not isinstance(exc, errors.HearthError):
        box.setDetailedText("".join(traceback.format_exception(exc)))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setStyleSheet("QLabel#qt_msgbox_informativelabel { min-width: 440px; }")
    box.open()
    return box
