"""The window's switch for the local OpenAI-compatible API: the same server as ``hearth serve``.

:class:`ApiSwitch` starts and stops :class:`engine.api.ApiServer` (uvicorn in its own thread, with its
own model worker and llama.cpp process) on a thread of its own, so the window never waits for a bind,
a model load or a shutdown. The server binds 127.0.0.1, or 0.0.0.0 when other computers are allowed;
either way it asks for the home's API key (made at random the first time, shown once, kept in the
home's config folder with mode 0600): another user of this computer is a client too. The server
answers with the default chat model of new chats (else the first installed one), loaded when it starts.
A taken port is said in words, never as a traceback.
"""
from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Signal

from engine import errors
from engine.api import ApiConfig, ApiServer, load_or_create_key
from engine.api.keys import key_path
from engine.home import Home

from desktop import errors_ui
from desktop.background.jobs import WorkThread
from desktop.prefs import Prefs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApiStarted:
    url: str               # the base URL clients use (…/v1)
    new_key: str | None    # the key, when it was made just now (shown once)


def lan_address() -> str:
    """This computer's address on its network, for the URL other computers use (no packet is sent:
    connecting a UDP socket only picks the route); 127.0.0.1 when there is no network."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))   # TEST-NET-1: never routed anywhere real
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def chat_model(home: Home, chosen: str | None) -> Path | None:
    """The model the API answers with: the default model of new chats while its file is there, else the
    first installed chat model (None: there is none; requests name one)."""
    if chosen and Path(chosen).is_file():
        return Path(chosen)
    from engine.models.installed import installed_models
    with home.store() as store:
        models = [m for m in installed_models(store, home.paths.models).models if not m.is_embedding_model]
    return models[0].path if models else None


def failure_text(exc: object) -> str:
    """Why the server did not start, in the interface language, with what to do in the window."""
    if isinstance(exc, errors.ApiBindFailed):
        return errors_ui.message(exc) + "\n" + QCoreApplication.translate(
            "ApiSwitch", "Choose another port, or close the program that uses this one.")
    if isinstance(exc, (errors.HearthError, OSError)):
        return errors_ui.details(exc)
    return QCoreApplication.translate("ApiSwitch", "The API server could not start: %1").replace("%1", str(exc))


class ApiSwitch(QObject):
    """On and off for the API of one window. ``running`` carries the URL while it serves and None once it
    stopped; ``failed`` why it could not start; ``key_made`` a key made just now (show it once)."""

    running = Signal(object)
    failed = Signal(str)
    key_made = Signal(str)

    def __init__(self, home: Home, prefs: Prefs, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.home, self.prefs = home, prefs
        self.url: str | None = None
        self.state = "off"   # off | starting | on | stopping
        self._server: ApiServer | None = None   # used on the switch's thread only
        self._thread = WorkThread("hearth-api-switch")
        self._closed = False
        self._ticket = 0   # the latest on/off request: the answers of older ones are not the state any more

    @property
    def key_file(self) -> Path:
        return key_path(self.home.root)

    def resume(self) -> None:
        """At start-up: serve again when the switch was on when Hearth last quit."""
        if self.prefs.api_enabled:
            self.turn_on()

    def turn_on(self) -> None:
        """Start serving with the port and reach in the preferences (remembered as on)."""
        if self._closed or self.state in ("starting", "on"):
            return
        self.state = "starting"
        self._remember(True)
        port, lan, threads, chosen = self.prefs.api_port, self.prefs.api_lan, self.prefs.threads, \
            self.prefs.default_model
        store = self.prefs.api_store
        ticket = self._next()
        self._thread.submit(lambda: self._start(port, lan, threads, chosen, store), lambda r: self._started(ticket, r),
                            lambda exc: self._start_failed(ticket, exc))

    def turn_off(self) -> None:
        """Stop serving (remembered as off); ``running(None)`` once the port is free."""
        if self.state in ("off", "stopping"):
            return
        self.state = "stopping"
        self._remember(False)
        ticket = self._next()
        self._thread.submit(self._stop, lambda _r: self._stopped(ticket), lambda _exc: self._stopped(ticket))

    def _next(self) -> int:
        self._ticket += 1
        return self._ticket

    def _remember(self, on: bool) -> None:
        self.prefs.api_enabled = on
        self.prefs.sync()

    def shutdown(self, timeout: float = 60.0) -> None:
        """The window closes: stop the server (its port is free and its model process gone on return)."""
        if self._closed:
            return
        self._closed = True
        self._thread.submit(self._stop)
        self._thread.stop(timeout)

    # --- on the switch's thread -------------------------------------------------------------------
    def _start(self, port: int, lan: bool, threads: int | None, chosen: str | None,
               store: bool = False) -> ApiStarted:
        if self._server is not None:
            return ApiStarted(self._client_url(self._server, lan), None)
        key, made = load_or_create_key(self.home.root)
        config = ApiConfig(host="0.0.0.0" if lan else "127.0.0.1", port=port, model=chat_model(self.home, chosen),
                           api_key=key, n_threads=threads, store_conversations=store)
        server = ApiServer(self.home, config)
        server.start()   # raises ApiBindFailed when the port is taken; the model then loads in the background
        self._server = server
        return ApiStarted(self._client_url(server, lan), key if made else None)

    @staticmethod
    def _client_url(server: ApiServer, lan: bool) -> str:
        host = lan_address() if lan else "127.0.0.1"
        return f"http://{host}:{server.port}/v1"

    def _stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    # --- back on the GUI thread --------------------------------------------------------------------
    def _started(self, ticket: int, started: ApiStarted) -> None:
        if ticket != self._ticket:   # switched off while it started: the stop queued behind takes it down
            return
        self.state, self.url = "on", started.url
        log.info("API switched on at %s", started.url)
        if started.new_key:
            self.key_made.emit(started.new_key)
        self.running.emit(started.url)

    def _start_failed(self, ticket: int, exc: object) -> None:
        if ticket != self._ticket:
            return
        self.state, self.url = "off", None
        self._remember(False)   # a port taken today must not fail again silently at the next launch
        self.failed.emit(failure_text(exc))
        self.running.emit(None)

    def _stopped(self, ticket: int) -> None:
        if ticket != self._ticket:
            return
        self.state, self.url = "off", None
        self.running.emit(None)
