"""Every message a user can meet speaks the window's language (issue 18).

Engine errors carry a code, a reason and parameters; the window renders them through the translation
catalogue. In 简体中文, a photo picked as a model is refused in Chinese (the engine's English words stay
under "Show Details…"); the errors a newcomer meets most, raised by the real engine code, render in
Chinese; every class's own hint has a catalogue entry; and a language switch re-renders dynamic text
("5 messages match", "10 passages, best first…"). Qt's own catalogue (qtbase_zh_CN) is found and used.
"""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox, QPushButton

from desktop import error_texts, errors_ui, languages
from desktop.app import HearthApp
from desktop.knowledge.retrieval_test import RetrievalTest
from engine import errors
from engine.chat.fitting import fit_prompt
from engine.hub.search import search_repos
from engine.knowledge.records import Hit
from engine.models.gguf import _OTHER_FILES, read_gguf_info
from engine.runtime.client import _crash_error
from engine.store.errors_map import translate as store_error
from tests.window_helpers import chat, wait_database

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture
def chinese() -> Iterator[None]:
    """The window in 简体中文 for the test, English again afterwards (as the language setting does, live)."""
    app = QApplication.instance()
    assert languages.install(app, "zh_CN") == "zh_CN"
    try:
        yield
    finally:
        languages.install(app, "en")


def raised(action: Callable[[], Any]) -> errors.HearthError:
    with pytest.raises(errors.HearthError) as caught:
        action()
    return caught.value


def test_a_photo_added_as_a_model_is_refused_in_chinese(qtbot, app: HearthApp, tmp_path: Path, chinese) -> None:
    photo = tmp_path / "holiday.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(range(256)) * 4)
    app.window.add_model_path(str(photo))
    qtbot.waitUntil(lambda: app.window.findChild(QMessageBox, "errorDialog") is not None, timeout=5000)
    box = app.window.findChild(QMessageBox, "errorDialog")
    assert box.text() == "此文件不是可用的模型。"
    said = box.informativeText()
    assert "holiday.jpg 不是 GGUF 模型文件（而是一张 JPEG 图片）。" in said, said
    assert "请选择一个 .gguf 模型文件。你的文件没有被改动。" in said, said
    assert not re.search(r"\b(?:not|this|file|Choose)\b", said), f"English left in the Chinese dialog: {said}"
    assert "this is not a GGUF model file (a JPEG image)" in box.detailedText()   # the engine's own words
    assert box.windowTitle() == "Hearth"
    ok = box.button(QMessageBox.StandardButton.Ok)
    assert ok is not None and ok.text() in ("确定", "&确定", "确定(&O)"), ok.text()   # Qt's own catalogue


def test_in_english_the_dialog_keeps_the_engine_words(qtbot, app: HearthApp, tmp_path: Path) -> None:
    photo = tmp_path / "cat.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(300))
    app.window.add_model_path(str(photo))
    qtbot.waitUntil(lambda: app.window.findChild(QMessageBox, "errorDialog") is not None, timeout=5000)
    box = app.window.findChild(QMessageBox, "errorDialog")
    assert box.informativeText() == f"{photo}: this is not a GGUF model file (a PNG image)\n" \
                                    "Choose a .gguf model file. Your file was not changed."
    assert box.detailedText() == ""   # nothing was translated: nothing hidden behind "Show Details…"


def test_the_errors_a_newcomer_meets_render_in_chinese(tmp_path: Path, smollm2_path: Path, chinese) -> None:
    cut = tmp_path / "half.gguf"
    with smollm2_path.open("rb") as f:
        cut.write_bytes(f.read(smollm2_path.stat().st_size // 2))
    database = tmp_path / "hearth.db"
    cases: list[tuple[errors.HearthError, str, str]] = [
        (raised(lambda: read_gguf_info(tmp_path / "gone.gguf")), f"{tmp_path / 'gone.gguf'} 处没有模型文件。",
         "请检查路径"),
        (raised(lambda: read_gguf_info(cut)), "half.gguf 不完整：只有 50%", "文件不完整或已损坏"),
        (_crash_error(str(smollm2_path), -11, "the model"), f"运行 {smollm2_path.name} 的进程意外停止（信号 SIGSEGV）。",
         "你的对话已保存"),
        (raised(lambda: fit_prompt("", [], {"role": "user", "content": "word " * 400}, render=lambda m: " ".join(
            x["content"] for x in m), count=lambda t: len(t.split()), n_ctx=256, reserve=64)),
         "这条消息连同系统提示词需要 400 个 token，但上下文只容纳 256 个 token，其中 64 个留给回复，只剩 192 个。",
         "请缩短消息"),
        (raised(lambda: search_repos("qwen")), "无法连接模型中心（http://127.0.0.1:", "Hearth 处于离线状态"),
        (store_error(sqlite3.OperationalError("attempt to write a readonly database"), database),
         f"数据库 {database} 是只读的。", f"请检查 {database} 及其所在文件夹 {tmp_path} 的权限"),
        (store_error(sqlite3.OperationalError("database or disk is full"), database),
         f"磁盘已满：无法写入 {database}。", f"请在 {tmp_path} 所在的磁盘上腾出一些空间"),
    ]
    for exc, message, hint in cases:
        text = errors_ui.details(exc)
        assert text.startswith(message) and hint in text.split("\n", 1)[1], (exc.code, text, exc.full_text())
        assert CJK.search(errors_ui.headline(exc)), errors_ui.headline(exc)


def test_an_occurrence_without_its_parameters_falls_back_to_english(chinese) -> None:
    exc = errors.RepoNotFound("The repository a/b has no such revision.")   # raised with no params
    assert errors_ui.message(exc) == "The repository a/b has no such revision."
    assert errors_ui.hint(exc).startswith("请检查仓库名称")   # the class's hint is still translated


def test_every_error_hint_and_word_has_a_translation(chinese) -> None:
    hints = {cls.__dict__["hint"]: cls.__name__ for cls in _subclasses(errors.HearthError) if cls.__dict__.get("hint")}
    missing = [name for hint, name in hints.items() if hint not in error_texts.HINT_TEXTS]
    assert not missing, f"hints with no entry in desktop/error_texts.py HINT_TEXTS: {missing}"
    untranslated = [text for context, texts in (("ErrorHint", error_texts.HINT_TEXTS),
                                                ("ErrorMessage", error_texts.MESSAGE_TEXTS),
                                                ("ErrorMessage", tuple(error_texts.MESSAGES.values())),
                                                ("ErrorHint", tuple(error_texts.HINT_TEMPLATES.values())),
                                                ("ErrorWords", error_texts.WORDS))
                    for text in texts if not CJK.search(QCoreApplication.translate(context, text))]
    assert not untranslated, f"not translated into Chinese: {untranslated}"
    assert {name for _, name in _OTHER_FILES} <= set(error_texts.WORDS)
    codes = {cls.__name__ for cls in _subclasses(errors.HearthError)}
    assert {code for code, _ in error_texts.MESSAGES} <= codes


def _subclasses(cls: type) -> list[type]:
    return [c for sub in cls.__subclasses__() for c in (sub, *_subclasses(sub))]


def test_the_search_count_follows_a_language_switch(qtbot, app: HearthApp, fake) -> None:
    fake.replies = [["Basil likes sun."], ["Water it."]]
    chat(qtbot, app, "How do I grow basil?", "And basil in winter?")
    conversations = app.window.conversations
    conversations.search_box.setText("basil")
    label = conversations.results_label
    qtbot.waitUntil(lambda: label.isVisible() and "match" in label.text(), timeout=5000)
    english = label.text()
    assert re.fullmatch(r"[2-4] messages match", english), english
    languages.install(QApplication.instance(), "zh_CN")   # as Settings → Language does, live
    try:
        qtbot.waitUntil(lambda: CJK.search(label.text()) is not None, timeout=2000)
        assert english[0] in label.text() and "match" not in label.text(), label.text()
        assert conversations.new_button.text() != "New chat"
    finally:
        languages.install(QApplication.instance(), "en")
    qtbot.waitUntil(lambda: label.text() == english, timeout=2000)
    wait_database(qtbot, app)


class _Knowledge:
    """Answers every search with ``n`` passages at once (the tab's own rendering is what is tested here)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def search(self, name: str, query: str, k: int, on_result: Callable[[list[Hit]], None],
               on_error: Callable[[object], None], mode: str = "") -> None:
        on_result([Hit(i, name, f"/docs/{i}.md", f"basil note {i}", 1, 1, None, "", 1 / (60 + i), keyword_rank=i + 1,
                       keyword_score=-1.0) for i in range(self.n)])


def test_the_passage_count_follows_a_language_switch(qtbot) -> None:
    tab = RetrievalTest(_Knowledge(10), on_error=lambda exc: None)   # type: ignore[arg-type]
    qtbot.addWidget(tab)
    tab.set_collection("notes")
    tab.query.setText("basil")
    tab.test_query()
    english = tab.status.text()
    assert english.startswith("10 passages, best first"), english
    detail = tab.detail.toPlainText()
    assert "Keyword search: rank 1" in detail
    languages.install(QApplication.instance(), "zh_CN")
    try:
        qtbot.waitUntil(lambda: CJK.search(tab.status.text()) is not None, timeout=2000)
        assert "10" in tab.status.text() and "passages" not in tab.status.text(), tab.status.text()
        assert "Keyword search" not in tab.detail.toPlainText() and CJK.search(tab.detail.toPlainText())
    finally:
        languages.install(QApplication.instance(), "en")
    qtbot.waitUntil(lambda: tab.status.text() == english, timeout=2000)


def test_qt_own_catalogue_is_found_with_the_pyside6_wheel(chinese) -> None:
    """File dialogs and standard buttons speak Chinese: qtbase_zh_CN.qm ships in PySide6's wheel."""
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    cancel = box.button(QDialogButtonBox.StandardButton.Cancel)
    assert isinstance(cancel, QPushButton) and CJK.search(cancel.text()), cancel.text()
