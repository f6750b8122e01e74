"""Start the Hearth window: the application, its language and theme, its database and engine threads.

``run()`` is what ``hearth`` with no arguments calls. With
``quit_after_paint`` it prints "painted" once the window has been drawn and
quits (``hearth bench gui`` times start-up with it).
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from engine import HearthError, Paths, Runtime, paths
from engine.home import Home
from engine.store import recovery

from desktop import errors_ui
from desktop import languages as i18n
from desktop.main import markdown
from desktop.main.window import MainWindow
from desktop.prefs import Prefs
from desktop.settings import theme as looks
from desktop.background.database import DbThread
from desktop.background.engine import EngineThread


STYLE = """
QFrame#userMessage { background: palette(alternate-base); border-radius: 8px; }
QFrame#errorBox { border: 1px solid #d97706; border-radius: 6px; }
QLabel#droppedNotice { color: #b45309; }
QLabel#statusLabel, QLabel#replyStats, QLabel#siblingPosition { color: palette(mid); }
QFrame#undoBar { border-radius: 6px; }
"""


class _FirstPaint(QObject):
    """Calls back once, after the window's first paint event."""

    def __init__(self, callback: object) -> None:
        super().__init__()
        self._callback = callback
        self._done = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint and not self._done:
            self._done = True
            QTimer.singleShot(0, self._callback)  # type: ignore[arg-type]
        return False


class HearthApp:
    """The pieces of a running app, so tests can build and tear down the real thing."""

    def __init__(self, home: Paths | None = None, *, runtime: Runtime | None = None,
                 embedder: str | Path | None = None) -> None:
        """``runtime``: the model runtime to use (default: a real llama.cpp worker process);
        ``embedder``: the knowledge base's embedding model (default: engine.models.embedders.default_embedder)."""
        self.paths = home or paths()
        self.prefs = Prefs(self.paths)
        self.home = Home(self.paths, Path(embedder) if embedder else _chosen_embedder(self.prefs))
        qt_app = QApplication.instance()
        if isinstance(qt_app, QApplication):   # the Settings window's theme and font size, from the start
            looks.apply_theme(qt_app, self.prefs.theme)
            looks.apply_font_size(qt_app, self.prefs.font_size)
        self.db = DbThread(self.home)
        self.engine = EngineThread(self.home, runtime=runtime, after=self.db.ready)
        self.window = MainWindow(paths=self.paths, prefs=self.prefs, db=self.db, engine=self.engine)
        self.db.submit(lambda _store: markdown.warm_up())  # lexers load off the GUI thread

    def shutdown(self) -> None:
        """Cancel any reply (it is kept as interrupted), stop the threads and the model process."""
        if self.window.generation is not None:
            self.window.generation.cancel.cancel()
        self.window.stop_threads()
        self.engine.stop(timeout=30)
        self.db.stop()


def _chosen_embedder(prefs: Prefs) -> Path | None:
    """The default embedding model chosen in Settings, while its file is still there (else Hearth's default)."""
    chosen = prefs.default_embedder
    if chosen and Path(chosen).is_file():
        return Path(chosen)
    if chosen:
        logging.getLogger(__name__).warning("the chosen embedding model %s is gone: using the default", chosen)
    return None


def check_database(home: Paths, parent: QWidget | None = None, *, skip: frozenset[Path] = frozenset()) -> bool:
    """Before the window opens: when the database is damaged, ask what to do; False: the user chose to quit.

    The engine finds the damage and offers the ways out (``engine.store.recovery``); the user decides.
    Nothing is deleted: the damaged file is kept aside in either case.
    """
    health = recovery.check(home.database)
    if health.ok:
        return True
    logging.getLogger(__name__).error("Damaged database %s: %s", health.path, health.problem)
    newest = next((b for b in recovery.backups(home.home) if b.path not in skip), None)
    box = QMessageBox(parent)
    box.setObjectName("databaseRecovery")
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(QCoreApplication.translate("DatabaseRecovery", "Hearth"))
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(QCoreApplication.translate(
        "DatabaseRecovery", "Hearth's database is damaged, so your conversations cannot be read as they are."))
    box.setInformativeText(
        QCoreApplication.translate(
            "DatabaseRecovery", "File: {path}\nSQLite reports: {problem}\n\nThe damaged file is never deleted: "
            "it is kept aside beside the new one, for repair tools.").format(
            path=health.path, problem=health.problem.splitlines()[0] if health.problem else ""))
    fresh = box.addButton(QCoreApplication.translate("DatabaseRecovery", "Keep a copy aside and start fresh"),
                          QMessageBox.ButtonRole.DestructiveRole)
    fresh.setObjectName("startFresh")
    restore = None
    if newest is not None:
        restore = box.addButton(QCoreApplication.translate("DatabaseRecovery", "Restore the backup from {date}")
                                .format(date=newest.label),
                                QMessageBox.ButtonRole.AcceptRole)
        restore.setObjectName("restoreBackup")
        box.setDefaultButton(restore)
    leave = box.addButton(QCoreApplication.translate("DatabaseRecovery", "Quit"),
                          QMessageBox.ButtonRole.RejectRole)
    leave.setObjectName("quit")
    box.setEscapeButton(leave)
    box.exec()
    chosen = box.clickedButton()
    if chosen is fresh:
        recovery.set_aside(home.database)
        return True
    if restore is not None and chosen is restore:
        try:
            recovery.restore(newest, home.database)   # the damaged file is set aside first
        except HearthError as exc:                    # the backup is damaged too: ask again without it
            failed = QMessageBox(QMessageBox.Icon.Warning, QCoreApplication.translate("DatabaseRecovery", "Hearth"),
                                 errors_ui.details(exc), QMessageBox.StandardButton.Ok, parent)
            failed.setObjectName("restoreFailed")
            failed.setTextFormat(Qt.TextFormat.PlainText)   # it names files: never markup
            failed.exec()
            return check_database(home, parent, skip=skip | {newest.path})
        return True
    return False


def _setup_logging(home: Paths) -> None:
    logging.basicConfig(filename=str(home.logs / "hearth.log"), level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def run(argv: list[str] | None = None, *, quit_after_paint: bool = False) -> int:
    args = argv if argv is not None else sys.argv
    app = QApplication.instance() or QApplication(args)
    app.setApplicationName("Hearth")
    app.setOrganizationName("Hearth")
    app.setWindowIcon(QIcon.fromTheme("chat"))
    app.setStyleSheet(STYLE)
    home = paths()
    _setup_logging(home)
    prefs = Prefs(home)
    i18n.install(app, prefs.language)
    if not check_database(home):
        return 1
    hearth = HearthApp(home)
    window = hearth.window
    if quit_after_paint:
        def painted() -> None:
            print("painted", flush=True)
            app.quit()
        probe = _FirstPaint(painted)
        app.installEventFilter(probe)
    window.show()
    code = app.exec()
    hearth.shutdown()
    return code
