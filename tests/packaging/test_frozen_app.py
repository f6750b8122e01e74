"""The PyInstaller one-folder app (packaging/hearth.spec) starts and works without Python.

``test_self_test_*`` run ``hearth --self-test`` in this interpreter (fast). The ``frozen``
test builds ``dist/Hearth`` with ``packaging/build.sh`` (reusing a build newer than the
sources) and runs the frozen executable's self-test offscreen; it is skipped when
PyInstaller is not installed (``pip install -e '.[package]'``).
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dist" / "Hearth" / ("hearth.exe" if sys.platform == "win32" else "hearth")
SOURCES = [ROOT / "engine", ROOT / "desktop", ROOT / "packaging" / "hearth.spec",
           ROOT / "packaging" / "hearth_entry.py", ROOT / "packaging" / "hooks", ROOT / "models",
           ROOT / "pyproject.toml"]


def _report(stdout: str) -> dict:
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    assert lines, f"no JSON report in: {stdout!r}"
    return json.loads(lines[-1])


def _check(report: dict, *, frozen: bool) -> None:
    assert report["ok"] is True, report
    assert report["frozen"] is frozen
    assert report["database"] is True
    assert report["qt_platform"] == "offscreen"
    assert report["first_paint_s"] > 0
    if frozen:  # counted from the process's start: a fresh process only (in the venv, pytest started it)
        assert report["first_paint_s"] < 60
    assert report["load_s"] > 0
    assert all(report["translations"].values()) and report["catalog_entries"] > 0
    assert report["tokens"] > 0 and report["text"]
    assert report["worker_pid"] and report["worker_pid"] != os.getpid()


def test_self_test_in_venv(smollm2_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from desktop.cli.main import main
    assert main(["--self-test", "--model", str(smollm2_path)]) == 0
    _check(_report(capsys.readouterr().out), frozen=False)


def test_self_test_reports_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from desktop.cli.self_test import run_self_test
    assert run_self_test(str(tmp_path / "missing.gguf")) == 1
    report = _report(capsys.readouterr().out)
    assert report["ok"] is False and report["error"]


def _newest_source() -> float:
    newest = 0.0
    for src in SOURCES:
        files = [src] if src.is_file() else [p for p in src.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        newest = max([newest, *(p.stat().st_mtime for p in files)])
    return newest


@pytest.mark.frozen
@pytest.mark.timeout(1800)
@pytest.mark.skipif(importlib.util.find_spec("PyInstaller") is None,
                    reason="PyInstaller is not installed (pip install -e '.[package]')")
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="packaging/build.sh builds the Linux app")
def test_frozen_app_self_test(smollm2_path: Path, tmp_path: Path) -> None:
    if not APP.exists() or APP.stat().st_mtime < _newest_source():
        env = {**os.environ, "HEARTH_SKIP_DESKTOP_PACKAGE": "1", "HEARTH_PYTHON": sys.executable}
        subprocess.run(["bash", str(ROOT / "packaging" / "build.sh")], cwd=ROOT, env=env, check=True,
                       timeout=1500)
    assert APP.exists()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HEARTH_HOME": str(tmp_path / "frozen-home")}
    env.pop("PYTHONPATH", None)
    done = subprocess.run([str(APP), "--self-test", "--model", str(smollm2_path)], env=env,
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    report = _report(done.stdout)
    _check(report, frozen=True)
    assert (tmp_path / "frozen-home" / "hearth.db").is_file()
    assert (tmp_path / "frozen-home" / "logs" / "llama.log").is_file()
