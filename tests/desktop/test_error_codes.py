"""The errors a user meets loading models, downloading, reading documents and recovering the database
speak the window's language (issue 18).

Each error is raised by the real code path (a real projector that does not fit, a real file llama.cpp
refuses, a real corrupt or cut download from a local hub, real damaged documents, a real damaged
database and backup) and must come out in Chinese under the zh_CN catalogue, naming the file. The
knowledge window's problems table, which shows reasons the indexer recorded as English text, switches
to Chinese live with the rest of the window; the engine's own words stay in its tooltip.
"""
from __future__ import annotations

import hashlib
import os
import random
import re
import sqlite3
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from desktop import errors_ui, languages
from desktop.app import check_database
from desktop.background.knowledge import KnowledgeThread
from engine import errors, paths
from engine.chat.attachments import prepare
from engine.hub.download import download_model
from engine.knowledge import extract
from engine.runtime.client import Runtime
from engine.store import Store, recovery
from tests.desktop.test_knowledge_panel import drop, knowledge, new_collection, open_window, wait_ready  # noqa: F401
from tests.engine.hub.test_download import FILE, REPO, gguf_bytes
from tests.hub_server import FakeHub, hub  # noqa: F401
from tests.vision_files import build_tiny_mmproj

CJK = re.compile(r"[\u3400-\u9fff]")
ENGLISH = re.compile(r"\b(?:could|not|the|is|was|read|file|damaged)\b")


@pytest.fixture
def chinese() -> Iterator[None]:
    """The window in 简体中文 for the test, English again afterwards (as Settings → Language does, live)."""
    assert languages.install(QApplication.instance(), "zh_CN") == "zh_CN"
    try:
        yield
    finally:
        languages.install(QApplication.instance(), "en")


def raised(action: Callable[[], Any]) -> errors.HearthError:
    with pytest.raises(errors.HearthError) as caught:
        action()
    return caught.value


def chinese_text(exc: errors.HearthError) -> str:
    """What the window says for ``exc``: asserted Chinese, message and hint, with a Chinese headline."""
    text = errors_ui.details(exc)
    assert CJK.search(errors_ui.headline(exc)), errors_ui.headline(exc)
    said, _, todo = text.partition("\n")
    assert CJK.search(said) and CJK.search(todo), (exc.code, exc.reason, text, exc.full_text())
    return text


def test_model_load_failures_render_in_chinese(qtbot, gemma3_path: Path, chinese) -> None:  # noqa: ANN001
    mmproj = build_tiny_mmproj()   # made for a 576-wide text model; Gemma 3 270M is 640 wide
    with Runtime() as runtime:
        misfit = raised(lambda: runtime.load(gemma3_path, mmproj=mmproj))
        assert isinstance(misfit, errors.ModelLoadFailed)
        assert chinese_text(misfit).startswith(
            f"图像投影器 {mmproj} 与模型 {gemma3_path} 不匹配：它生成 576 维的嵌入，而模型需要 640 维。")
        # a projector picked as an embedding model: llama.cpp (in the worker process) refuses it
        refused = raised(lambda: runtime.load_embedder(mmproj))
        assert isinstance(refused, errors.ModelLoadFailed)
        assert refused.path == str(mmproj)   # the file the worker failed on, not the chat model
        assert chinese_text(refused).startswith(f"llama.cpp 无法加载 {mmproj}。")


def test_download_failures_render_in_chinese(hub: FakeHub, chinese) -> None:  # noqa: F811
    data = gguf_bytes(1)
    hub.add_file(REPO, FILE, data)
    hub.corrupt(FILE)
    corrupt = raised(lambda: download_model(REPO, [FILE]))
    assert isinstance(corrupt, errors.ChecksumMismatch)
    good = hashlib.sha256(data).hexdigest()
    text = chinese_text(corrupt)
    assert text.startswith(f"{FILE} 已损坏：它的 sha256 是 ") and f"但模型中心给出的是 {good}。该文件已被删除。" in text, text

    hub.drop_after(FILE, len(data) // 2)
    hub.drop_after(FILE, 0, times=2)
    cut = raised(lambda: download_model(REPO, [FILE], max_retries=2))
    assert isinstance(cut, errors.DownloadIncomplete)
    text = chinese_text(cut)
    assert text.startswith(f"{FILE} 的下载在 ") and "已失败 3 次" in text and "可以继续下载" in text, text


def damaged_documents(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True)
    files = {"broken.docx": os.urandom(4096), "budget.xlsx": b"PK\x03\x04" + os.urandom(300),
             "notes.txt": b"line one\x00\x01\x02" * 200, "report.pdf": b"%PDF-1.4\n" + os.urandom(2000)}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return {name: folder / name for name in files}


def test_document_errors_render_in_chinese(tmp_path: Path, chinese) -> None:
    docs = damaged_documents(tmp_path / "docs")
    expected = {"broken.docx": "broken.docx 已损坏或不是 Word 文档（不是有效的 zip 压缩包）。",
                "budget.xlsx": "未读取 budget.xlsx：不支持 .xlsx 类型的文件。",
                "notes.txt": "notes.txt 不是文本文件（它包含二进制数据）。",
                "report.pdf": "report.pdf 已损坏或不是 PDF 文件（"}
    for name, path in docs.items():
        exc = raised(lambda: extract.extract(path))
        assert isinstance(exc, errors.DocumentError)
        assert chinese_text(exc).startswith(expected[name]), (name, errors_ui.details(exc))
    # the same document attached to a message: its reader's message comes back from the parse worker as text
    attached = raised(lambda: prepare(docs["broken.docx"], folder=tmp_path / "attachments"))
    assert isinstance(attached, errors.AttachmentError)
    assert chinese_text(attached).startswith(expected["broken.docx"])
    folder = raised(lambda: extract.extract(tmp_path))   # a folder where a document was expected
    assert chinese_text(folder).startswith(f"未读取 {tmp_path.name}：它是一个文件夹。")


def test_in_english_the_engine_words_are_kept(tmp_path: Path) -> None:
    path = damaged_documents(tmp_path / "docs")["broken.docx"]
    exc = raised(lambda: extract.extract(path))
    assert (exc.code, exc.reason) == ("DocumentUnreadable", "not_zip")
    assert errors_ui.details(exc) == exc.full_text()


def test_problems_table_follows_the_language(qtbot, knowledge: KnowledgeThread, tmp_path: Path) -> None:  # noqa: F811
    folder = tmp_path / "docs"
    damaged_documents(folder)
    (folder / "tea.md").write_text("# Tea\n\nGreen tea is brewed at 80 degrees for two minutes.\n", encoding="utf-8")
    window = open_window(qtbot, knowledge)
    new_collection(qtbot, window, "Notes")
    drop(qtbot, window, folder)
    wait_ready(qtbot, window, "Notes", "1 (3 failed)")
    english = {name: reason for name, _, reason in window.problems.rows()}
    assert english["budget.xlsx"] == "unsupported type .xlsx"   # skipped by the folder scan, never opened
    assert english["broken.docx"] == "broken.docx is damaged or not a Word document (not a valid zip archive)."
    languages.install(QApplication.instance(), "zh_CN")   # Settings → Language, live
    try:
        qtbot.waitUntil(lambda: all(CJK.search(r[2]) for r in window.problems.rows()), timeout=5000)
        rows = {name: (status, reason) for name, status, reason in window.problems.rows()}
        assert rows["broken.docx"][1] == "broken.docx 已损坏或不是 Word 文档（不是有效的 zip 压缩包）。"
        assert rows["budget.xlsx"][1] == "不支持 .xlsx 类型的文件"
        assert rows["notes.txt"][1] == "notes.txt 不是文本文件（它包含二进制数据）。"
        assert rows["report.pdf"][1].startswith("report.pdf 已损坏或不是 PDF 文件（")
        assert not any(ENGLISH.search(reason.split("（")[0]) for _, reason in rows.values()), rows
        tips = [window.problems.item(r, 2).toolTip() for r in range(window.problems.rowCount())]
        assert any("DocumentUnreadable: broken.docx is damaged" in t for t in tips), tips   # the engine's words
    finally:
        languages.install(QApplication.instance(), "en")
    qtbot.waitUntil(lambda: {n: r for n, _, r in window.problems.rows()} == english, timeout=5000)


def _damage(db: Path) -> None:
    """Overwrite the start of the conversations table's root page: SQLite finds the damage."""
    conn = sqlite3.connect(db)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'conversations'").fetchone()[0]
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(db.read_bytes())
    data[(root - 1) * page:(root - 1) * page + 16] = random.Random(7).randbytes(16)
    db.write_bytes(bytes(data))


def test_a_damaged_backup_is_reported_in_chinese(qtbot, monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
                                                 chinese) -> None:
    db = paths().database
    with Store(db) as store:
        for n in range(20):
            store.add_message(store.create_conversation(title=f"chat {n}").id, "user", "hello " * 200,
                              parent_id=None)
    Store(db).close()   # the first open of the day on an existing file backs it up
    (backup,) = recovery.backups(paths().home)
    _damage(backup.path)
    _damage(db)
    shown: list[tuple[str, str]] = []
    answers = iter(["restoreBackup", "ok", "startFresh"])

    def fake_exec(box: QMessageBox) -> int:   # the user's clicks, in order
        shown.append((box.objectName(), box.text()))
        answer = next(answers)
        button = box.button(QMessageBox.StandardButton.Ok) if answer == "ok" else box.findChild(QPushButton, answer)
        button.click()
        return 0

    def close_strays() -> None:   # a box shown some other way (a static QMessageBox.warning) would wait forever
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible():
                shown.append((widget.objectName() or "unexpected", widget.text()))
                widget.done(0)

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    strays = QTimer()
    strays.timeout.connect(close_strays)
    strays.start(200)
    try:
        assert check_database(paths())
    finally:
        strays.stop()
    assert [name for name, _ in shown] == ["databaseRecovery", "restoreFailed", "databaseRecovery"]
    said = shown[1][1]
    assert said.startswith(f"备份 {backup.path} 也已损坏：") and "请选择一个更早的备份" in said, said
