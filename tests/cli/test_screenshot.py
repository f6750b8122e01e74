"""``hearth screenshot``: the real window with the real SmolLM2 answering, saved as PNGs — in the dark theme,
with the Settings window — as the README's screenshots are made."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]


def mean_lightness(image: QImage) -> float:
    step = 8
    values = [image.pixelColor(x, y).lightnessF() for x in range(0, image.width(), step)
              for y in range(0, image.height(), step)]
    return sum(values) / len(values)


def test_a_dark_screenshot_of_a_real_reply_and_the_settings_window(tmp_path: Path, smollm2_path: Path) -> None:
    window, settings = tmp_path / "dark.png", tmp_path / "settings.png"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run([sys.executable, "-m", "desktop.cli.main", "screenshot", str(window), "--model",
                          str(smollm2_path), "--prompt", "Say hello.", "--size", "1000x700", "--theme", "dark",
                          "--settings", str(settings)], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(window)
    shot = QImage(str(window))
    assert (shot.width(), shot.height()) == (1000, 700)
    assert mean_lightness(shot) < 0.35, mean_lightness(shot)          # a dark window, not a light one
    dialog = QImage(str(settings))
    assert not dialog.isNull() and dialog.width() > 300 and dialog.height() > 200
    assert mean_lightness(dialog) < 0.35
