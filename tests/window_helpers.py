"""Building the real Hearth window in tests, and driving it like a user."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QWidget

from desktop.app import HearthApp
from desktop.main.message_widget import MessageWidget
from desktop.prefs import Prefs
from engine import Store, paths
from engine.models.installed import import_model, remove_model
from engine.models.starter import starter_model


def make_app(qtbot: Any, model: Path | None, *, runtime: Any = None, starter: bool = False,
             embedder: Path | None = None) -> HearthApp:
    """The whole app in the test's Hearth home; ``model`` is imported as an installed model.
    The starter model (installed with Hearth) is hidden unless ``starter``; ``embedder`` is the
    knowledge base's embedding model."""
    home = paths()
    with Store(home.database) as store:
        found = starter_model()
        if found is not None and not starter:
            remove_model(store, found, home.models)
        if model is not None:
            import_model(store, model)
    if model is not None:
        prefs = Prefs(home)
        prefs.default_model = str(Path(model).resolve())
        prefs.sync()
    app = HearthApp(home, runtime=runtime, embedder=embedder)
    qtbot.addWidget(app.window)
    app.window.show()
    if model is not None:
        qtbot.waitUntil(lambda: bool(app.window.models), timeout=10_000)
    return app


def close_app(app: HearthApp) -> None:
    app.window.close()
    app.shutdown()


def type_and_send(qtbot: Any, app: HearthApp, text: str) -> None:
    box = app.window.composer.input
    box.setFocus()
    box.setPlainText(text)
    qtbot.keyClick(box, Qt.Key.Key_Return)


def wait_idle(qtbot: Any, app: HearthApp, timeout: int = 20_000) -> None:
    """Until no reply is being written and the shown conversation has been reloaded. A reply may start only
    once a database job has answered (the first message of a chat still being created): wait again then."""
    while True:
        qtbot.waitUntil(lambda: app.window.generation is None, timeout=timeout)
        wait_database(qtbot, app)
        if app.window.generation is None:
            return


def wait_database(qtbot: Any, app: HearthApp, timeout: int = 10_000) -> None:
    """Until every database job queued so far has run and its result reached the window (jobs run, and their
    results arrive, in the order they were queued)."""
    done: list[bool] = []
    app.window.db.submit(lambda _store: None, lambda _result: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=timeout)
    QApplication.processEvents()   # what those results posted (new message widgets are shown by a posted event)


def new_chat(qtbot: Any, app: HearthApp) -> None:
    """Ctrl+N, then wait for the empty conversation."""
    qtbot.keyClick(app.window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not bubbles(app))


def chat(qtbot: Any, app: HearthApp, *messages: str) -> None:
    """Send each message and wait for its reply."""
    for text in messages:
        type_and_send(qtbot, app, text)
        wait_idle(qtbot, app)


def bubbles(app: HearthApp) -> list[MessageWidget]:
    return app.window.chat_view.widgets()


def texts(app: HearthApp) -> list[tuple[str, str]]:
    return [(w.item.message.role, w.text.source_text()) for w in bubbles(app)]


def child(widget: QWidget, name: str, kind: type = QWidget) -> Any:
    found = widget.findChild(kind, name)
    assert found is not None, f"no {kind.__name__} named {name!r}"
    return found


def in_database(check: Callable[[Store], Any]) -> Any:
    """Read the database with a connection of the test's own thread."""
    with Store(paths().database) as store:
        return check(store)


class UrlCatcher(QObject):
    """Stands in for the desktop: receives the file URLs that QDesktopServices.openUrl would open."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


@contextmanager
def catching_file_urls() -> Iterator[UrlCatcher]:
    found = UrlCatcher()
    QDesktopServices.setUrlHandler("file", found, "open")
    try:
        yield found
    finally:
        QDesktopServices.unsetUrlHandler("file")
