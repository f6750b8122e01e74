"""``hearth screenshot OUT.png``: the real window with a real conversation, saved as a PNG.

It runs in a fresh temporary home (the user's chats are never touched):
registers the given model, types each prompt into the window, lets the real
engine answer, then grabs the window. Used for the README and to look at
the app in each language.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Sequence

from engine import open_home
from engine.models.installed import import_model

DEFAULT_PROMPTS = {
    "en": ["Write a Python function that reverses a string, with a short explanation."],
    "zh_CN": ["用 Python 写一个反转字符串的函数。"],
}


def take_screenshot(out: Path, *, model: Path, language: str = "en", prompts: Sequence[str] = (),
                    size: tuple[int, int] = (1280, 800), temperature: float = 0.0, seed: int = 42,
                    theme: str = "system", settings: Path | None = None) -> Path:
    """Save the window after the prompts are answered to ``out``; with ``settings``, the Settings window
    (opened from its menu action, as a user would) to that file too."""
    from PySide6.QtWidgets import QApplication

    with tempfile.TemporaryDirectory(prefix="hearth-shot-") as home:
        os.environ["HEARTH_HOME"] = home
        from desktop import languages as i18n
        from desktop.app import HearthApp
        from desktop.prefs import Prefs

        qapp = QApplication.instance() or QApplication([])
        hearth_home = open_home()
        prefs = Prefs(hearth_home.paths)
        prefs.language = language
        prefs.theme = theme
        with hearth_home.store() as store:
            import_model(store, model)
        prefs.default_model = str(model.resolve())
        prefs.default_sampling = {"temperature": temperature, "seed": seed, "max_tokens": 400}
        prefs.sync()
        i18n.install(qapp, language)
        app = HearthApp(hearth_home.paths)
        window = app.window
        window.resize(*size)
        window.show()
        try:
            _wait(qapp, lambda: window.info is not None, 120)
            for prompt in prompts or DEFAULT_PROMPTS.get(language, DEFAULT_PROMPTS["en"]):
                window.composer.input.setPlainText(prompt)
                window.composer.send_button.click()
                _wait(qapp, lambda: window.generation is not None, 30)
                _wait(qapp, lambda: window.generation is None, 600)
                _wait(qapp, lambda: False, 0.5)
            window.composer.input.setPlainText("")
            _wait(qapp, lambda: False, 1.0)
            out.parent.mkdir(parents=True, exist_ok=True)
            if not window.grab().save(str(out)):
                raise OSError(f"Could not write {out}")
            if settings is not None:
                dialog = window.app_dialogs.open_settings()
                _wait(qapp, lambda: False, 1.0)
                settings.parent.mkdir(parents=True, exist_ok=True)
                if not dialog.grab().save(str(settings)):
                    raise OSError(f"Could not write {settings}")
                dialog.close()
        finally:
            window.close()
            app.shutdown()
    return out


def _wait(qapp: object, done: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        qapp.processEvents()  # type: ignore[attr-defined]
        if done():  # type: ignore[operator]
            return
        time.sleep(0.005)
