"""Hostile text never reaches the terminal raw, and Ctrl+C stops a command with one line.

File, folder and collection names, Hub repository ids, document text and conversation titles can
hold ESC sequences (``ESC]0;…BEL`` retitles the terminal, ``ESC[2J`` clears it), C1 controls, a
carriage return or newline that forges a line, and U+202E (right-to-left override) that reverses
what follows. The real ``hearth`` command runs as a subprocess (real MiniLM embedder, the local
Hub-like server); its output must hold none of those characters, only their escapes (``\\x1b``,
``\\u202e``), and ``--json`` output must stay valid JSON that gives the names back exactly.
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

from desktop.cli.terminal import json_text, visible
from engine.store import Store
from tests.hub_server import FakeHub, hub  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
TITLE = "\x1b]0;pwned\x07"          # sets the terminal's title
CLEAR = "\x1b[2J"                   # clears the screen
RLO = "\u202e"                      # right-to-left override
CSI8 = "\x9b"                       # C1 control: 8-bit CSI
UNSAFE = {"\u061c", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff",
          *(chr(c) for c in range(0x202a, 0x202f)), *(chr(c) for c in range(0x2066, 0x206a))}


def hearth(*args: str | bytes, timeout: float = 300) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "desktop.cli.main", *args], cwd=ROOT, capture_output=True,
                          timeout=timeout, env=os.environ.copy())


def shown(raw: bytes, *, allow: str = "\n\t") -> str:
    """``raw`` decoded; fails if it holds a control (other than ``allow``), C1, bidi or invisible character."""
    text = raw.decode("utf-8")   # strict: a lone surrogate written as bytes would fail here too
    bad = sorted({f"U+{ord(c):04X}" for c in text
                  if c in UNSAFE or (unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") and c not in allow)})
    assert not bad, f"raw {bad} reached the terminal:\n{text}"
    return text


def test_escapes_and_json_round_trip() -> None:
    name = f"a{TITLE}b{RLO}c\n\td{CSI8}\udcff\u2028文"
    assert visible(name) == "a\\x1b]0;pwned\\x07b\\u202ec\\x0a\\x09d\\x9b\\udcff\\u2028文"
    assert visible(name, newlines=True) == "a\\x1b]0;pwned\\x07b\\u202ec\n\td\\x9b\\udcff\\u2028文"
    text = json_text({"name": name})
    shown(text.encode("utf-8"))
    assert json.loads(text) == {"name": name} and "文" in text


def test_kb_add_status_search_and_list_escape_names_and_text(tmp_path: Path, minilm_path: Path,
                                                             hearth_home: Path) -> None:
    docs = tmp_path / f"docs{TITLE}{RLO}"
    docs.mkdir()
    note = docs / f"note{CLEAR}{RLO}\r\n{CSI8}dm.txt"
    note.write_text(f"The Zephyr kettle boils one litre of water in 97 seconds. \x1b[31mred{CLEAR} {RLO}evil\n",
                    encoding="utf-8")
    outside = tmp_path / f"outside{CLEAR}.txt"
    outside.write_text("not in the folder", encoding="utf-8")
    (docs / f"link{TITLE}.txt").symlink_to(outside)                   # skipped: leads out of the folder
    os.mkfifo(docs / f"pipe{CLEAR}")                                   # skipped: a special file
    Path(os.fsdecode(os.fsencode(docs) + b"/bad\xff" + CLEAR.encode() + b".txt")).write_bytes(b"undecodable")
    coll = f"Notes{TITLE}{RLO}"

    added = hearth("kb", "add", coll, str(docs), "--embedder", str(minilm_path))
    assert added.returncode == 0, added.stderr
    out, err = shown(added.stdout), shown(added.stderr, allow="\n\t\r")   # \r: its own progress line
    assert f"Added {visible(str(docs))}" in out and "docs\\x1b]0;pwned\\x07\\u202e" in out
    assert "1 files indexed" in out and "3 skipped" in out, out
    assert "pipe\\x1b[2J" in out and "link\\x1b]0;pwned\\x07.txt" in out and "outside\\x1b[2J.txt" in out
    assert "bad\\xff\\x1b[2J.txt" in out, out
    assert "Traceback" not in err

    with sqlite3.connect(hearth_home / "hearth.db") as conn:   # as the indexer stores a file cut at its limit
        conn.execute("UPDATE kb_files SET reason = 'indexed the first 4,000,000 characters (limit)' "
                     "WHERE status = 'indexed'")
    status = hearth("kb", "status", coll)
    out = shown(status.stdout)
    assert status.returncode == 0 and shown(status.stderr) == "", status.stderr
    assert "(1 only in part)" in out, out
    assert f"indexed in part: {visible(str(note))} — indexed the first 4,000,000 characters (limit)" in out
    assert out.count("  skipped: ") == 3, out
    assert "Notes\\x1b]0;pwned\\x07\\u202e" in out

    as_json = hearth("kb", "status", coll, "--json")
    data = json.loads(shown(as_json.stdout))
    assert data["name"] == coll and data["sources"] == [str(docs)]
    assert {p["status"] for p in data["problems"]} == {"indexed", "skipped"}

    found = hearth("kb", "search", coll, "How long does the kettle take?", "--embedder", str(minilm_path))
    out = shown(found.stdout)
    assert found.returncode == 0, found.stderr
    assert visible(str(note)) in out and "\\x1b[31mred\\x1b[2J \\u202eevil" in out, out
    hits = json.loads(shown(hearth("kb", "search", coll, "kettle", "--json", "--embedder",
                                   str(minilm_path)).stdout))
    assert hits and hits[0]["path"] == str(note) and "\x1b[31m" in hits[0]["text"]

    listed = hearth("kb", "list")
    assert listed.returncode == 0 and "Notes\\x1b]0;pwned\\x07\\u202e: 1 files" in shown(listed.stdout)


def test_a_folder_whose_name_is_not_utf8_is_refused(tmp_path: Path, minilm_path: Path) -> None:
    folder = Path(os.fsdecode(os.fsencode(tmp_path) + b"/papers\xff" + CLEAR.encode()))
    folder.mkdir()
    (folder / "a.txt").write_text("text", encoding="utf-8")
    added = hearth("kb", "add", "Papers", os.fsencode(folder), "--embedder", str(minilm_path))
    err = shown(added.stderr)
    assert added.returncode == 1 and "Traceback" not in err, err
    assert "papers\\udcff\\x1b[2J has a name that is not valid UTF-8" in err and "Rename the folder" in err
    status = hearth("kb", "status", "Papers")
    assert "0 files indexed" in shown(status.stdout) and "papers" not in status.stdout.decode()


def test_errors_naming_hostile_text_are_escaped() -> None:
    missing = hearth("kb", "status", f"nope{TITLE}{RLO}")
    assert missing.returncode == 1
    assert "There is no collection named “nope\\x1b]0;pwned\\x07\\u202e”" in shown(missing.stderr)


def test_models_search_escapes_repo_ids_and_counts_skipped_items(hub: FakeHub) -> None:  # noqa: F811
    evil = f"evil/{TITLE}{RLO}{CSI8}-GGUF"
    hub.hostile("/api/models", "raw", body=json.dumps([
        {"id": evil, "downloads": 7, "likes": 1, "tags": ["gguf"]},
        {"downloads": 3},                                  # no id: left out and counted
    ]))
    found = hearth("models", "search", "gguf", timeout=120)
    out = shown(found.stdout)
    assert found.returncode == 0, found.stderr
    assert "evil/\\x1b]0;pwned\\x07\\u202e\\x9b-GGUF" in out, out
    assert "1 result could not be read and was skipped." in out, out


def test_ctrl_c_during_models_search_stops_with_one_line(hub: FakeHub) -> None:  # noqa: F811
    hub.hostile("/api/models", "trickle", body=b"[" + b" " * 600 + b"]", rate=20)   # 30 s for the reply
    proc = subprocess.Popen([sys.executable, "-m", "desktop.cli.main", "models", "search", "anything"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        while not any(r.path == "/api/models" for r in list(hub.requests)):
            assert proc.poll() is None and time.monotonic() < deadline, "the search never reached the Hub"
            time.sleep(0.05)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = shown(err)
    assert proc.returncode == 130, (proc.returncode, text)
    assert "Traceback" not in text and text.strip() == "Stopped.", text


@pytest.fixture
def hostile_conversation(hearth_home: Path) -> int:
    with Store(hearth_home / "hearth.db") as store:
        conv = store.create_conversation(title=f"Plan{TITLE}{RLO}\nforged line", model_path=f"/m/{CLEAR}.gguf")
        user = store.add_message(conv.id, "user", f"where is the kettle {CLEAR}?", parent_id=None)
        store.add_message(conv.id, "assistant", f"in the kitchen {RLO}\x1b[8mhidden\x1b[0m\nsecond line",
                          parent_id=user.id)
        return conv.id


def test_history_list_show_search_and_export_escape_titles_and_text(hostile_conversation: int) -> None:
    title = "Plan\\x1b]0;pwned\\x07\\u202e\\x0aforged line"
    listed = hearth("history", "list")
    assert listed.returncode == 0 and title in shown(listed.stdout)
    show = shown(hearth("history", "show", str(hostile_conversation)).stdout)
    assert f"# {title}" in show and "/m/\\x1b[2J.gguf" in show
    assert "in the kitchen \\u202e\\x1b[8mhidden\\x1b[0m\nsecond line" in show   # message text keeps its lines
    found = shown(hearth("history", "search", "kettle").stdout)
    assert title in found and "\\x1b[2J" in found, found
    md = shown(hearth("history", "export", str(hostile_conversation)).stdout)
    assert f"# {title}" in md
    data = json.loads(shown(hearth("history", "export", str(hostile_conversation), "--format", "json").stdout))
    assert data["conversation"]["title"] == f"Plan{TITLE}{RLO}\nforged line"
