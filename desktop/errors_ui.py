"""One place shows errors: a dialog that says what happened and what to do, in the user's language.

Engine errors carry an English message and hint plus a code (their class), a reason and parameters.
The dialog shows a translated headline chosen by the class, then the message and the hint rendered
through the translation catalogue (``desktop.error_texts``) from the code, reason and parameters;
what the catalogue has no translation for is shown in the engine's English. When anything was
translated, the engine's own English text stays available under "Show Details…". Messages the engine
kept only as English text (a knowledge base's per-file problems) are read back through the same
templates by ``recorded``.
"""
from __future__ import annotations

import logging
import re
import signal
import traceback
from functools import lru_cache

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QLocale, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.error_texts import HINT_TEMPLATES, MESSAGES, SKIPPED
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


def _translated(context: str, text: str) -> str | None:
    """``text`` in the interface language, or None when the catalogue has no translation for it."""
    if not text:
        return None
    out = QCoreApplication.translate(context, text)
    return out if out != text else None


def describe_exit(exitcode: int | None) -> str:
    """How the worker process ended, in the interface language ('signal SIGSEGV', 'exit code 3')."""
    if exitcode is None:
        return QCoreApplication.translate("ErrorWords", "an unknown cause")
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = str(-exitcode)
        return QCoreApplication.translate("ErrorDialog", "signal {signal}").format(signal=name)
    return QCoreApplication.translate("ErrorDialog", "exit code {code}").format(code=exitcode)


def _values(exc: errors.HearthError) -> dict[str, str]:
    """The error's parameters as text for the interface language: numbers in its digits, known words translated."""
    values: dict[str, str] = {}
    for key, value in exc.params.items():
        if isinstance(value, int) and not isinstance(value, bool):
            values[key] = QLocale().toString(value)
        else:
            text = "" if value is None else str(value)
            values[key] = QCoreApplication.translate("ErrorWords", text) if text else text
    if "exitcode" in exc.params:
        values["exit"] = describe_exit(exc.params["exitcode"])  # type: ignore[arg-type]
    return values


def _fill(context: str, template: str | None, exc: errors.HearthError) -> str | None:
    """``template`` translated and filled with the error's parameters; None when it is not translated or
    a parameter it names is missing (an occurrence raised without them)."""
    out = _translated(context, template or "")
    if out is None:
        return None
    try:
        return out.format_map(_values(exc))
    except (KeyError, IndexError, ValueError):   # a parameter this occurrence lacks, or a broken translation
        log.debug("no parameters for %s %r in %s", exc.code, exc.reason, exc.params)
        return None


def message(exc: errors.HearthError) -> str:
    """What happened, in the interface language when the catalogue can say it (else the engine's English)."""
    templated = _fill("ErrorMessage", MESSAGES.get((exc.code, exc.reason)), exc)
    if templated is None and exc.params.get("document_error"):
        # a document's own message carried by another error (an attachment the reader refused)
        said = recorded(exc.message, str(exc.params["document_error"]))
        templated = said if said != exc.message else None
    return templated or _translated("ErrorMessage", exc.message) or exc.message


_RECORDED = re.compile(r"([A-Z][A-Za-z]+): (.*)", re.S)   # "DocumentUnreadable: …" as the indexer records it


@lru_cache(maxsize=2)
def _patterns(skipped: bool = False) -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    """Each message template (``skipped``: each skip reason) as a pattern that reads its parameters back
    out of the English text, the most specific (most fixed words) first so that a general template never
    hides a precise one."""
    found: list[tuple[int, str, str, re.Pattern[str]]] = []
    table = {("", key): text for key, text in SKIPPED.items()} if skipped else MESSAGES
    for (code, reason), template in table.items():
        pieces = re.split(r"\{(\w+)\}", template)
        seen: set[str] = set()
        regex = ""
        for i, piece in enumerate(pieces):
            if i % 2 == 0:
                regex += re.escape(piece)
            else:
                regex += f"(?P={piece})" if piece in seen else f"(?P<{piece}>.+?)"
                seen.add(piece)
        fixed = sum(len(p) for p in pieces[::2])
        found.append((fixed, code, reason, re.compile(regex, re.S)))
    found.sort(key=lambda item: -item[0])
    return tuple((code, reason, pattern) for _, code, reason, pattern in found)


def recorded(text: str, code: str = "") -> str:
    """A message the engine kept only as English text (the knowledge base's per-file problems, stored as
    "DocumentUnreadable: x.pdf is password-protected."; a reader's message sent from its worker process),
    in the interface language when one of the catalogue's templates reads it; else the text without its
    code. ``code`` is the error's class when the text does not start with it."""
    if not code:
        prefix = _RECORDED.fullmatch(text)
        if prefix is not None and isinstance(getattr(errors, prefix.group(1), None), type):
            code, text = prefix.group(1), prefix.group(2)
    for known, reason, pattern in _patterns():
        if code and known != code:
            continue
        match = pattern.fullmatch(text)
        if match is None:
            continue
        said = _fill("ErrorMessage", MESSAGES[(known, reason)],
                     errors.HearthError(text, reason=reason, params=match.groupdict()))
        if said is not None:
            return said
    if not code:   # a folder scan's reason for skipping a file ("unsupported type .xlsx")
        for _, reason, pattern in _patterns(skipped=True):
            match = pattern.fullmatch(text)
            said = match and _fill("SkipReason", SKIPPED[reason],
                                   errors.HearthError(text, reason=reason, params=match.groupdict()))
            if said:
                return said
        return _translated("ErrorWords", text) or text   # "does not exist", "cannot be read"
    return text


def hint(exc: errors.HearthError) -> str:
    """What to do, in the interface language when the catalogue can say it (else the engine's English)."""
    if not exc.hint:
        return ""
    templated = None if exc.hint_is_default else _fill("ErrorHint", HINT_TEMPLATES.get((exc.code, exc.reason)), exc)
    return templated or _translated("ErrorHint", exc.hint) or exc.hint


def details(exc: BaseException) -> str:
    """What happened and what to do, from the error itself, in the interface language where possible."""
    if isinstance(exc, errors.HearthError):
        said, todo = message(exc), hint(exc)
        return f"{said}\n{todo}" if todo else said
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
    elif details(exc) != exc.full_text():   # translated: the engine's exact English words stay one click away
        box.setDetailedText(visible(exc.full_text(), newlines=True))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setStyleSheet("QLabel#qt_msgbox_informativelabel { min-width: 440px; }")
    plain_box(box)
    box.open()
    return box
