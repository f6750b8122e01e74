"""`hearth` follows the system language for its errors where a translation exists (issue 18).

Run as a user runs it: a subprocess with LANG set (no display, no QT_QPA_PLATFORM: the terminal
needs none), on real error paths. In a Chinese locale the error and its hint are Chinese and name
the file; in C.UTF-8 they are the engine's English; a language chosen in Settings wins over the
system's; --help stays English.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from desktop.prefs import Prefs
from engine import paths

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u9fff]")


def hearth(*args: str, lang: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE", "QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    env["LANG"] = lang
    return subprocess.run([sys.executable, "-m", "desktop.cli.main", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


def test_a_file_that_is_not_a_model_is_refused_in_chinese(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello there\n", encoding="utf-8")
    done = hearth("chat", "--model", str(notes), "hi", lang="zh_CN.UTF-8")
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("hearth: notes.txt 不是 GGUF 模型文件。\n"), done.stderr
    assert "请选择一个 .gguf 模型文件。你的文件没有被改动。" in done.stderr
    assert not re.search(r"\b(?:not|GGUF model file|Choose)\b", done.stderr.replace("GGUF 模型", "")), done.stderr
    assert "Traceback" not in done.stderr

    english = hearth("chat", "--model", str(notes), "hi", lang="C.UTF-8")
    assert english.returncode == 1
    assert english.stderr == (f"hearth: {notes}: this is not a GGUF model file\n"
                              "Choose a .gguf model file. Your file was not changed.\n"), english.stderr


def test_a_missing_model_is_named_in_chinese(tmp_path: Path) -> None:
    gone = tmp_path / "gone.gguf"
    done = hearth("chat", "--model", str(gone), "hi", lang="zh_CN.UTF-8")
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith(f"hearth: 没有 {gone} 这个文件，也没有叫这个名字的已安装模型。\n"), done.stderr
    assert "hearth models list" in done.stderr.splitlines()[1]
    assert CJK.search(done.stderr.splitlines()[1]), done.stderr


def test_the_language_chosen_in_settings_wins(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n", encoding="utf-8")
    prefs = Prefs(paths())
    prefs.language = "en"
    prefs.sync()
    assert "this is not a GGUF model file" in hearth("chat", "--model", str(notes), "x", lang="zh_CN.UTF-8").stderr
    prefs.language = "zh_CN"
    prefs.sync()
    assert "不是 GGUF 模型文件" in hearth("chat", "--model", str(notes), "x", lang="C.UTF-8").stderr


def test_help_stays_english_in_a_chinese_locale() -> None:
    done = hearth("chat", "--help", lang="zh_CN.UTF-8")
    assert done.returncode == 0 and done.stdout.startswith("usage: hearth chat") and not CJK.search(done.stdout)


def test_an_error_printed_in_process_leaves_no_application_behind() -> None:
    """The terminal's translation needs a QCoreApplication; called in-process (a test, a script) it must not
    stay, or the window made next aborts ("Must construct a QApplication before a QWidget")."""
    code = ("from engine import errors\nfrom desktop.cli.language import error_text\n"
            "print(error_text(errors.ModelNotFound('x: no such model file', path='/x', reason='missing')))\n"
            "from PySide6.QtWidgets import QApplication, QWidget\n"
            "app = QApplication([]); w = QWidget(); print('window made')\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "LANG": "zh_CN.UTF-8"})
    assert done.returncode == 0, done.stderr
    assert "没有模型文件" in done.stdout and done.stdout.rstrip().endswith("window made")
