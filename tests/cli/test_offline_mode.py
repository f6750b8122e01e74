"""Offline mode (Settings) holds in the terminal too: `hearth models search|files|fit|pull` make no network
request and say why, in the user's language; with offline mode off, the same command reaches the Hub."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.prefs import Prefs
from engine import paths

ROOT = Path(__file__).resolve().parents[2]


def hearth(*args: str, endpoint: str, lang: str = "C.UTF-8") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    env.update(LANG=lang, HF_ENDPOINT=endpoint)
    return subprocess.run([sys.executable, "-m", "desktop.cli.main", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


@pytest.fixture
def listener() -> socket.socket:
    """A loopback port that records whether anything connected (it never answers)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def connected(sock: socket.socket) -> bool:
    try:
        conn, _ = sock.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


@pytest.mark.parametrize("args", [("search", "qwen"), ("files", "owner/repo"), ("fit", "owner/repo", "m.gguf"),
                                  ("pull", "owner/repo", "m.gguf")])
def test_offline_mode_refuses_hub_commands_without_a_request(listener: socket.socket, args: tuple[str, ...]) -> None:
    prefs = Prefs(paths())
    prefs.offline = True
    prefs.sync()
    endpoint = f"http://127.0.0.1:{listener.getsockname()[1]}"
    done = hearth("models", *args, endpoint=endpoint)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"Offline mode is on, so Hearth makes no network request: `hearth models {args[0]}`" in done.stderr
    assert "File → Settings" in done.stderr
    assert not connected(listener)
    chinese = hearth("models", *args, endpoint=endpoint, lang="zh_CN.UTF-8")
    assert chinese.returncode == 1 and "离线模式" in chinese.stderr and "Offline mode" not in chinese.stderr
    assert not connected(listener)


def test_with_offline_mode_off_the_same_command_reaches_the_hub(listener: socket.socket) -> None:
    endpoint = f"http://127.0.0.1:{listener.getsockname()[1]}"
    proc = subprocess.Popen([sys.executable, "-m", "desktop.cli.main", "models", "search", "qwen"], cwd=ROOT,
                            env={**os.environ, "HF_ENDPOINT": endpoint}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        listener.setblocking(True)
        listener.settimeout(60)
        conn, _ = listener.accept()   # the request came (it gets no answer)
        conn.close()
    finally:
        proc.kill()
        proc.wait()
