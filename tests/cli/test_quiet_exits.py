"""Every option says what it is for, a closed pipe ends a command quietly, and Ctrl+C while a model's
worker process is starting prints no traceback.

The pipe and Ctrl+C tests run the real ``hearth`` command as a subprocess in the test's Hearth home;
Ctrl+C goes to the whole process group, as a terminal sends it, so the children get it too.
"""
from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from desktop.cli.main import _build_parser
from engine.store import Store

ROOT = Path(__file__).resolve().parents[2]
HEARTH = [sys.executable, "-m", "desktop.cli.main"]


def _options_without_help(parser: argparse.ArgumentParser, command: str = "hearth") -> list[str]:
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            missing += [f"{command} {choice.dest}" for choice in action._choices_actions if not choice.help]
            for name, sub in action.choices.items():
                missing += _options_without_help(sub, f"{command} {name}")
        elif not isinstance(action, argparse._HelpAction) and not action.help:
            missing.append(f"{command} {'/'.join(action.option_strings) or action.dest}")
    return missing


def test_every_option_and_argument_has_help() -> None:
    assert _options_without_help(_build_parser()) == []


def _into_a_closed_pipe(*args: str) -> subprocess.CompletedProcess[bytes]:
    """Run ``hearth ARGS`` with its output going into a pipe that nobody reads any more."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.Popen([*HEARTH, *args], cwd=ROOT, stdout=write_end, stderr=subprocess.PIPE,
                                env=os.environ.copy())
    finally:
        os.close(write_end)
    _, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, b"", err)


def _many_conversations(home: Path) -> None:
    """200 conversations with long titles: `history list` writes far more than a pipe holds."""
    with Store(home / "hearth.db") as store:
        for n in range(200):
            store.create_conversation(title=f"Conversation {n} " + "about the kettle " * 40)


def test_a_closed_pipe_ends_list_commands_quietly(hearth_home: Path) -> None:
    _many_conversations(hearth_home)
    for command in (("history", "list"), ("models", "list"), ("history", "show", "1")):
        run = _into_a_closed_pipe(*command)
        assert run.stderr.decode() == "", f"hearth {' '.join(command)}: {run.stderr.decode()}"
        assert run.returncode == 1, command   # as Python's documentation advises for EPIPE


def test_history_list_into_head_prints_one_line(hearth_home: Path) -> None:
    _many_conversations(hearth_home)
    command = " ".join(f"'{part}'" for part in HEARTH) + " history list | head -1"
    run = subprocess.run(["bash", "-c", f"set -o pipefail; {command}"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env=os.environ.copy())
    assert run.stderr == ""
    assert len(run.stdout.splitlines()) == 1 and "Conversation 199 about the kettle" in run.stdout
    assert run.returncode == 1


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def test_ctrl_c_while_the_model_worker_starts_prints_no_traceback(hearth_home: Path) -> None:
    """The worker is a spawned Python that imports for a few hundred milliseconds: Ctrl+C then used to
    print its KeyboardInterrupt traceback (and the template renderer's) under the one line "Stopped.".
    At once (delay 0) it used to print a spawned child's "EOFError: Ran out of input" in 7 runs of 8: the
    signal reached another thread and the main thread raised between starting the child and writing its
    start-up data (engine.childproc.start_child now defers it). Delay 0 is tried three times."""
    for delay in (0.0, 0.0, 0.0, 0.1, 0.25):
        proc = subprocess.Popen([*HEARTH, "chat", "tell me a long story", "--max-tokens", "2000"], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy(),
                                start_new_session=True)   # its own process group, as a terminal's job
        try:
            deadline = time.monotonic() + 60
            while not _children(proc.pid):
                assert proc.poll() is None and time.monotonic() < deadline, "no worker process started"
                time.sleep(0.002)
            time.sleep(delay)
            os.killpg(proc.pid, signal.SIGINT)
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        text = err.decode()
        assert "Traceback" not in text and "KeyboardInterrupt" not in text, f"after {delay} s:\n{text}"
        assert proc.returncode in (0, 130), (delay, proc.returncode, text)
        if proc.returncode == 130:   # stopped before the reply began: nothing was stored
            assert text.strip() == "Stopped."
    db = hearth_home / "hearth.db"
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT count(*) FROM messages WHERE role = 'user'").fetchone()[0]
        convs = conn.execute("SELECT count(*) FROM conversations").fetchone()[0]
    assert convs == stored   # no conversation without its message
