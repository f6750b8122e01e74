"""The window's Settings… and About Hearth actions: opening each dialog once and applying what it changes.

The window hands over what the dialogs need (its folders, preferences, threads,
the installed and loaded models, and how to switch the language), so this
module never imports the window.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from engine import InstalledModel, ModelInfo, Paths

from desktop.background.database import DbThread
from desktop.background.engine import EngineThread
from desktop.prefs import Prefs
from desktop.settings.about import AboutDialog
from desktop.settings.api_server import ApiSwitch
from desktop.settings.window import SettingsDialog


class AppDialogs(QObject):
    """Owns the Settings and About dialogs of one main window."""

    def __init__(self, *, window: QWidget, settings: QAction, about: QAction, paths: Paths, prefs: Prefs,
                 db: DbThread, engine: EngineThread, models: Callable[[], list[InstalledModel]],
                 model_info: Callable[[], ModelInfo | None], set_language: Callable[[str], None]) -> None:
        super().__init__(window)
        self._window, self.paths, self.prefs, self.db, self.engine = window, paths, prefs, db, engine
        self._models, self._model_info, self._set_language = models, model_info, set_language
        self.settings: SettingsDialog | None = None
        self.about: AboutDialog | None = None
        self.api = ApiSwitch(engine.home, prefs, self)   # the local API server's switch (Settings → Local API)
        settings.triggered.connect(lambda _checked=False: self.open_settings())
        about.triggered.connect(lambda _checked=False: self.open_about())
        engine.load_options = prefs.load_options()

    def open_settings(self) -> SettingsDialog:
        if self.settings is None:
            self.settings = SettingsDialog(prefs=self.prefs, paths=self.paths, db=self.db, models=self._models(),
                                           parent=self._window, api=self.api)
            self.settings.language_chosen.connect(self._set_language)
            self.settings.engine_changed.connect(
                lambda: setattr(self.engine, "load_options", self.prefs.load_options()))
        else:
            self.settings.set_models(self._models())
        self.settings.show()
        self.settings.raise_()
        return self.settings

    def open_about(self) -> AboutDialog:
        if self.about is None:
            self.about = AboutDialog(paths=self.paths, db=self.db, model=self._model_info, parent=self._window)
        else:
            self.about.refresh()
        self.about.show()
        self.about.raise_()
        return self.about
