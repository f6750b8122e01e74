"""Start and stop the API: uvicorn serving the guarded Starlette app in its own thread.

uvicorn installs no signal handlers off the main thread, so a window (or the terminal command) keeps
its own; :meth:`ApiServer.stop` asks uvicorn to exit (``should_exit``) and the model's thread to end.
A bind other than loopback is refused unless an API key is set: the peers' servers exposed on a LAN
without one are how their users' models and documents leaked.
"""
from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from engine import errors
from engine.home import Home

log = logging.getLogger(__name__)

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class ApiConfig:
    host: str = "127.0.0.1"
    port: int = 8337                       # 0: any free port (see ApiServer.port once started)
    model: Path | None = None              # the chat model loaded at start (None: loaded on first request)
    api_key: str | None = None             # required for any non-loopback bind
    allowed_hosts: frozenset[str] = frozenset()   # host names accepted besides localhost and literal IPs
    cors_origins: frozenset[str] = frozenset()    # exact origins; empty: CORS off
    max_body_bytes: int = 8 * 1024 * 1024
    max_tokens_cap: int = 4096
    max_queue: int = 8                     # requests waiting behind the running one; more: 429
    n_ctx: int | None = None
    n_threads: int | None = None
    access_log: bool = False               # paths and status codes only, never bodies
    store_conversations: bool = False      # keep each chat request as a conversation (engine.api.history)
    extra: dict[str, str] = field(default_factory=dict)


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ApiServer:
    """The API for one Hearth home; ``start()`` returns once the port listens (the model may still load)."""

    def __init__(self, home: Home, config: ApiConfig) -> None:
        if not is_loopback(config.host) and not config.api_key:
            raise errors.ApiKeyRequired(
                f"Hearth will not serve its API on {config.host} without an API key: anyone on the network "
                "could use your models and read your documents.")
        self.home = home
        self.config = config
        self.port = config.port
        self._server = None
        self._thread: threading.Thread | None = None
        from engine.api.worker import ModelWorker
        self.worker = ModelWorker(home, config.model, n_ctx=config.n_ctx, n_threads=config.n_threads,
                                  max_queue=config.max_queue, max_tokens_cap=config.max_tokens_cap,
                                  store_conversations=config.store_conversations)

    @property
    def url(self) -> str:
        host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 30.0) -> "ApiServer":
        import uvicorn

        from engine.api.app import build_app
        from engine.api.guard import Guard
        hosts = {"localhost", *self.config.allowed_hosts}
        if not is_loopback(self.config.host) and self.config.host not in ("0.0.0.0", "::"):
            hosts.add(self.config.host)
        app = Guard(build_app(self.home, self.worker), allowed_hosts=hosts, cors_origins=set(self.config.cors_origins),
                    api_key=self.config.api_key, max_body_bytes=self.config.max_body_bytes)
        family = socket.AF_INET6 if ":" in self.config.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.config.host, self.config.port))
        except OSError as exc:
            sock.close()
            raise errors.ApiBindFailed(f"Hearth could not listen on {self.config.host}:{self.config.port}: "
                                       f"{exc.strerror or exc}.") from None
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=self.config.access_log, lifespan="off",
                                timeout_graceful_shutdown=5)
        self._server = uvicorn.Server(config)
        self.worker.start()
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name="hearth-api-http", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise errors.ApiBindFailed(f"Hearth's API did not start on {self.url}.")
            time.sleep(0.02)
        log.info("API listening on %s", self.url)
        return self

    def wait_ready(self, timeout: float = 120.0) -> bool:
        """Wait until the model has loaded (or failed); True when ready."""
        deadline = time.monotonic() + timeout
        while self.worker.state == "loading" and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.worker.state == "ready"

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self.worker.stop()

    def __enter__(self) -> "ApiServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
