"""The window over a scripted runtime, for tests that drive it like a user: ``fake`` scripts the replies,
``app`` is the whole app in the test's Hearth home with the real SmolLM2 file installed (never loaded by
the scripted runtime). A test file that needs another app defines its own fixture of that name."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from desktop.app import HearthApp
from engine.runtime.scripted import ScriptedRuntime
from tests.window_helpers import close_app, make_app


def closed_port_url() -> str:
    """http://127.0.0.1:PORT where nothing listens (a port just bound and released)."""
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(autouse=True)
def hub_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Hub is a closed loopback port unless a test starts tests.hub_server's ``hub`` (which points
    HF_ENDPOINT at itself afterwards): the model manager checks the Hub when it opens, and no test may
    reach huggingface.co."""
    monkeypatch.setenv("HF_ENDPOINT", closed_port_url())


@pytest.fixture
def fake() -> ScriptedRuntime:
    return ScriptedRuntime()


@pytest.fixture
def app(qtbot, smollm2_path: Path, fake: ScriptedRuntime) -> Iterator[HearthApp]:
    hearth = make_app(qtbot, smollm2_path, runtime=fake)
    yield hearth
    close_app(hearth)
