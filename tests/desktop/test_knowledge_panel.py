"""The knowledge window driven like a user, on the real engine.

Real KnowledgeBase and SQLite in the test's Hearth home, real all-MiniLM-L6-v2
through llama.cpp in the thread's own worker process, real files (Markdown,
text, Chinese, a PDF, a broken .docx, an .xlsx), real drops (QDropEvent with
file URLs), a real folder watcher and a real kill -9 of an indexing process.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox

from desktop.background.knowledge import KnowledgeThread
from desktop.knowledge.window import KnowledgeWindow
from engine import IndexProgress, paths
from tests.docs_factory import make_pdf
from tests.window_helpers import catching_file_urls

ROOT = Path(__file__).resolve().parents[2]
WAIT = 120_000

DOCS = {
    "garden.md": "# Growing tomatoes\n\nTomatoes need six hours of sun and deep watering twice a week.\n\n"
                 "## Pests\n\nAphids on tomato leaves can be washed off with soapy water.\n",
    "rust.md": "# Ownership in Rust\n\nEvery value in Rust has a single owner; when the owner goes out of "
               "scope the value is dropped.\n",
    "tea.txt": "Green tea should be brewed at 80 degrees Celsius for two minutes.\n\n"
               "Black tea takes boiling water and four minutes.\n",
    "chinese.md": "# 茶的冲泡\n\n绿茶适合用八十度的水冲泡两分钟。红茶需要沸水，冲泡四分钟。\n\n"
                  "# 园艺\n\n番茄每天需要六小时的日照。\n",
}


@pytest.fixture
def knowledge(qtbot, minilm_path: Path) -> Iterator[KnowledgeThread]:
    thread = KnowledgeThread(embedder=minilm_path)
    yield thread
    thread.stop(timeout=60)


def open_window(qtbot, knowledge: KnowledgeThread) -> KnowledgeWindow:
    window = KnowledgeWindow(knowledge)
    qtbot.addWidget(window)
    window.show()
    return window


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    make_pdf(folder / "lighthouse.pdf", ["The harbour chart lists the depth of every channel.",
                                         "The lighthouse keeper polished the brass lamp every evening."])
    (folder / "broken.docx").write_bytes(os.urandom(4096))
    (folder / "budget.xlsx").write_bytes(b"PK\x03\x04" + os.urandom(300))
    return folder


def drop(qtbot, window: KnowledgeWindow, *items: Path) -> None:
    """Drag file URLs over the window and drop them, as a file manager does."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in items])
    where = window.rect().center()
    enter = QDragEnterEvent(where, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    dropped = QDropEvent(QPointF(where), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, dropped)
    assert dropped.isAccepted()


def row(window: KnowledgeWindow, name: str) -> list[str]:
    table = window.table
    for r in range(table.rowCount()):
        if table.item(r, 0).text() == name:
            return [table.item(r, c).text() for c in range(table.columnCount())]
    raise AssertionError(f"no row {name!r} in {[table.item(r, 0).text() for r in range(table.rowCount())]}")


def wait_ready(qtbot, window: KnowledgeWindow, name: str, files: str, timeout: int = WAIT) -> None:
    """Until the collection shows ``files`` indexed files and is Ready."""
    def ready() -> bool:
        names = [window.table.item(r, 0).text() for r in range(window.table.rowCount())]
        return name in names and row(window, name)[1] == files and row(window, name)[3] == "Ready"
    try:
        qtbot.waitUntil(ready, timeout=timeout)
    except qtbot.TimeoutError:
        shown = [[window.table.item(r, c).text() for c in range(4)] for r in range(window.table.rowCount())]
        raise AssertionError(f"{name} never showed {files} files and Ready: {shown}, "
                             f"{window.progress.label.text()!r}, {window.knowledge.latest}") from None


def new_collection(qtbot, window: KnowledgeWindow, name: str) -> None:
    window.new_button.click()
    dialog = window.findChild(QInputDialog, "kbNewName")
    assert dialog is not None and dialog.isVisible()
    dialog.setTextValue(name)
    dialog.accept()
    qtbot.waitUntil(lambda: window.current == name and window.pages.currentIndex() == 1)


def ask(qtbot, window: KnowledgeWindow, query: str) -> list[list[str]]:
    window.tabs.setCurrentIndex(2)
    tab = window.retrieval
    tab.query.setText(query)
    qtbot.keyClick(tab.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.hits.rowCount() > 0 and "Searching" not in tab.status.text(), timeout=30_000)
    return [[tab.hits.item(r, c).text() for c in range(tab.hits.columnCount())] for r in range(tab.hits.rowCount())]


def jobs_and_state(name: str) -> tuple[int, str]:
    with sqlite3.connect(paths().database) as conn:
        coll_id, state = conn.execute("SELECT id, state FROM kb_collections WHERE name = ?", (name,)).fetchone()
        jobs = conn.execute("SELECT count(*) FROM kb_jobs WHERE collection_id = ?", (coll_id,)).fetchone()[0]
    return jobs, state


def test_drop_a_folder_index_see_problems_and_test_retrieval(qtbot, knowledge: KnowledgeThread,
                                                             tmp_path: Path, minilm_path: Path) -> None:
    folder = write_corpus(tmp_path / "docs")
    window = open_window(qtbot, knowledge)
    assert window.pages.currentIndex() == 0 and "collection is a set of folders" in window.empty_label.text()
    seen: list[IndexProgress] = []
    knowledge.events.progress.connect(seen.append)

    new_collection(qtbot, window, "Notes")
    assert row(window, "Notes") == ["Notes", "0", "0", "Empty"]
    drop(qtbot, window, folder)
    wait_ready(qtbot, window, "Notes", "5 (1 failed)")

    states = [p.state for p in seen if p.collection == "Notes"]
    assert "indexing" in states and states[-1] == "done", states
    final = seen[-1]
    assert (final.total, final.failed) == (6, 1) and final.chunks >= 6
    fractions = [p.fraction for p in seen if p.state == "indexing"]
    assert fractions == sorted(fractions)
    assert int(row(window, "Notes")[2]) == final.chunks
    assert window.progress.label.text() == f"Up to date: 5 files, {final.chunks} chunks."
    assert not window.progress.pause_button.isVisible() and window.progress.resume_button.text() == "Index now"
    assert [window.sources.item(i).text() for i in range(window.sources.count())] == [str(folder)]
    assert "all-MiniLM-L6-v2" in window.model_label.text() and "384" in window.model_label.text()

    problems = {r[0]: r for r in window.problems.rows()}
    assert set(problems) == {"broken.docx", "budget.xlsx"}
    assert problems["broken.docx"][1] == "failed" and "damaged" in problems["broken.docx"][2]
    assert "DocumentUnreadable" in window.problems.item(0, 2).toolTip()
    assert problems["budget.xlsx"][1] == "skipped" and ".xlsx" in problems["budget.xlsx"][2]
    assert window.tabs.tabText(1) == "Problems (2)" and window.retry_button.isEnabled()

    table = window.retrieval.hits
    hits = ask(qtbot, window, "how long should I steep green tea?")
    assert hits[0][table.FILE] in ("tea.txt", "chinese.md") and hits[0][table.VECTOR] != "—"
    assert float(hits[0][table.RERANK]) >= float(hits[-1][table.RERANK])
    assert ask(qtbot, window, "绿茶用多少度的水冲泡")[0][table.FILE] == "chinese.md"
    hits = ask(qtbot, window, "who polished the brass lamp in the lighthouse?")
    assert hits[0][table.FILE] == "lighthouse.pdf" and hits[0][table.PAGE] == "2", hits[0]

    with catching_file_urls() as catcher:
        rect = table.visualItemRect(table.item(0, table.FILE))
        assert table.viewport().rect().contains(rect.center())
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.waitUntil(lambda: bool(catcher.urls))
    assert catcher.urls[0].toLocalFile() == str(folder / "lighthouse.pdf")
    assert catcher.urls[0].fragment() == "page=2"

    # Retry failed: the fixed .docx is read now.
    from tests.docs_factory import make_docx
    make_docx(folder / "broken.docx", [("Heading1", "Sailing"), (None, "Reef the mainsail when the wind rises.")])
    window.tabs.setCurrentIndex(1)
    window.retry_button.click()
    wait_ready(qtbot, window, "Notes", "6")
    assert [r[0] for r in window.problems.rows()] == ["budget.xlsx"]

    # Closing the window stops nothing; a new window shows the same, and so does a restarted thread.
    chunks = row(window, "Notes")[2]
    window.close()
    again = open_window(qtbot, knowledge)
    qtbot.waitUntil(lambda: again.table.rowCount() == 1)
    assert row(again, "Notes") == ["Notes", "6", chunks, "Ready"]
    again.close()
    restarted = KnowledgeThread(embedder=minilm_path)
    try:
        third = open_window(qtbot, restarted)
        qtbot.waitUntil(lambda: third.table.rowCount() == 1, timeout=30_000)
        assert row(third, "Notes") == ["Notes", "6", chunks, "Ready"]
        assert [r[0] for r in third.problems.rows()] == ["budget.xlsx"]
        assert ask(qtbot, third, "reef the mainsail")[0][table.FILE] == "broken.docx"
    finally:
        restarted.stop(timeout=60)


def test_pause_leaves_jobs_in_the_database_and_resume_finishes(qtbot, knowledge: KnowledgeThread,
                                                               tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(300):
        (folder / f"note{i:03}.txt").write_text(f"Note {i}: the code word is {i * 7919 % 1000}.\n")
    window = open_window(qtbot, knowledge)
    drop(qtbot, window, folder)  # no collection yet: one named after the folder is created
    qtbot.waitUntil(lambda: window.current == "many", timeout=30_000)
    qtbot.waitUntil(lambda: window.progress.state == "indexing" and " of 300 files" in window.progress.label.text()
                    and not window.progress.label.text().startswith("0 of"), timeout=WAIT)
    assert window.progress.pause_button.isVisible() and "left" in window.progress.label.text()
    window.progress.pause_button.click()
    qtbot.waitUntil(lambda: window.progress.state == "paused", timeout=30_000)
    qtbot.waitUntil(lambda: row(window, "many")[3] == "Paused", timeout=30_000)
    jobs, state = jobs_and_state("many")
    assert state == "paused" and 0 < jobs < 300
    assert window.progress.resume_button.isVisible() and window.progress.resume_button.text() == "Resume"
    assert f"{jobs} files still to index" in window.progress.label.text()
    indexed = int(row(window, "many")[1])
    assert indexed == 300 - jobs
    qtbot.wait(1500)
    assert jobs_and_state("many") == (jobs, "paused")  # paused stays paused

    window.progress.resume_button.click()
    wait_ready(qtbot, window, "many", "300")
    assert jobs_and_state("many") == (0, "idle")
    assert int(row(window, "many")[2]) == 300  # one chunk per note, none written twice


def test_new_files_in_a_watched_folder_are_indexed_without_a_click(qtbot, knowledge: KnowledgeThread,
                                                                    tmp_path: Path) -> None:
    folder = tmp_path / "watched"
    (folder / "sub").mkdir(parents=True)
    (folder / "tea.txt").write_text(DOCS["tea.txt"])
    window = open_window(qtbot, knowledge)
    new_collection(qtbot, window, "Watched")
    window.add_paths([str(folder)])
    wait_ready(qtbot, window, "Watched", "1")
    qtbot.waitUntil(lambda: str(folder / "sub") in knowledge.watcher.watched())

    (folder / "sub" / "bees.md").write_text("# Bees\n\nHoneybees dance to tell the hive where flowers are.\n")
    wait_ready(qtbot, window, "Watched", "2", timeout=30_000)
    assert ask(qtbot, window, "how do honeybees tell the hive where the flowers are")[0][
        window.retrieval.hits.FILE] == "bees.md"

    (folder / "newdir").mkdir()  # a new subfolder is watched too
    qtbot.waitUntil(lambda: str(folder / "newdir") in knowledge.watcher.watched(), timeout=30_000)
    (folder / "newdir" / "owls.txt").write_text("Owls hunt at night and swallow mice whole.\n")
    wait_ready(qtbot, window, "Watched", "3", timeout=30_000)
    (folder / "tea.txt").unlink()
    wait_ready(qtbot, window, "Watched", "2", timeout=30_000)


def test_rename_and_delete_keep_the_files(qtbot, knowledge: KnowledgeThread, tmp_path: Path) -> None:
    folder = tmp_path / "keep"
    folder.mkdir()
    (folder / "tea.txt").write_text(DOCS["tea.txt"])
    window = open_window(qtbot, knowledge)
    new_collection(qtbot, window, "Old name")
    window.add_paths([str(folder)])
    wait_ready(qtbot, window, "Old name", "1")

    window.rename_button.click()
    dialog = window.findChild(QInputDialog, "kbRenameName")
    assert dialog.textValue() == "Old name"
    dialog.setTextValue("New name")
    dialog.accept()
    qtbot.waitUntil(lambda: window.current == "New name" and window.title.text() == "New name")
    assert row(window, "New name")[1] == "1"

    window.new_button.click()
    dialog = window.findChild(QInputDialog, "kbNewName")
    dialog.setTextValue("New name")  # taken: the error dialog says so, nothing changes
    dialog.accept()
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "errorDialog") is not None)
    box = window.findChild(QMessageBox, "errorDialog")
    assert "already exists" in box.informativeText()
    box.close()
    assert window.table.rowCount() == 1

    window.delete_button.click()
    confirm = window.findChild(QMessageBox, "kbConfirmDelete")
    assert "not touched" in confirm.text() and "New name" in confirm.text()
    confirm.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: window.table.rowCount() == 0 and window.pages.currentIndex() == 0)
    assert (folder / "tea.txt").read_text() == DOCS["tea.txt"]
    with sqlite3.connect(paths().database) as conn:
        assert conn.execute("SELECT count(*) FROM kb_files").fetchone()[0] == 0


def test_a_killed_app_resumes_indexing_at_start(qtbot, tmp_path: Path, hearth_home: Path,
                                                minilm_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for i in range(200):
        (folder / f"doc{i:03}.md").write_text(f"# Document {i}\n\n" + f"Paragraph about topic {i}. " * 12)
    env = {**os.environ, "HEARTH_HOME": str(hearth_home)}
    cmd = [sys.executable, "-m", "desktop.cli.main", "kb", "add", "Corpus", str(folder), "--embedder", str(minilm_path)]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline, indexed = time.monotonic() + 120, 0
    while time.monotonic() < deadline and proc.poll() is None and indexed < 10:
        time.sleep(0.2)
        try:
            with sqlite3.connect(hearth_home / "hearth.db", timeout=5) as conn:
                indexed = conn.execute("SELECT count(*) FROM kb_files WHERE status = 'indexed'").fetchone()[0]
        except sqlite3.OperationalError:
            continue
    assert proc.poll() is None, "indexing finished before it could be killed; make the corpus bigger"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    jobs, state = jobs_and_state("Corpus")
    assert state == "indexing" and 0 < jobs < 200

    knowledge = KnowledgeThread(embedder=minilm_path)  # the app starts again; nobody clicks anything
    try:
        window = open_window(qtbot, knowledge)
        wait_ready(qtbot, window, "Corpus", "200")
        assert jobs_and_state("Corpus") == (0, "idle")
    finally:
        knowledge.stop(timeout=60)


def test_quitting_mid_run_resumes_at_the_next_start(qtbot, tmp_path: Path, minilm_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(300):
        (folder / f"n{i:03}.txt").write_text(f"Note {i} about the number {i * 31 % 97}.\n")
    first = KnowledgeThread(embedder=minilm_path)
    window = open_window(qtbot, first)
    window.add_paths([str(folder)])
    qtbot.waitUntil(lambda: first.latest.get("many") is not None and first.latest["many"].done > 0, timeout=WAIT)
    first.stop(timeout=60)  # the app quits in the middle
    jobs, state = jobs_and_state("many")
    assert state == "indexing" and 0 < jobs < 300
    window.close()

    second = KnowledgeThread(embedder=minilm_path)
    try:
        window = open_window(qtbot, second)
        wait_ready(qtbot, window, "many", "300")
    finally:
        second.stop(timeout=60)


def test_dropping_something_that_is_not_a_file_is_refused(qtbot, knowledge: KnowledgeThread) -> None:
    window = open_window(qtbot, knowledge)
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.org/page")])
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()


def test_one_run_at_a_time_others_wait_and_cancel_stops(qtbot, knowledge: KnowledgeThread, tmp_path: Path) -> None:
    big, small = tmp_path / "big", tmp_path / "small"
    big.mkdir()
    small.mkdir()
    for i in range(300):
        (big / f"b{i:03}.txt").write_text(f"Big note {i}: the tide table for day {i}.\n")
    (small / "tea.txt").write_text(DOCS["tea.txt"])
    window = open_window(qtbot, knowledge)
    window.add_paths([str(big)])
    qtbot.waitUntil(lambda: window.current == "big" and window.progress.state == "indexing", timeout=WAIT)
    new_collection(qtbot, window, "small")
    window.add_paths([str(small)])
    qtbot.waitUntil(lambda: row(window, "small")[3] == "Waiting", timeout=30_000)
    assert row(window, "big")[3].startswith("Indexing")
    assert window.progress.label.text() == "Waiting for another collection to finish indexing…"

    window.table.selectRow(0)  # "big"
    qtbot.waitUntil(lambda: window.current == "big" and window.progress.cancel_button.isVisible())
    window.progress.cancel_button.click()
    wait_ready(qtbot, window, "small", "1")  # the waiting one runs once the first stops
    jobs, state = jobs_and_state("big")
    assert (jobs, state) == (0, "idle") and row(window, "big")[3] == "Ready"
    assert 0 < int(row(window, "big")[1]) < 300
    assert window.progress.label.text().startswith("Up to date") or "Cancelled" in window.progress.label.text()

    window.progress.resume_button.click()  # "Index now" picks up the files never reached
    assert window.progress.resume_button.text() == "Index now"
    wait_ready(qtbot, window, "big", "300")


def test_the_watcher_debounces_and_falls_back_to_rescans_past_its_limit(qtbot, tmp_path: Path) -> None:
    from desktop.background.folder_watch import FolderWatcher
    folders = [tmp_path / name for name in ("a", "a/b", "a/b/c", "a/d")]
    for folder in folders:
        folder.mkdir(parents=True)
    watcher = FolderWatcher(limit=10, debounce_ms=300, rescan_ms=200)
    watcher.set_folders({"A": [str(f) for f in folders]})
    assert watcher.watched() == sorted(str(f) for f in folders) and not watcher.overflowing
    seen: list[str] = []
    watcher.changed.connect(seen.append)
    for i in range(5):
        (folders[2] / f"f{i}.txt").write_text("x")
        (folders[0] / f"g{i}.txt").write_text("x")
    qtbot.waitUntil(lambda: seen == ["A"], timeout=5000)
    qtbot.wait(600)
    assert seen == ["A"]  # ten changes, one re-index

    small = FolderWatcher(limit=2, rescan_ms=200)
    small.set_folders({"A": [str(f) for f in folders], "B": [str(folders[0])]})
    assert small.watched() == [str(folders[0]), str(folders[1])] and small.overflowing == {"A"}
    with qtbot.waitSignals([small.changed, small.changed], timeout=3000):
        pass  # the rescan timer asks again and again
    small.set_folders({"B": [str(folders[0])]})
    assert small.watched() == [str(folders[0])] and not small.overflowing
    small.stop()
    watcher.stop()
    assert watcher.watched() == []
