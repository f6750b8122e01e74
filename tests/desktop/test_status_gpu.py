"""The status bar says where the model runs: "CUDA · 33/33 layers · 4.1 GB VRAM" with a GPU (the scripted
engine reporting a CUDA load), "CPU · 2 threads" with the real SmolLM2 on this CPU build."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

import pytest

from desktop.app import HearthApp
from engine import ModelInfo
from engine.runtime.scripted import ScriptedRuntime
from tests.window_helpers import close_app, make_app


class GpuRuntime(ScriptedRuntime):
    """The scripted engine, reporting the load a CUDA build made (``gpu``: what to report)."""

    def __init__(self, **gpu: Any) -> None:
        super().__init__()
        self.gpu = gpu

    def load(self, path: str, **kwargs: Any) -> ModelInfo:
        self.info = replace(super().load(path, **kwargs), **self.gpu)
        return self.info


def _app(qtbot: Any, model: Path, runtime: Any) -> HearthApp:
    app = make_app(qtbot, model, runtime=runtime)
    qtbot.waitUntil(lambda: app.window.info is not None, timeout=60_000)
    return app


@pytest.fixture
def closing() -> Iterator[list[HearthApp]]:
    apps: list[HearthApp] = []
    yield apps
    for app in apps:
        close_app(app)


def test_a_model_all_on_the_gpu_shows_backend_layers_and_vram(qtbot, smollm2_path: Path,
                                                              closing: list[HearthApp]) -> None:
    runtime = GpuRuntime(backend="CUDA", n_layers=32, gpu_layers=33, vram_bytes=4_100_000_000)
    closing.append(app := _app(qtbot, smollm2_path, runtime))
    label = app.window.status.backend_label
    assert label.text() == "CUDA · 33/33 layers · 4.1 GB VRAM"
    assert label.isVisible() and label.toolTip() == ""


def test_a_model_partly_on_the_gpu_after_running_out_of_memory_says_why(qtbot, smollm2_path: Path,
                                                                       closing: list[HearthApp]) -> None:
    runtime = GpuRuntime(backend="CUDA", n_layers=32, gpu_layers=16, vram_bytes=2_300_000_000,
                         offload_note="33 GPU layers did not fit (...); loaded with 16.")
    closing.append(app := _app(qtbot, smollm2_path, runtime))
    label = app.window.status.backend_label
    assert label.text() == "CUDA · 16/33 layers · 2.3 GB VRAM"
    assert "16 of 33 layers are on it" in label.toolTip() and "out of memory" in label.toolTip()


def test_the_real_model_on_this_cpu_shows_its_threads(qtbot, smollm2_path: Path, closing: list[HearthApp]) -> None:
    closing.append(app := _app(qtbot, smollm2_path, None))
    info = app.window.info
    assert info.backend == "CPU" and info.gpu_layers == 0 and info.vram_bytes == 0
    threads = info.threads
    assert app.window.status.backend_label.text() == f"CPU · {threads} thread" + ("s" if threads != 1 else "")
