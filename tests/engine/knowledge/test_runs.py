"""The run queue's policy without Qt: real SQLite, real files, real MiniLM through llama.cpp.

Resume at start after a quit in the middle, pause then resume, cancel (of a
run and of a collection that only waits), one more run when asked again
during a run, a file that fails and is retried, a run that raises. Pause,
cancel and the second request are made from the progress callback, between
batches, so every test is deterministic.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Callable, Iterator

import pytest

from engine import errors
from engine.knowledge.base import KnowledgeBase
from engine.knowledge.indexer import IndexProgress
from engine.knowledge.runs import RunQueue
from engine.runtime.client import Runtime
from engine.store import Store
from tests.docs_factory import make_docx

FILES = 40   # five batches of eight: a pause after the first leaves most of them queued


@pytest.fixture()
def open_kb(hearth_home: Path, embed_runtime: Runtime, minilm_path: Path) -> Iterator[Callable[[], KnowledgeBase]]:
    """Opens a knowledge base on the test's database (each call: a new connection, as a new app start)."""
    opened: list[KnowledgeBase] = []

    def open_() -> KnowledgeBase:
        kb = KnowledgeBase(Store(hearth_home / "hearth.db"), embed_runtime, embedder=minilm_path)
        opened.append(kb)
        return kb
    yield open_
    for kb in opened:
        kb.close()
        kb.store.close()


@pytest.fixture()
def kb(open_kb: Callable[[], KnowledgeBase]) -> KnowledgeBase:
    return open_kb()


def notes(folder: Path, count: int = FILES) -> Path:
    folder.mkdir(parents=True)
    for i in range(count):
        (folder / f"note{i:03}.txt").write_text(f"Note {i}: the code word is {i * 7919 % 1000}.\n")
    return folder


def collection(kb: KnowledgeBase, name: str, folder: Path) -> None:
    kb.create(name)
    kb.add(name, [folder])


def jobs_and_state(kb: KnowledgeBase, name: str) -> tuple[int, str]:
    coll = kb.collection(name)
    return kb.conn.execute("SELECT count(*) FROM kb_jobs WHERE collection_id = ?", (coll.id,)).fetchone()[0], coll.state


def runs_with(kb: KnowledgeBase, after_first_batch: Callable[[RunQueue], None] | None = None,
              **callbacks: Callable) -> tuple[RunQueue, list[IndexProgress]]:
    """A queue reporting every progress; ``after_first_batch`` runs once, when a run has done some files."""
    seen: list[IndexProgress] = []
    pending = [after_first_batch] if after_first_batch else []

    def progress(p: IndexProgress) -> None:
        seen.append(p)
        if pending and p.state == "indexing" and p.done > 0:
            pending.pop()(runs)
    runs = RunQueue(kb, on_progress=progress, progress_interval=0, **callbacks)
    return runs, seen


def states(seen: list[IndexProgress], name: str) -> list[str]:
    return [p.state for p in seen if p.collection == name and p.state != "indexing"]


def test_a_run_stopped_by_quitting_resumes_at_the_next_start(open_kb, tmp_path: Path) -> None:
    first = open_kb()
    collection(first, "Notes", notes(tmp_path / "notes"))
    runs, seen = runs_with(first, lambda r: r.interrupt())  # the app quits in the middle
    runs.request("Notes")
    runs.until_idle()
    runs.close()
    jobs, state = jobs_and_state(first, "Notes")
    assert state == "indexing" and 0 < jobs < FILES

    again = open_kb()  # the app starts again; nobody asks for anything
    runs, seen = runs_with(again)
    assert runs.resume_interrupted() == ["Notes"]
    runs.until_idle()
    assert states(seen, "Notes") == ["done"]
    assert jobs_and_state(again, "Notes") == (0, "idle")
    status = again.status("Notes")
    assert status.files["indexed"] == FILES and status.chunks == FILES  # nothing written twice
    assert runs_with(again)[0].resume_interrupted() == []


def test_pause_holds_across_a_restart_and_resume_finishes(open_kb, kb: KnowledgeBase, tmp_path: Path) -> None:
    collection(kb, "Notes", notes(tmp_path / "notes"))
    runs, seen = runs_with(kb, lambda r: r.pause("Notes"))
    runs.request("Notes")
    runs.until_idle()
    assert states(seen, "Notes") == ["paused"]
    jobs, state = jobs_and_state(kb, "Notes")
    assert state == "paused" and 0 < jobs < FILES
    runs.close()   # quitting keeps the user's pause
    assert jobs_and_state(kb, "Notes") == (jobs, "paused")
    assert RunQueue(open_kb()).resume_interrupted() == []

    runs, seen = runs_with(kb)
    runs.request("Notes")  # Resume
    runs.until_idle()
    assert states(seen, "Notes") == ["done"] and seen[-1].total == jobs
    assert jobs_and_state(kb, "Notes") == (0, "idle")
    assert kb.status("Notes").chunks == FILES


def test_one_run_at_a_time_and_cancel_stops_the_running_and_the_waiting(kb: KnowledgeBase, tmp_path: Path) -> None:
    collection(kb, "Big", notes(tmp_path / "big"))
    collection(kb, "Small", notes(tmp_path / "small", 3))
    collection(kb, "Later", notes(tmp_path / "later", 3))

    def cancel_both(r: RunQueue) -> None:
        assert r.running() == "Big" and r.queued() == ["Small", "Later"]
        r.cancel("Big")
        r.cancel("Later")
    runs, seen = runs_with(kb, cancel_both)
    for name in ("Big", "Small", "Later"):
        runs.request(name)
    assert [p.state for p in seen] == ["queued", "queued"]  # Small and Later wait their turn
    runs.until_idle()
    assert states(seen, "Big") == ["cancelled"] and states(seen, "Later") == ["queued", "cancelled"]
    assert states(seen, "Small") == ["queued", "done"]
    assert jobs_and_state(kb, "Big") == (0, "idle") and 0 < kb.status("Big").files["indexed"] < FILES
    assert jobs_and_state(kb, "Later") == (0, "idle") and kb.status("Later").files["indexed"] == 0
    assert kb.status("Small").files["indexed"] == 3

    runs.request("Big")  # "Index now" picks up the files never reached
    runs.until_idle()
    assert kb.status("Big").files["indexed"] == FILES and jobs_and_state(kb, "Big") == (0, "idle")


def test_asking_again_during_a_run_makes_exactly_one_more_run(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = notes(tmp_path / "notes")
    collection(kb, "Notes", folder)
    scans = 0
    scan = kb.scan

    def counting_scan(name: str):  # type: ignore[no-untyped-def]
        nonlocal scans
        scans += 1
        return scan(name)
    kb.scan = counting_scan  # type: ignore[method-assign]

    def ask_again(r: RunQueue) -> None:
        (folder / "late.txt").write_text("A late note about the harbour tides.\n")
        for _ in range(3):
            r.request("Notes")
            r.request("Notes", quiet=True)
    changes: list[None] = []
    runs, seen = runs_with(kb, ask_again, on_change=lambda: changes.append(None))
    runs.request("Notes")
    runs.until_idle()
    assert scans == 2 and states(seen, "Notes") == ["done", "done"]
    assert [p.total for p in seen if p.state == "done"] == [FILES, 1]
    assert kb.status("Notes").files["indexed"] == FILES + 1 and changes

    runs.request("Notes", quiet=True)  # a check that finds nothing new: no run, nothing said
    runs.until_idle()
    assert scans == 3 and states(seen, "Notes") == ["done", "done"]


def test_a_failing_file_is_recorded_and_retry_runs_it_again(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = notes(tmp_path / "docs", 3)
    (folder / "broken.docx").write_bytes(os.urandom(4096))
    collection(kb, "Docs", folder)
    runs, seen = runs_with(kb)
    runs.request("Docs")
    runs.until_idle()
    status = kb.status("Docs")
    assert (status.files["indexed"], status.files["failed"]) == (3, 1) and seen[-1].failed == 1
    assert [(p.path, p.status) for p in status.problems] == [(str(folder / "broken.docx"), "failed")]
    assert "damaged" in status.problems[0].reason

    make_docx(folder / "broken.docx", [("Heading1", "Sailing"), (None, "Reef the mainsail when the wind rises.")])
    assert runs.retry_failed("Docs") == 1
    runs.until_idle()
    assert states(seen, "Docs") == ["done", "done"] and seen[-1].total == 1
    status = kb.status("Docs")
    assert (status.files["indexed"], status.files["failed"], status.problems) == (4, 0, [])
    assert kb.search(["Docs"], "reef the mainsail", k=1)[0].path.endswith("broken.docx")


def test_a_run_that_raises_stops_paused_and_is_not_retried_at_start(
        hearth_home: Path, embed_runtime: Runtime, tmp_path: Path) -> None:
    with Store(hearth_home / "hearth.db") as store:
        kb = KnowledgeBase(store, embed_runtime, embedder=tmp_path / "missing.gguf")
        collection(kb, "Notes", notes(tmp_path / "notes", 2))
        failures: list[Exception] = []
        runs, seen = runs_with(kb, on_error=failures.append)
        runs.request("Notes")
        runs.request("Notes", quiet=True)
        runs.until_idle()
        assert len(failures) == 1 and isinstance(failures[0], errors.HearthError)
        assert states(seen, "Notes") == ["paused"] and kb.collection("Notes").state == "paused"
        runs.close()
        assert runs.resume_interrupted() == [] and kb.collection("Notes").state == "paused"
        kb.close()
    with sqlite3.connect(hearth_home / "hearth.db") as conn:
        assert conn.execute("SELECT count(*) FROM kb_jobs").fetchone()[0] == 2
