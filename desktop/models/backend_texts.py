"""What the Backends tab says: a connection test's report, and a backend's error in the window's words.

Errors are rendered through :mod:`desktop.errors_ui` (the translated message from the error's code,
reason and parameters); the hints the engine writes for the terminal (``hearth backends test NAME``…)
are replaced by what to do in this window. Strings are in the "BackendsPanel" translation context.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from engine import errors
from engine.remote import ConnectionReport

from desktop import errors_ui
from desktop.plain import visible


def _window_hint(exc: errors.HearthError) -> str:
    """What to do here, for the errors whose own hint names a terminal command."""
    if isinstance(exc, errors.RemoteAuthFailed):
        return QCoreApplication.translate(
            "BackendsPanel", "Edit the backend and enter the server's API key again (or remove it if the server "
                             "needs none).")
    if isinstance(exc, errors.RemoteNotFound):
        return QCoreApplication.translate(
            "BackendsPanel", "Check the address: OpenAI-compatible servers answer under /v1 (for example "
                             "http://host:8080/v1), and the model's name (Edit → List models shows them).")
    if isinstance(exc, errors.RemoteRateLimited):
        return QCoreApplication.translate(
            "BackendsPanel", "The server is busy: try again in a moment, or add another backend serving the same "
                             "model.")
    if isinstance(exc, errors.BackendExists):
        return QCoreApplication.translate("BackendsPanel", "Choose another name, or edit the existing backend.")
    if isinstance(exc, errors.BackendNotFound):
        return QCoreApplication.translate("BackendsPanel", "It was removed meanwhile: the list is up to date again.")
    if type(exc) is errors.RemoteError:
        return QCoreApplication.translate("BackendsPanel", "Check the address and that the server is running.")
    return errors_ui.hint(exc)


def error_text(exc: object) -> str:
    """What went wrong and what to do, in the interface language where the catalogue can say it."""
    if isinstance(exc, errors.HearthError):
        said = errors_ui.message(exc)
        todo = _window_hint(exc) if exc.hint_is_default else errors_ui.hint(exc)
        return f"{said}\n{todo}" if todo else said
    if isinstance(exc, BaseException):
        return errors_ui.details(exc)
    return str(exc)


def report_text(report: ConnectionReport) -> str:
    """A successful test: who answered, with which model, how fast, the context found, and any warning."""
    answered = QCoreApplication.translate("BackendsPanel", "%1 answered in %2 s.")
    lines = [answered.replace("%1", visible(report.backend)).replace("%2", f"{report.seconds:.2f}")]
    models = ", ".join(visible(m) for m in report.models) or QCoreApplication.translate("BackendsPanel",
                                                                                        "none listed")
    lines.append(QCoreApplication.translate("BackendsPanel", "Models: %1").replace("%1", models))
    reply = QCoreApplication.translate("BackendsPanel", "Test reply from %1: “%2”")
    lines.append(reply.replace("%1", visible(report.model)).replace("%2", visible(report.reply.strip()[:60])))
    if report.context is not None:
        context = QCoreApplication.translate("BackendsPanel", "Context: %1 tokens (from %2)")
        lines.append(context.replace("%1", f"{report.context.tokens:,}").replace("%2", visible(report.context.source)))
    else:
        lines.append(QCoreApplication.translate("BackendsPanel", "Context: the server does not say; set the "
                                                                 "backend's context window (Edit)."))
    for warning in report.warnings:
        lines.append("⚠ " + visible(warning))   # the engine's English: it names the URL and the models
    return "\n".join(lines)
