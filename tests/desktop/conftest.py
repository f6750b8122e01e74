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


@pytest.fixture
def fake() -> ScriptedRuntime:
    return ScriptedRuntime()


@pytest.fixture
def app(qtbot, smollm2_path: Path, fake: ScriptedRuntime) -> Iterator[HearthApp]:
    hearth = make_app(qtbot, smollm2_path, runtime=fake)
    yield hearth
    close_app(hearth)
