"""Hostile knowledge folders: links out, special files, bad names, amplification, slow parses, odd text.

Every test builds its folder here, indexes it with the real MiniLM embedder
(or parses it through the real ``ParsePool`` when no embedding is needed),
and checks the class of problem, not one example: the reason in the
collection's status, bounded time and worker memory (workers run under a
512 MB limit), no text from outside the chosen folder in ``kb_chunks`` (a
canary file lies next to the folder, and every folder links to it), and the
valid file in the same folder indexed. Each test prints its worst time and
the parse workers' peak memory (``-s`` shows them).
"""
from __future__ import annotations

import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from engine.knowledge.base import KnowledgeBase
from engine.knowledge.chunking import estimate_tokens
from engine.knowledge.parsing import ParsePool
from engine.runtime.client import Runtime
from engine.store import Store
from tests import docs_factory

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="symlinks, FIFOs and /proc")
pytestmark = linux_only

CANARY = "CANARY-7f3a9c-never-indexed"
VALID = "Tomatoes need six hours of sun and deep watering twice a week."
WORKER_MEMORY = 512 << 20


@pytest.fixture()
def kb(hearth_home: Path, embed_runtime: Runtime, minilm_path: Path) -> Iterator[KnowledgeBase]:
    store = Store(hearth_home / "hearth.db")
    base = KnowledgeBase(store, embed_runtime, embedder=minilm_path)
    base.embedder()  # the embedding worker exists before any measurement starts
    yield base
    store.close()


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """docs/ with one valid file and a link to a canary file outside it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"{CANARY} the password is hunter2\n")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "valid.md").write_text(f"# Garden\n\n{VALID}\n")
    (docs / "escape.txt").symlink_to(outside / "secret.txt")
    return docs


class Peak:
    """Wall time and the parse workers' peak RSS (VmHWM) while a block runs."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.before = set(_children())
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> Peak:
        self.started = time.monotonic()
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            for pid in set(_children()) - self.before:
                self.peak_kb = max(self.peak_kb, _hwm_kb(pid))

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.seconds = time.monotonic() - self.started
        print(f"\n[{self.label}] {self.seconds:.1f} s, parse workers' peak memory {self.peak_kb / 1024:.0f} MB")


def _children() -> list[int]:
    pids = []
    for task in Path("/proc/self/task").iterdir():
        try:
            pids += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return pids


def _hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def index(kb: KnowledgeBase, folder: Path, label: str, **limits: float) -> tuple[str, Peak]:
    kb.create("Hostile")
    kb.add("Hostile", [folder])
    with Peak(label) as peak:
        states = [p.state for p in kb.index("Hostile", memory_limit=WORKER_MEMORY, **limits)]
    return states[-1], peak


def problems(kb: KnowledgeBase) -> dict[str, tuple[str, str]]:
    """File name → (status, reason) for every file listed in the collection's status."""
    return {Path(p.path).name: (p.status, p.reason) for p in kb.status("Hostile").problems}


def assert_clean(kb: KnowledgeBase, peak: Peak, seconds: float = 60) -> None:
    """No canary in the index, the valid file indexed (once), and the run bounded."""
    texts = " ".join(r[0] for r in kb.conn.execute("SELECT text FROM kb_chunks"))
    assert CANARY not in texts and "hunter2" not in texts
    valid = kb.conn.execute("SELECT count(*) FROM kb_chunks WHERE text LIKE ?", (f"%{VALID}%",)).fetchone()[0]
    assert valid == 1
    assert peak.seconds < seconds and peak.peak_kb < WORKER_MEMORY // 1024


# --- links out of the chosen folder ----------------------------------------------------------

def test_links_out_of_the_folder_are_listed_and_never_read(kb: KnowledgeBase, folder: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEARTH_TEST_SECRET", CANARY)  # what /proc/self/environ would give away
    (folder / "environ.txt").symlink_to("/proc/self/environ")
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    if os.geteuid() == 0:
        (folder / "shadow.txt").symlink_to("/etc/shadow")
    (folder / "elsewhere").symlink_to(folder.parent / "outside", target_is_directory=True)
    (folder / "sub").mkdir()
    (folder / "sub" / "loop").symlink_to(folder, target_is_directory=True)     # a loop, inside: not followed
    (folder / "sub" / "again.md").symlink_to(folder / "valid.md")               # inside: indexed once
    (folder / "relative.txt").symlink_to(Path("..") / "outside" / "secret.txt")
    state, peak = index(kb, folder, "links out")
    assert state == "done"
    found = problems(kb)
    for name in ("escape.txt", "environ.txt", "passwd.txt", "elsewhere", "relative.txt") + (
            ("shadow.txt",) if os.geteuid() == 0 else ()):
        assert found[name][0] == "skipped" and "outside the folder" in found[name][1], name
    assert "loop" not in found and "again.md" not in found
    texts = " ".join(r[0] for r in kb.conn.execute("SELECT text FROM kb_chunks"))
    assert "root:" not in texts
    assert kb.status("Hostile").files["indexed"] == 1
    assert_clean(kb, peak)


def test_a_file_swapped_for_a_link_or_a_fifo_after_the_scan_is_refused_at_open(kb: KnowledgeBase,
                                                                                folder: Path) -> None:
    (folder / "swap.txt").write_text("An innocent note.\n")
    (folder / "pipe.txt").write_text("Another innocent note.\n")
    kb.create("Hostile")
    kb.add("Hostile", [folder])
    kb.scan("Hostile")
    (folder / "swap.txt").unlink()
    (folder / "swap.txt").symlink_to(folder.parent / "outside" / "secret.txt")
    (folder / "pipe.txt").unlink()
    os.mkfifo(folder / "pipe.txt")                        # opening it for reading would block forever
    with Peak("swapped after the scan") as peak:
        states = [p.state for p in kb.index("Hostile", rescan=False, memory_limit=WORKER_MEMORY, time_limit=20)]
    assert states[-1] == "done"
    found = problems(kb)
    assert found["swap.txt"][0] == "failed" and "outside the folder" in found["swap.txt"][1]
    assert found["pipe.txt"][0] == "failed" and "FIFO" in found["pipe.txt"][1]
    assert_clean(kb, peak, seconds=15)


# --- special files --------------------------------------------------------------------------

def test_fifos_sockets_and_dangling_links_are_listed_with_a_reason(kb: KnowledgeBase, folder: Path) -> None:
    os.mkfifo(folder / "pipe")
    os.mkfifo(folder / "named.txt")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "sock.md"))
    (folder / "dangling.md").symlink_to(folder / "gone.md")
    (folder / "to-fifo.txt").symlink_to(folder / "named.txt")
    try:
        state, peak = index(kb, folder, "special files")
    finally:
        server.close()
    assert state == "done"
    found = problems(kb)
    assert found["pipe"] == ("skipped", "is a FIFO (named pipe)")
    assert found["named.txt"] == ("skipped", "is a FIFO (named pipe)")
    assert found["sock.md"] == ("skipped", "is a socket")
    assert found["dangling.md"][0] == "skipped" and "broken link" in found["dangling.md"][1]
    assert found["to-fifo.txt"][0] == "skipped" and "FIFO" in found["to-fifo.txt"][1]
    assert_clean(kb, peak, seconds=30)


# --- file names that are not UTF-8 ----------------------------------------------------------------

def test_an_undecodable_file_name_fails_alone_under_an_escaped_name(kb: KnowledgeBase, folder: Path) -> None:
    raw = os.fsencode(folder)
    with open(raw + b"/bad-\xff\xfe.txt", "wb") as fh:
        fh.write(b"Sunflowers turn to face the sun.\n")
    os.mkdir(raw + b"/dir-\xe9")
    with open(raw + b"/dir-\xe9/inner.md", "wb") as fh:
        fh.write(b"# Inner\n\nA file in a folder whose name is Latin-1.\n")
    state, peak = index(kb, folder, "undecodable names")
    assert state == "done"
    found = problems(kb)
    assert found["bad-\\xff\\xfe.txt"][0] == "skipped" and "not valid UTF-8" in found["bad-\\xff\\xfe.txt"][1]
    paths = [p.path for p in kb.status("Hostile").problems]
    assert any(p.endswith("dir-\\xe9/inner.md") for p in paths)
    assert kb.status("Hostile").files["indexed"] == 1
    assert_clean(kb, peak)
    kb.scan("Hostile")  # a second scan finds the same rows, and nothing new to do
    assert kb.status("Hostile").files["pending"] == 0


# --- amplification: what one file may become ---------------------------------------------------

def test_amplifying_files_are_cut_at_the_limit_and_say_so(kb: KnowledgeBase, folder: Path) -> None:
    docs_factory.make_heading_docx(folder / "headings.docx", 250_000)                   # ~90 KB
    words = "lorem ipsum dolor sit amet " * 400_000                                     # 10.8 MB, one line
    (folder / "oneline.txt").write_text(words)
    columns = 1_000_000
    (folder / "wide.csv").write_text(",".join(f"c{i}" for i in range(columns)) + "\n" + "1," * (columns - 1) + "1\n")
    state, peak = index(kb, folder, "amplification", max_chars=400_000, max_chunks=15)
    assert state == "done"
    found = problems(kb)
    for name in ("headings.docx", "oneline.txt", "wide.csv"):
        status, reason = found[name]
        assert status == "indexed" and "(limit)" in reason and "indexed the first" in reason, (name, reason)
        chunks = kb.conn.execute("SELECT count(*), max(tokens) FROM kb_chunks c JOIN kb_files f ON f.id = c.file_id "
                                 "WHERE f.path = ?", (str(folder / name),)).fetchone()
        assert 0 < chunks[0] <= 15 and chunks[1] <= 400
    assert_clean(kb, peak, seconds=90)


def test_pause_inside_one_large_file_within_a_second_and_the_next_run_goes_on(kb: KnowledgeBase,
                                                                            folder: Path) -> None:
    total = 600
    (folder / "many.md").write_text("".join(f"# Part {i}\n\nShort note number {i}.\n\n" for i in range(total)))
    kb.create("Hostile")
    kb.add("Hostile", [folder])
    many = str(folder / "many.md")
    pause = threading.Event()
    with Peak("pause inside one file") as peak:
        for progress in kb.index("Hostile", pause=pause, memory_limit=WORKER_MEMORY):
            if progress.current == many and progress.chunks > 1 and not pause.is_set():
                pause.set()
                asked = time.monotonic()
            last = progress
        paused_after = time.monotonic() - asked
    assert last.state == "paused" and paused_after < 1.0
    written = [r[0] for r in kb.conn.execute(
        "SELECT c.id FROM kb_chunks c JOIN kb_files f ON f.id = c.file_id WHERE f.path = ? ORDER BY c.ord", (many,))]
    assert 0 < len(written) < total                      # what was embedded before the pause survives
    with Peak("resume") as resumed:
        assert [p.state for p in kb.index("Hostile", memory_limit=WORKER_MEMORY)][-1] == "done"
    after = [r[0] for r in kb.conn.execute(
        "SELECT c.id FROM kb_chunks c JOIN kb_files f ON f.id = c.file_id WHERE f.path = ? ORDER BY c.ord", (many,))]
    assert len(after) == total and after[:len(written)] == written   # went on, did not start over
    assert_clean(kb, peak)
    assert resumed.seconds < 60


# --- the parse time limit ---------------------------------------------------------------------

def test_the_time_limit_holds_while_the_consumer_is_busy(tmp_path: Path) -> None:
    hanging = docs_factory.make_hanging_pdf(tmp_path / "trap.pdf")
    quick = tmp_path / "quick.txt"
    quick.write_text(VALID)
    with Peak("parse time limit") as peak, ParsePool(workers=2, time_limit=3, memory_limit=WORKER_MEMORY) as pool:
        results = pool.parse([str(hanging), str(quick)])
        first = next(results)
        assert first.path == str(quick) and first.ok
        time.sleep(8)                                  # the consumer embeds, say, for longer than the limit
        assert len(pool.worker_pids) == 1              # the trap's worker was killed meanwhile
        started = time.monotonic()
        trap = next(results)
        assert time.monotonic() - started < 1
        assert trap.error == "DocumentTimeout" and "longer than 3 s" in trap.reason
        assert trap.seconds < 6                        # killed at its deadline, not when the consumer came back
    assert peak.peak_kb < WORKER_MEMORY // 1024


# --- runs without spaces, and CJK -------------------------------------------------------------

def test_runs_without_spaces_and_cjk_are_cut_by_characters(tmp_path: Path) -> None:
    run = "x" * 800_000
    assert estimate_tokens(run) >= len(run) // 4 and estimate_tokens("<p>" + run + "</p>") >= len(run) // 4
    (tmp_path / "page.html").write_text(f"<html><body><p>{VALID}</p><p>{run}</p></body></html>")
    (tmp_path / "zh.txt").write_text("番茄每天需要六小时的日照" * 20_000)
    with Peak("runs without spaces") as peak, ParsePool(workers=2, memory_limit=WORKER_MEMORY) as pool:
        results = {Path(r.path).name: r for r in pool.parse([str(tmp_path / "page.html"), str(tmp_path / "zh.txt")])}
    for name, chars in (("page.html", len(run)), ("zh.txt", 240_000)):
        r = results[name]
        assert r.ok and len(r.chunks) > chars // 2000, name
        assert all(c.tokens <= 400 and len(c.text) <= 1700 for c in r.chunks), name
    assert results["page.html"].chunks[0].text.startswith(VALID)
    assert peak.seconds < 30 and peak.peak_kb < WORKER_MEMORY // 1024


# --- encodings, and text that is not text --------------------------------------------------------

def test_bomless_utf16_chinese_is_read_and_random_bytes_are_not_text(kb: KnowledgeBase, folder: Path) -> None:
    zh = "绿茶适合用八十度的水冲泡两分钟。红茶需要沸水，冲泡四分钟。\n"
    (folder / "tea.txt").write_bytes((zh * 30).encode("utf-16-le"))
    (folder / "noise.md").write_bytes(os.urandom(64 << 10))
    (folder / "noise.csv").write_bytes(bytes(b for b in os.urandom(64 << 10) if b))   # no NUL byte to give it away
    state, peak = index(kb, folder, "encodings")
    assert state == "done"
    found = problems(kb)
    assert "tea.txt" not in found
    assert kb.conn.execute("SELECT count(*) FROM kb_chunks WHERE text LIKE ?", ("%绿茶适合用八十度的水%",)).fetchone()[0]
    for name in ("noise.md", "noise.csv"):
        assert found[name][0] == "failed" and "not text" in found[name][1], found[name]
    assert_clean(kb, peak)
