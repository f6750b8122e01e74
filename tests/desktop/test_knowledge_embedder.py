"""The knowledge window's embedding model, driven like a user on the real engine: the list of installed
models, the English-only warning on a Chinese collection, a change asked for and re-embedded (with the
tiny multilingual BERT through llama.cpp), "Download a multilingual model…", and a model file that is gone."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtWidgets import QMessageBox

from desktop.background.knowledge import KnowledgeThread
from desktop.knowledge.embedder_choice import DOWNLOAD
from desktop.knowledge.window import KnowledgeWindow
from tests import multilingual_bert

WAIT = 120_000
CHINESE = {
    "茶.md": "# 茶的冲泡\n\n绿茶适合用八十度的水冲泡两分钟，水温太高会让茶汤发苦。红茶需要沸水，冲泡四分钟。\n",
    "模型.md": "# 本地模型\n\n在笔记本电脑上运行 7B 模型大约需要 4.5 GB 内存。嵌入模型把每段文字变成一个向量。\n",
    "园艺.txt": "番茄每天需要六小时的日照，每周深浇水两次。叶子上的蚜虫可以用肥皂水洗掉。\n",
}


@pytest.fixture
def tiny(hearth_home: Path) -> Path:
    models = hearth_home / "models"
    models.mkdir(parents=True, exist_ok=True)
    return multilingual_bert.write(models / "tiny-multilingual-bert.gguf")   # installed: in the models folder


@pytest.fixture
def knowledge(qtbot, minilm_path: Path, tiny: Path) -> Iterator[KnowledgeThread]:
    thread = KnowledgeThread(embedder=minilm_path)
    yield thread
    thread.stop(timeout=60)


def items(window: KnowledgeWindow) -> list[str]:
    box = window.embedder.box
    return [box.itemText(i) for i in range(box.count())]


def choose(window: KnowledgeWindow, text: str) -> None:
    """Pick ``text`` in the embedding model list, as a click does (``activated``, not a programmatic change)."""
    box = window.embedder.box
    index = items(window).index(text)
    box.setCurrentIndex(index)
    box.activated.emit(index)


def shown_collection(window: KnowledgeWindow, name: str):  # type: ignore[no-untyped-def]
    status = window.statuses.get(name)
    return status.collection if status is not None else None


def test_a_chinese_collection_is_warned_then_switched_to_the_multilingual_model(
        qtbot, knowledge: KnowledgeThread, tmp_path: Path, minilm_path: Path, tiny: Path) -> None:
    docs = tmp_path / "资料"
    docs.mkdir()
    for name, text in CHINESE.items():
        (docs / name).write_text(text, encoding="utf-8")
    window = KnowledgeWindow(knowledge)
    qtbot.addWidget(window)
    window.show()
    window.add_paths([str(docs)])      # no collection yet: one named after the folder
    qtbot.waitUntil(lambda: (c := shown_collection(window, "资料")) is not None and c.embed_dim == 384
                    and window.statuses["资料"].chunks >= 3 and c.state == "idle", timeout=WAIT)
    qtbot.waitUntil(lambda: bool(window.embedder.options))
    assert window.embedder.caption.text() == "Embedding model:"
    listed = items(window)
    assert "tiny-multilingual-bert — multilingual" in listed and "all-MiniLM-L6-v2 — English only" in listed
    assert listed[-1] == "Download a multilingual model…"
    # the collection's own model (the test's MiniLM file, outside the models folder) is the one selected
    assert window.embedder.box.currentText() == minilm_path.name
    assert "all-MiniLM-L6-v2" in window.model_label.text() and "384" in window.model_label.text()
    warning = window.embedder.warning
    qtbot.waitUntil(warning.isVisible)
    assert "mostly Chinese" in warning.text() and "only English" in warning.text()
    assert "BGE-M3 (630 MB download)" in warning.text() and "keyword search still works" in warning.text()

    # Changing the model asks first; No leaves everything as it was.
    chunks = window.statuses["资料"].chunks
    choose(window, "tiny-multilingual-bert — multilingual")
    box = window.findChild(QMessageBox, "kbConfirmEmbedder")
    assert box is not None and box.isVisible()
    assert f"Its {chunks} passages will be embedded again" in box.text() and "tiny-multilingual-bert" in box.text()
    box.button(QMessageBox.StandardButton.No).click()
    qtbot.waitUntil(lambda: window.embedder.box.currentText() == minilm_path.name)
    assert shown_collection(window, "资料").embedder == str(minilm_path)

    # Yes: the collection is embedded again by the multilingual model, and the warning goes.
    choose(window, "tiny-multilingual-bert — multilingual")
    box = window.findChild(QMessageBox, "kbConfirmEmbedder")
    assert box is not None
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: (c := shown_collection(window, "资料")) is not None and c.embed_dim == 64
                    and c.state == "idle" and window.statuses["资料"].embedded == chunks, timeout=WAIT)
    assert shown_collection(window, "资料").embedder == str(tiny)
    assert window.embedder.box.currentText() == "tiny-multilingual-bert — multilingual"
    assert "tiny-multilingual-bert" in window.model_label.text() and "64" in window.model_label.text()
    assert not warning.isVisible()

    # "Download a multilingual model…" opens the model manager on one (when there is one to open) …
    asked: list[str] = []
    window.embedder.open_download = asked.append
    choose(window, "Download a multilingual model…")
    assert asked == ["ggml-org/bge-m3-Q8_0-GGUF"]
    assert window.embedder.box.currentText() == "tiny-multilingual-bert — multilingual"   # the model stays
    # … else says where to find it.
    window.embedder.open_download = None
    choose(window, "Download a multilingual model…")
    hint = window.findChild(QMessageBox, "kbDownloadHint")
    assert hint is not None and "BGE-M3" in hint.text() and "File → Models" in hint.text()
    hint.close()
    assert window.embedder.box.itemData(window.embedder.box.count() - 1) == DOWNLOAD

    # The model file deleted: the warning says so; the list still names it.
    shutil.move(tiny, tmp_path / "elsewhere.gguf")
    window.embedder.refresh()
    knowledge.refresh()
    qtbot.waitUntil(lambda: "is missing" in warning.text() and warning.isVisible(), timeout=30_000)
    assert "tiny-multilingual-bert.gguf" in warning.text() and "keyword search still works" in warning.text()
    qtbot.waitUntil(lambda: window.embedder.box.currentText() == "tiny-multilingual-bert.gguf")


def test_download_opens_the_main_windows_model_manager_on_the_repository(qtbot, knowledge: KnowledgeThread) -> None:
    from PySide6.QtCore import Signal
    from PySide6.QtWidgets import QTabWidget, QWidget

    from desktop.knowledge.window import open_knowledge

    class Manager(QWidget):   # the model manager's part open_knowledge uses
        models_changed = Signal()

        def __init__(self) -> None:
            super().__init__()
            self.tabs = QTabWidget()
            self.tabs.addTab(QWidget(), "Installed")
            self.tabs.addTab(QWidget(), "Find")
            self.shown: list[str] = []

        def show_repo(self, repo: str) -> None:
            self.shown.append(repo)

    class Owner(QWidget):
        def __init__(self) -> None:
            super().__init__()
            self.manager = Manager()

        def open_model_manager(self) -> Manager:
            return self.manager

    owner = Owner()
    qtbot.addWidget(owner)
    window = open_knowledge(owner, knowledge, None)
    qtbot.waitUntil(lambda: bool(window.embedder.options))
    assert window.embedder.ask_download() is None
    assert owner.manager.shown == ["ggml-org/bge-m3-Q8_0-GGUF"] and owner.manager.tabs.currentIndex() == 1
    refreshed: list[object] = []
    knowledge.embedders = lambda on_result, on_error=None: refreshed.append(on_result)  # type: ignore[method-assign]
    owner.manager.models_changed.emit()   # a download finished: the list is asked for again
    assert len(refreshed) == 1
    window.close()
