"""``hearth --help`` and every subcommand's help read exactly as before the tree was regrouped.

``tests/data/cli_help.txt`` is the help of the build before the restructuring (commit a84dd73), made
with ``COLUMNS=80`` by running, from the repository root::

    for c in "" chat history "history list" … screenshot; do
        echo "=== $c"; python -m desktop.cli.main $c --help 2>&1; done

The parser is built in-process (fast); one real ``python -m desktop.cli.main`` run checks that the
in-process text is the text the command prints.
"""
from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.cli.main import _build_parser

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "tests" / "data" / "cli_help.txt"
COMMANDS = ["", "chat", "history", "history list", "history show", "history search", "history export", "kb",
            "kb create", "kb add", "kb index", "kb status", "kb list", "kb rm", "kb search", "kb embedder",
            "kb embedders", "ask", "models",
            "models search", "models files", "models fit", "models pull", "models list", "models rm",
            "models import", "prompt", "bench", "bench engine", "bench kb", "bench gui", "bench kb-quality",
            "bench templates", "screenshot", "serve", "backends",
            "backends add", "backends list", "backends test", "backends rm", "bench api", "bench remote"]


def _help(command: str) -> str:
    """What ``hearth COMMAND --help`` prints, from the parser built in this process."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out), pytest.raises(SystemExit) as exit_:
        _build_parser().parse_args([*command.split(), "--help"])
    assert exit_.value.code == 0, command
    return out.getvalue()


def _sections(text: str) -> dict[str, str]:
    """``=== command`` header → the help that follows it."""
    sections: dict[str, str] = {}
    for part in text.split("=== ")[1:]:
        command, _, body = part.partition("\n")
        sections[command] = body
    return sections


def test_every_help_is_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")   # argparse wraps to the terminal's width
    monkeypatch.delenv("LINES", raising=False)
    baseline = BASELINE.read_text(encoding="utf-8")
    assert list(_sections(baseline)) == COMMANDS
    now = "".join(f"=== {command}\n{_help(command)}" for command in COMMANDS)
    for command, before in _sections(baseline).items():
        assert _sections(now)[command] == before, f"`hearth {command} --help` changed"
    assert now == baseline


def test_the_real_command_prints_the_same_help() -> None:
    env = {**os.environ, "COLUMNS": "80", "PYTHONPATH": str(ROOT)}
    for command in ("", "history export", "kb search"):
        run = subprocess.run([sys.executable, "-m", "desktop.cli.main", *command.split(), "--help"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        assert run.stdout + run.stderr == _sections(BASELINE.read_text(encoding="utf-8"))[command], command
