"""The main window's menu bar: File, View and its Language submenu, Help, with their shortcuts.

``MainMenus`` only builds the actions and names them; the window connects
each action's ``triggered`` (and ``language_chosen``) to what it does.
Strings are translated in the main window's context ("MainWindow").
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow

from desktop import languages as i18n


class MainMenus(QObject):
    """File → New chat, Attach, Models, Knowledge, add a model, models folder, Export, Settings, Quit;
    View → the settings panel, use as defaults, Language; Help → About."""

    language_chosen = Signal(str)    # "" follows the system

    def __init__(self, window: QMainWindow, language: str) -> None:
        super().__init__(window)
        bar = window.menuBar()
        self.file = bar.addMenu("")
        self.view = bar.addMenu("")
        self.language = self.view.addMenu("")
        self.help = bar.addMenu("")
        keys = QKeySequence.StandardKey
        self.new = QAction(window, shortcut=keys.New)
        self.attach = QAction(window)
        self.manager = QAction(window, shortcut=QKeySequence("Ctrl+M"))
        self.knowledge = QAction(window, shortcut=QKeySequence("Ctrl+K"))
        self.add_model = QAction(window)
        self.models_folder = QAction(window)
        self.export = QAction(window)
        self.quit = QAction(window, shortcut=keys.Quit)
        self.file.addActions([self.new, self.attach, self.manager, self.knowledge, self.add_model,
                              self.models_folder, self.export])
        # Preferences on macOS (moved to the application menu by its role), Settings elsewhere
        self.preferences = QAction(window, shortcut=_preferences_key(),
                                   menuRole=QAction.MenuRole.PreferencesRole)
        self.file.addSeparator()
        self.file.addAction(self.preferences)
        self.file.addSeparator()
        self.file.addAction(self.quit)
        self.about = QAction(window, menuRole=QAction.MenuRole.AboutRole)
        self.help.addAction(self.about)
        self.panel = QAction(window, checkable=True, shortcut=QKeySequence("Ctrl+Shift+S"))
        self.defaults = QAction(window)
        self.view.addActions([self.panel, self.defaults])
        self.language_group = QActionGroup(window)
        self.languages: dict[str, QAction] = {}
        for code in ("", *i18n.LANGUAGES):
            action = QAction(window, checkable=True)
            action.setData(code)
            action.triggered.connect(lambda _checked=False, c=code: self.language_chosen.emit(c))
            self.language_group.addAction(action)
            self.language.addAction(action)
            self.languages[code] = action
        self.check_language(language)

    def check_language(self, code: str) -> None:
        self.languages.get(code, self.languages[""]).setChecked(True)

    def retranslate(self) -> None:
        self.file.setTitle(QCoreApplication.translate("MainWindow", "&File"))
        self.view.setTitle(QCoreApplication.translate("MainWindow", "&View"))
        self.help.setTitle(QCoreApplication.translate("MainWindow", "&Help"))
        self.preferences.setText(QCoreApplication.translate("MainWindow", "Settings…"))
        self.about.setText(QCoreApplication.translate("MainWindow", "About Hearth"))
        self.language.setTitle(QCoreApplication.translate("MainWindow", "Language"))
        self.new.setText(QCoreApplication.translate("MainWindow", "New chat"))
        self.add_model.setText(QCoreApplication.translate("MainWindow", "Add a model file…"))
        self.models_folder.setText(QCoreApplication.translate("MainWindow", "Open the models folder"))
        self.manager.setText(QCoreApplication.translate("MainWindow", "Models…"))
        self.knowledge.setText(QCoreApplication.translate("MainWindow", "Knowledge…"))
        self.attach.setText(QCoreApplication.translate("MainWindow", "Attach files…"))
        self.export.setText(QCoreApplication.translate("MainWindow", "Export chat…"))
        self.quit.setText(QCoreApplication.translate("MainWindow", "Quit"))
        self.panel.setText(QCoreApplication.translate("MainWindow", "Model and settings panel"))
        self.defaults.setText(QCoreApplication.translate("MainWindow", "Use this chat's settings for new chats"))
        self.languages[""].setText(QCoreApplication.translate("MainWindow", "Follow the system"))
        for code, name in i18n.LANGUAGES.items():
            self.languages[code].setText(name)


def _preferences_key() -> QKeySequence:
    """The platform's Preferences shortcut (⌘, on macOS); Ctrl+, where the platform has none."""
    bindings = QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)
    return bindings[0] if bindings else QKeySequence("Ctrl+,")
