"""``hearth --self-test [--model PATH]``: prove an installed or frozen Hearth works.

Opens the real main window (offscreen with ``QT_QPA_PLATFORM=offscreen``),
waits for its first paint, closes it, then loads the model in the llama.cpp
worker process (a spawn child: in a frozen app, the executable re-run) and
generates a few tokens. Uses a temporary Hearth home unless ``HEARTH_HOME`` is
set. Prints one JSON report on standard output (and writes it to
``$HEARTH_SELF_TEST_JSON`` when set: a windowed Windows app has no console);
exits 0 when everything worked, 1 with the error otherwise.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from desktop.cli.terminal import json_text

_T0 = time.monotonic()  # fallback for the process start where /proc is missing


def _since_process_start() -> float:
    """Seconds since this process started (Linux: from /proc, else since this module was imported)."""
    try:
        stat = Path("/proc/self/stat").read_text()
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])
        return time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return time.monotonic() - _T0


def _default_model() -> str | None:
    try:
        from engine.models.starter import starter_model
        path = starter_model()
        return str(path) if path else None
    except Exception:  # noqa: BLE001 - no starter installed/bundled
        return None


def _window(report: dict[str, Any], home: Any, timeout_s: float) -> None:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.app import HearthApp, _FirstPaint

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("Hearth")
    app.setOrganizationName("Hearth")
    report["qt_platform"] = app.platformName()
    _bundled_files(report)
    hearth = HearthApp(home)
    painted: dict[str, float] = {}

    # A local event loop and a timer we own: the application's own loop and quit() are left
    # alone, so the self-test can also run inside a process that keeps using Qt (the tests).
    loop = QEventLoop()

    def on_paint() -> None:
        painted["at"] = _since_process_start()
        loop.quit()

    probe = _FirstPaint(on_paint)
    app.installEventFilter(probe)
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    deadline.start(int(timeout_s * 1000))
    hearth.window.show()
    loop.exec()
    deadline.stop()
    app.removeEventFilter(probe)
    hearth.window.close()
    hearth.shutdown()
    app.processEvents()
    if "at" not in painted:
        raise RuntimeError(f"the main window was not painted within {timeout_s:.0f} s")
    report["first_paint_s"] = round(painted["at"], 3)


def _bundled_files(report: dict[str, Any]) -> None:
    """The data files a frozen app must carry: translations and the model catalog."""
    from PySide6.QtCore import QLibraryInfo, QTranslator

    from engine.models.catalog import load_catalog

    from desktop import languages as i18n

    languages = {}
    for code in ("en", "zh_CN"):
        languages[code] = QTranslator().load(str(i18n.CATALOGUES / f"hearth_{code}.qm"))
    languages["qtbase_zh_CN"] = QTranslator().load(
        "qtbase_zh_CN", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    report["translations"] = languages
    missing = [name for name, ok in languages.items() if not ok]
    if missing:
        raise RuntimeError(f"translations missing: {', '.join(missing)}")
    report["catalog_entries"] = len(load_catalog().entries)


def _generate(report: dict[str, Any], home: Any, model: str, n_tokens: int) -> None:
    from engine import Sampling
    from engine.runtime.client import Done

    started = time.monotonic()
    with home.runtime() as runtime:
        info = runtime.load(model, n_ctx=512)
        report["load_s"] = round(time.monotonic() - started, 3)
        report["model_load_s"] = round(info.load_seconds, 3)
        report["backend"] = info.backend
        report["worker_pid"] = runtime.worker_pid
        pieces: list[str] = []
        stats: dict[str, Any] = {}
        gen_start = time.monotonic()
        for event in runtime.generate("The three primary colours are red,",
                                      Sampling(temperature=0.0, seed=1, max_tokens=n_tokens)):
            if isinstance(event, Done):
                stats = event.stats
            else:
                pieces.append(event)
        report["generate_s"] = round(time.monotonic() - gen_start, 3)
    report["text"] = "".join(pieces)
    report["tokens"] = int(stats.get("completion_tokens") or len(pieces))
    report["tokens_per_s"] = round(float(stats.get("tokens_per_s") or 0.0), 1)
    report["finish_reason"] = stats.get("finish_reason", "")
    if report["tokens"] <= 0:
        raise RuntimeError("the model generated no tokens")


def run_self_test(model: str | None = None, *, tokens: int = 8, timeout_s: float = 60.0) -> int:
    report: dict[str, Any] = {"ok": False, "frozen": bool(getattr(sys, "frozen", False)),
                              "python": sys.version.split()[0], "platform": sys.platform}
    tmp = None
    if not os.environ.get("HEARTH_HOME"):
        tmp = tempfile.TemporaryDirectory(prefix="hearth-self-test-", ignore_cleanup_errors=True)
        os.environ["HEARTH_HOME"] = tmp.name
    try:
        from engine import open_home

        home = open_home()   # the window, the store and the runtime below all come from this home
        report["home"] = str(home.root)
        home.store().close()
        report["database"] = home.paths.database.is_file()
        _window(report, home.paths, timeout_s)
        model = model or _default_model()
        if not model:
            raise RuntimeError("no model: pass --model PATH (no starter model is installed)")
        report["model"] = str(model)
        _generate(report, home, str(model), tokens)
        report["ok"] = True
    except BaseException as exc:  # noqa: BLE001 - the report names any failure
        report["error"] = f"{type(exc).__name__}: {exc}"
        if sys.stderr is not None:  # None in a windowed (console-less) Windows app
            traceback.print_exc(file=sys.stderr)
    report["total_s"] = round(_since_process_start(), 3)
    text = json_text(report)   # a model path or an error may hold control characters
    if sys.stdout is not None:
        print(text, flush=True)
    if os.environ.get("HEARTH_SELF_TEST_JSON"):  # a copy, for apps with no console
        Path(os.environ["HEARTH_SELF_TEST_JSON"]).write_text(text + "\n", encoding="utf-8")
    if tmp is not None:
        os.environ.pop("HEARTH_HOME", None)
        tmp.cleanup()
    return 0 if report["ok"] else 1
