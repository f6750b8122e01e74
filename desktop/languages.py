"""The interface languages: English (the source strings) and 简体中文.

Compiled catalogues (``desktop/i18n/hearth_<code>.qm``) are shipped in the
package; their sources (``.ts``) sit beside them. ``scripts/i18n.sh``
re-extracts strings with ``pyside6-lupdate`` and compiles with
``pyside6-lrelease``.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

CATALOGUES = Path(__file__).with_name("i18n")
LANGUAGES: dict[str, str] = {"en": "English", "zh_CN": "简体中文"}

_installed: list[QTranslator] = []


def system_language() -> str:
    """The supported language closest to the system locale."""
    for name in QLocale.system().uiLanguages():
        normal = name.replace("-", "_")
        if normal.startswith("zh"):
            return "zh_CN"  # 简体中文 is the only Chinese catalogue we ship
        if normal.startswith("en"):
            return "en"
    return "en"


def resolve(code: str) -> str:
    """A preference ("" means follow the system) as a supported language code."""
    return code if code in LANGUAGES else system_language()


def uninstall(app: QCoreApplication) -> None:
    """Remove the catalogues ``install`` put in (before ``app`` goes: they are its children)."""
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()


def install(app: QCoreApplication, code: str) -> str:
    """Switch the interface language; widgets get a LanguageChange event. Returns the code used."""
    language = resolve(code)
    uninstall(app)
    ours = QTranslator(app)  # for English: only the plural forms ("1 message", "2 messages")
    if ours.load(str(CATALOGUES / f"hearth_{language}.qm")):
        app.installTranslator(ours)
        _installed.append(ours)
    if language != "en":
        qt = QTranslator(app)  # Qt's own strings (standard buttons, context menus)
        if qt.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            app.installTranslator(qt)
            _installed.append(qt)
    QLocale.setDefault(QLocale(language))
    return language
