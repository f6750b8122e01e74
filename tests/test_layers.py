"""The shape of the code: layers that read in one direction, an engine without Qt, small files.

The layers are import-linter contracts in ``pyproject.toml`` (``[tool.importlinter]``):
desktop → engine, never back; inside engine, home/bench → chat → knowledge →
hub/runtime → models → store → the leaves; the llama.cpp worker imports no
database code; engine never imports PySide6; desktop never imports llama_cpp or
huggingface_hub itself.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 500


def _lint_imports() -> str:
    """The venv's ``lint-imports`` (installed with the ``test`` extra), next to this Python."""
    folder = Path(sys.executable).parent
    for name in ("lint-imports", "lint-imports.exe"):
        if (folder / name).is_file():
            return str(folder / name)
    found = shutil.which("lint-imports")
    if found is None:
        pytest.fail("lint-imports is missing: install the test extra (pip install -e '.[test]')")
    return found


def test_import_contracts_are_kept() -> None:
    out = subprocess.run([_lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


_IMPORT_ALL = """
import pkgutil, sys, traceback
import engine
failed = []
for module in pkgutil.walk_packages(engine.__path__, "engine.", onerror=failed.append):
    try:
        __import__(module.name)
    except BaseException:
        failed.append(module.name + ": " + traceback.format_exc(limit=1))
print("FAILED", failed)
print("QT", sorted(m for m in sys.modules if m == "PySide6" or m.startswith("PySide6.")))
"""


def test_every_engine_module_imports_without_qt() -> None:
    """A fresh interpreter imports every module under engine/; no PySide6 module may come along."""
    out = subprocess.run([sys.executable, "-c", _IMPORT_ALL], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines() if line.startswith(("FAILED ", "QT ")))
    assert lines["FAILED"] == "[]", lines["FAILED"]
    assert lines["QT"] == "[]", f"engine imported Qt: {lines['QT']}"


def test_no_module_is_too_long() -> None:
    too_long = {}
    for package in ("engine", "desktop"):
        for path in sorted((ROOT / package).rglob("*.py")):
            count = len(path.read_text(encoding="utf-8").splitlines())
            if count > MAX_LINES:
                too_long[str(path.relative_to(ROOT))] = count
    assert not too_long, f"split these along a natural seam (at most {MAX_LINES} lines each): {too_long}"
