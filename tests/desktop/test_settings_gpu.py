"""Settings → Layers on the GPU reaches the engine's next load: a count as a count, Automatic as "auto" (which
the worker plans from the free GPU memory, engine/runtime/offload.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QSpinBox

from desktop.background.engine import ModelWanted
from desktop.settings.window import GPU_AUTO
from engine import ModelInfo
from engine.runtime.scripted import ScriptedRuntime
from tests.desktop.test_settings_window import open_settings
from tests.window_helpers import close_app, make_app


class RecordingRuntime(ScriptedRuntime):
    """The scripted engine, keeping every load's options."""

    def __init__(self) -> None:
        super().__init__()
        self.options: list[dict[str, Any]] = []

    def load(self, path: str, **kwargs: Any) -> ModelInfo:
        self.options.append(kwargs)
        return super().load(path, **kwargs)


def test_layer_count_and_automatic_reach_the_next_load(qtbot, smollm2_path: Path) -> None:
    runtime = RecordingRuntime()
    hearth = make_app(qtbot, smollm2_path, runtime=runtime)
    try:
        qtbot.waitUntil(lambda: hearth.window.info is not None, timeout=30_000)
        assert runtime.options[-1]["n_gpu_layers"] == "auto"   # the default
        dialog = open_settings(qtbot, hearth)
        spin = dialog.findChild(QSpinBox, "settingsGpuLayers")
        assert spin.value() == GPU_AUTO and "Automatic" in spin.text()
        assert "free memory" in spin.toolTip()
        spin.setValue(12)
        loaded: list[object] = []
        hearth.engine.load(ModelWanted(str(smollm2_path), 512), loaded.append, loaded.append, force=True)
        qtbot.waitUntil(lambda: bool(loaded), timeout=30_000)
        assert runtime.options[-1]["n_gpu_layers"] == 12
        spin.setValue(GPU_AUTO)
        loaded.clear()
        hearth.engine.load(ModelWanted(str(smollm2_path), 512), loaded.append, loaded.append, force=True)
        qtbot.waitUntil(lambda: bool(loaded), timeout=30_000)
        assert runtime.options[-1]["n_gpu_layers"] == "auto"
    finally:
        close_app(hearth)
