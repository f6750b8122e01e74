"""The terminal's language: ``hearth`` says its errors in the system language where a catalogue exists.

The window and the terminal share one translation catalogue (``desktop/i18n/hearth_<code>.qm``) and one
rendering of engine errors (``desktop.errors_ui``: code + reason + parameters through the catalogue).
The language is the one chosen in Settings → Language when the user chose one, else the system's
(``LC_ALL``, then ``LC_MESSAGES``, then ``LANG``, as POSIX orders them). Only a ``QCoreApplication`` is
made: no window, no display. ``--help`` stays in English (argparse's text is not translated).
Qt is loaded only when there is something to say, so commands that succeed start as fast as before.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

from desktop.cli.terminal import visible

_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def system_language(environ: Mapping[str, str] | None = None) -> str:
    """'zh_CN' when the terminal's locale is Chinese, else 'en' (the only catalogues shipped)."""
    env = os.environ if environ is None else environ
    for name in _LOCALE_VARIABLES:
        value = env.get(name, "")
        if value:   # the first one set decides, even "C" (POSIX: LC_ALL overrides LC_MESSAGES overrides LANG)
            return "zh_CN" if value.lower().startswith("zh") else "en"
    return "en"


def chosen_language() -> str:
    """The language picked in Settings ("" when the user left it to the system, or it cannot be read)."""
    try:
        from engine import paths
        from desktop.prefs import Prefs
        from desktop.languages import LANGUAGES
        code = Prefs(paths()).language
    except Exception:   # noqa: BLE001 - an unreadable settings file must not hide the error being reported
        return ""
    return code if code in LANGUAGES else ""


def install() -> str:
    """Install the catalogue for the terminal's language in a ``QCoreApplication``; returns the code used."""
    from PySide6.QtCore import QCoreApplication

    from desktop import languages
    app = QCoreApplication.instance() or QCoreApplication(["hearth"])
    return languages.install(app, chosen_language() or system_language())


def error_text(exc: BaseException) -> str:
    """An engine error's message and hint in the terminal's language (the engine's English where the
    catalogue has no translation), each escaped, on their own lines."""
    from engine.errors import HearthError
    if not isinstance(exc, HearthError):
        return visible(exc)
    from PySide6.QtCore import QCoreApplication
    made = QCoreApplication.instance() is None
    install()
    try:
        from desktop import errors_ui
        return "\n".join(visible(part) for part in (errors_ui.message(exc), errors_ui.hint(exc)) if part)
    finally:
        if made:   # called in-process (a test, a script): leave no application behind, a window may follow
            app = QCoreApplication.instance()
            if app is not None:
                from desktop import languages
                languages.uninstall(app)
                app.shutdown()
