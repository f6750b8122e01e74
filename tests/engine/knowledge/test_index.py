"""Indexing collections end to end: real files, real SQLite, real MiniLM through llama.cpp.

Incremental re-index (unchanged files are not read again, changed ones are
re-chunked, removed ones leave the index and the in-memory vectors), a
kill -9 in the middle of indexing and the resume, pause and cancel,
Chinese keyword search, and a change of embedding model re-embedding.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engine import errors
from engine.knowledge.base import KnowledgeBase
from engine.runtime.client import Runtime
from engine.sampling import CancelToken

ROOT = Path(__file__).resolve().parents[3]

DOCS = {
    "garden.md": "# Growing tomatoes\n\nTomatoes need six hours of sun and deep watering twice a week.\n\n"
                 "## Pests\n\nAphids on tomato leaves can be washed off with soapy water.\n",
    "rust.md": "# Ownership in Rust\n\nEvery value in Rust has a single owner; when the owner goes out of "
               "scope the value is dropped.\n\n```rust\nlet s = String::from(\"hi\");\n```\n",
    "tea.txt": "Green tea should be brewed at 80 degrees Celsius for two minutes.\n\n"
               "Black tea takes boiling water and four minutes.\n",
    "chinese.md": "# 茶的冲泡\n\n绿茶适合用八十度的水冲泡两分钟。红茶需要沸水，冲泡四分钟。\n\n"
                  "# 园艺\n\n番茄每天需要六小时的日照。\n",
}


def write_docs(folder: Path, docs: dict[str, str] = DOCS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def chunk_ids(kb: KnowledgeBase, path: Path) -> list[int]:
    return [r[0] for r in kb.conn.execute(
        "SELECT c.id FROM kb_chunks c JOIN kb_files f ON f.id = c.file_id WHERE f.path = ? ORDER BY c.ord",
        (str(path),))]


def run_index(kb: KnowledgeBase, name: str, **kw: object) -> str:
    states = [p.state for p in kb.index(name, **kw)]  # type: ignore[arg-type]
    return states[-1]


def test_index_search_and_status(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = write_docs(tmp_path / "docs")
    (folder / "sheet.xlsx").write_bytes(b"PK\x03\x04 not really")
    kb.create("Notes")
    kb.add("Notes", [folder])
    assert run_index(kb, "Notes") == "done"
    st = kb.status("Notes")
    assert st.files["indexed"] == 4 and st.files["skipped"] == 1 and st.files["failed"] == 0
    assert st.chunks >= 6 and st.embedded == st.chunks
    assert [p.path for p in st.problems] == [str(folder / "sheet.xlsx")]
    assert st.collection.embed_model and st.collection.embed_model.startswith("all-MiniLM-L6-v2@")

    hits = kb.search(["Notes"], "how long should I steep green tea?", k=3)
    assert Path(hits[0].path).name in ("tea.txt", "chinese.md") and hits[0].vector_score is not None
    assert hits[0].score >= hits[-1].score
    rust = kb.search(["Notes"], "what happens when the owner goes out of scope", k=1)[0]
    assert Path(rust.path).name == "rust.md" and rust.heading == "Ownership in Rust"
    lines = (folder / "rust.md").read_text().splitlines()[rust.line_start - 1:rust.line_end]
    assert "single owner" in "\n".join(lines)


def test_chinese_question_finds_chinese_document(kb: KnowledgeBase, tmp_path: Path) -> None:
    kb.create("茶")
    kb.add("茶", [write_docs(tmp_path / "docs")])
    run_index(kb, "茶")
    hits = kb.search(["茶"], "绿茶用多少度的水冲泡", k=3)
    top = hits[0]
    assert Path(top.path).name == "chinese.md" and "八十度" in top.text
    assert top.keyword_rank == 1


def test_incremental_reindex(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = write_docs(tmp_path / "docs")
    kb.create("Notes")
    kb.add("Notes", [folder])
    run_index(kb, "Notes")
    garden, tea = chunk_ids(kb, folder / "garden.md"), chunk_ids(kb, folder / "tea.txt")
    assert kb.search(["Notes"], "aphids on tomato leaves", k=1)[0].path == str(folder / "garden.md")

    unchanged = kb.scan("Notes")
    assert (unchanged.unchanged, unchanged.new, unchanged.changed, unchanged.queued) == (4, 0, 0, 0)

    (folder / "tea.txt").write_text("Oolong tea is rolled into small balls and brewed at 90 degrees.\n")
    (folder / "garden.md").unlink()
    os.utime(folder / "rust.md")  # touched, same bytes
    rust = chunk_ids(kb, folder / "rust.md")
    scan = kb.scan("Notes")
    assert (scan.changed, scan.removed, scan.queued) == (2, 1, 2)
    run_index(kb, "Notes", rescan=False)
    assert chunk_ids(kb, folder / "garden.md") == []
    assert chunk_ids(kb, folder / "rust.md") == rust            # same content: not re-chunked
    assert set(chunk_ids(kb, folder / "tea.txt")).isdisjoint(tea)  # changed: new chunks
    hits = kb.search(["Notes"], "aphids on tomato leaves", k=5)
    assert all(Path(h.path).name != "garden.md" for h in hits)
    assert not any(h.chunk_id in garden for h in hits)
    assert Path(kb.search(["Notes"], "oolong rolled into balls", k=1)[0].path).name == "tea.txt"


def test_pause_resume_and_cancel(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    write_docs(folder, {f"note{i:03}.txt": f"Note {i}: the code word is {i * 7919 % 1000}.\n" for i in range(60)})
    kb.create("Many")
    kb.add("Many", [folder])
    pause = threading.Event()
    states = []
    for progress in kb.index("Many", pause=pause):
        states.append(progress.state)
        if progress.done >= 1:
            pause.set()
    assert states[-1] == "paused" and kb.collection("Many").state == "paused"
    left = kb.conn.execute("SELECT count(*) FROM kb_jobs").fetchone()[0]
    assert 0 < left < 60
    assert run_index(kb, "Many") == "done"
    st = kb.status("Many")
    assert st.files["indexed"] == 60 and kb.conn.execute("SELECT count(*) FROM kb_jobs").fetchone()[0] == 0
    assert st.chunks == 60  # no chunk written twice

    (folder / "extra.txt").write_text("One more note.\n")
    cancel = CancelToken()
    cancel.cancel()
    assert run_index(kb, "Many", cancel=cancel) == "cancelled"
    assert kb.conn.execute("SELECT count(*) FROM kb_jobs").fetchone()[0] == 0
    assert run_index(kb, "Many") == "done" and kb.status("Many").files["indexed"] == 61


def test_kill_during_indexing_then_resume(hearth_home: Path, tmp_path: Path, minilm_path: Path) -> None:
    folder = tmp_path / "corpus"
    write_docs(folder, {f"doc{i:03}.md": f"# Document {i}\n\n" + f"Paragraph about topic {i}. " * 40
                        for i in range(150)})
    env = {**os.environ, "HEARTH_HOME": str(hearth_home)}
    cmd = [sys.executable, "-m", "desktop.cli.main", "kb", "add", "Corpus", str(folder), "--embedder", str(minilm_path)]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    db = hearth_home / "hearth.db"
    deadline = time.monotonic() + 120
    indexed = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        try:
            with sqlite3.connect(db, timeout=5) as conn:
                indexed = conn.execute("SELECT count(*) FROM kb_files WHERE status = 'indexed'").fetchone()[0]
        except sqlite3.OperationalError:
            continue
        if indexed >= 10:
            break
    assert proc.poll() is None, "indexing finished before it could be killed; make the corpus bigger"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(db) as conn:
        done_before = conn.execute("SELECT count(*) FROM kb_files WHERE status = 'indexed'").fetchone()[0]
        waiting = conn.execute("SELECT count(*) FROM kb_jobs").fetchone()[0]
        assert conn.execute("SELECT state FROM kb_collections").fetchone()[0] == "indexing"
    assert 10 <= done_before < 150 and waiting == 150 - done_before

    resumed = subprocess.run([sys.executable, "-m", "desktop.cli.main", "kb", "index", "Corpus",
                              "--embedder", str(minilm_path)], env=env, cwd=ROOT, capture_output=True,
                             text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"/{150 - done_before} files" in resumed.stderr  # only the files left were worked on
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM kb_files WHERE status = 'indexed'").fetchone()[0] == 150
        assert conn.execute("SELECT count(*) FROM kb_jobs").fetchone()[0] == 0
        dupes = conn.execute("SELECT count(*) FROM (SELECT file_id, ord FROM kb_chunks "
                             "GROUP BY file_id, ord HAVING count(*) > 1)").fetchone()[0]
        assert dupes == 0


def test_collection_errors_name_the_way_out(kb: KnowledgeBase, tmp_path: Path) -> None:
    kb.create("Notes")
    with pytest.raises(errors.CollectionExists):
        kb.create("notes")
    with pytest.raises(errors.CollectionNotFound) as missing:
        kb.status("Nope")
    assert "hearth kb" in missing.value.hint
    with pytest.raises(errors.KnowledgeError) as gone:
        kb.add("Notes", [tmp_path / "does-not-exist"])
    assert "does-not-exist" in str(gone.value)


def test_changing_the_embedding_model_re_embeds(kb: KnowledgeBase, tmp_path: Path, minilm_path: Path,
                                                embed_runtime: Runtime) -> None:
    folder = write_docs(tmp_path / "docs")
    kb.create("Notes")
    kb.add("Notes", [folder])
    run_index(kb, "Notes")
    before = kb.collection("Notes")
    chunks = kb.status("Notes").chunks
    # Another model file: same weights, another name (so another identity), patched in the header.
    other = tmp_path / "other-embedder.gguf"
    data = minilm_path.read_bytes()
    head = data[:1 << 20].replace(b"all-MiniLM-L6-v2", b"all-MiniLM-L6-vX")
    other.write_bytes(head + data[1 << 20:])

    # A knowledge base whose default is the other model leaves the collection on its own model.
    elsewhere = KnowledgeBase(kb.store, embed_runtime, embedder=other)
    assert [p.state for p in elsewhere.index("Notes")][-1] == "done"
    assert elsewhere.collection("Notes").embed_model == before.embed_model

    assert kb.set_embedder("Notes", other) == chunks        # the chunks the next run embeds again
    assert kb.collection("Notes").embedder == str(other)
    # until that run, the collection is searched by keyword only (its vectors are the old model's)
    assert all(h.vector_score is None for h in kb.search(["Notes"], "owner scope", k=3))
    states = [p for p in kb.index("Notes")]
    after = kb.collection("Notes")
    assert after.embed_model and after.embed_model != before.embed_model
    assert after.embed_model.split("@")[1] != (before.embed_model or "@").split("@")[1]  # another file hash
    assert after.vectors_version == before.vectors_version + 1
    assert states[-1].state == "done" and states[-1].total == 4  # every indexed file was embedded again
    st = kb.status("Notes")
    assert st.chunks == chunks and st.embedded == chunks
    hit = kb.search(["Notes"], "what happens when the owner goes out of scope", k=1)[0]
    assert Path(hit.path).name == "rust.md" and hit.vector_score is not None
    # Any knowledge base embeds the question with the collection's own model, whatever its default.
    again = elsewhere.search(["Notes"], "what happens when the owner goes out of scope", k=1)[0]
    assert again.chunk_id == hit.chunk_id and again.vector_score == pytest.approx(hit.vector_score, abs=1e-4)
    assert kb.set_embedder("Notes", other) == 0             # the same model again: nothing to redo


def test_a_big_run_merges_the_keyword_index(kb: KnowledgeBase, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.knowledge import indexer
    merged: list[bool] = []
    real = indexer.Indexer._optimize_keyword_index

    def spy(self: indexer.Indexer) -> None:
        real(self)
        merged.append(True)

    monkeypatch.setattr(indexer.Indexer, "_optimize_keyword_index", spy)
    monkeypatch.setattr(indexer, "OPTIMIZE_AFTER_CHUNKS", 5)
    kb.create("Notes")
    kb.add("Notes", [write_docs(tmp_path / "docs")])
    run_index(kb, "Notes")
    assert merged == [True]
    assert Path(kb.search(["Notes"], "aphids soapy water", k=1)[0].path).name == "garden.md"
    (tmp_path / "docs" / "tea.txt").write_text("Oolong tea is brewed at 90 degrees.\n")
    run_index(kb, "Notes")  # one changed file: a small run, no merge
    assert merged == [True]
