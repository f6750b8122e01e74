"""The knowledge window's embedding model list offers the user's remote backends, driven like a user on the
real engine: a REAL llama-server (``--embeddings``, all-MiniLM-L6-v2 as ``minilm``) re-embeds a collection
chosen onto it, read back from the database; a backend whose server is gone gives the error dialog's
message and hint, and the collection keeps its model. The backends are read on the knowledge thread."""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from desktop.background.knowledge import KnowledgeThread
from desktop.knowledge import embedder_choice
from desktop.knowledge.window import KnowledgeWindow
from engine.home import open_home
from engine.remote import Backend, Backends
from tests.desktop.conftest import closed_port_url
from tests.engine.remote.test_backends import SECRET, MemoryKeyring, keychain  # noqa: F401
from tests.remote_server import EMBED_MODEL_ID, LlamaServer, embedding_server, llama_server_bin  # noqa: F401

WAIT = 120_000
DOCS = {
    "kettle.md": "# The Zephyr kettle\n\nThe Zephyr kettle boils one litre of water in exactly 97 seconds.\n",
    "bicycle.md": "# Bicycle care\n\nPump the tyres of a road bike to about seven bar and oil the chain.\n",
    "garden.md": "# Growing tomatoes\n\nTomato plants want full sun and deep watering twice a week.\n",
}
ON_SERVER = "minilm · on emb (remote)"
GONE = "nomic-embed-text · on gone (remote)"
REMOTE = "remote://emb/minilm"


@pytest.fixture
def backends(embedding_server: LlamaServer, keychain: MemoryKeyring, hearth_home: Path) -> None:  # noqa: F811
    """Three backends in the test home: the real embedding server (with a key, kept in the keychain), one
    whose server is gone, and one naming no model (not offered)."""
    with open_home().store() as store:
        listed = Backends(store)
        listed.add(Backend("emb", embedding_server.url, preset="llama-server", model=EMBED_MODEL_ID, api_key=SECRET))
        listed.add(Backend("gone", closed_port_url(), preset="ollama", model="nomic-embed-text"))
        listed.add(Backend("chat-box", closed_port_url(), preset="llama-server"))


@pytest.fixture
def knowledge(qtbot, minilm_path: Path, backends: None) -> Iterator[KnowledgeThread]:
    thread = KnowledgeThread(embedder=minilm_path)
    yield thread
    thread.stop(timeout=60)


def items(window: KnowledgeWindow) -> list[str]:
    box = window.embedder.box
    return [box.itemText(i) for i in range(box.count())]


def choose(window: KnowledgeWindow, text: str) -> None:
    """Pick ``text`` in the embedding model list, as a click does (``activated``)."""
    box = window.embedder.box
    index = items(window).index(text)
    box.setCurrentIndex(index)
    box.activated.emit(index)


def stored(name: str) -> tuple[str | None, str | None, int | None]:
    """The collection's (embedder, embed_model, embed_dim), read from the database file itself."""
    with sqlite3.connect(open_home().paths.database) as conn:
        row = conn.execute("SELECT embedder, embed_model, embed_dim FROM kb_collections WHERE name = ?",
                           (name,)).fetchone()
    assert row is not None, name
    return row


def test_a_backend_is_offered_and_chosen_and_a_gone_one_is_refused_in_the_dialog(
        qtbot, knowledge: KnowledgeThread, hearth_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
        ) -> None:
    threads: list[str] = []
    listing = embedder_choice.remote_embedders

    def remote_embedders(store):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread().name)
        return listing(store)
    monkeypatch.setattr(embedder_choice, "remote_embedders", remote_embedders)

    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    window = KnowledgeWindow(knowledge)
    qtbot.addWidget(window)
    window.show()
    window.add_paths([str(docs)])   # embedded here first, by the local MiniLM
    qtbot.waitUntil(lambda: (s := window.statuses.get("docs")) is not None and s.collection.state == "idle"
                    and s.chunks == 3 and s.embedded == 3, timeout=WAIT)
    local_model = stored("docs")[1]
    assert local_model and not local_model.startswith("remote://") and stored("docs")[2] == 384

    # the backends naming a model are listed after the local models, each saying where the text goes
    qtbot.waitUntil(lambda: ON_SERVER in items(window))
    listed = items(window)
    assert GONE in listed and listed.index(ON_SERVER) < listed.index(GONE)
    assert not [text for text in listed if "chat-box" in text]   # no model named: not offered
    assert listed.index("all-MiniLM-L6-v2.F16.gguf") < listed.index(ON_SERVER)
    box = window.embedder.box
    assert box.itemData(listed.index(ON_SERVER)) == REMOTE
    tooltip = box.itemData(listed.index(ON_SERVER), Qt.ItemDataRole.ToolTipRole)
    assert "text of the documents is sent to the server of backend emb" in tooltip and "to be embedded" in tooltip
    assert "127.0.0.1" in tooltip and SECRET not in tooltip
    assert threads and set(threads) == {"hearth-knowledge"}   # never the GUI thread's own store

    # choosing the server's model asks first, then re-embeds the collection through it
    choose(window, ON_SERVER)
    confirm = window.findChild(QMessageBox, "kbConfirmEmbedder")
    assert confirm is not None and confirm.isVisible() and ON_SERVER in confirm.text()
    assert "Its 3 passages will be embedded again" in confirm.text()
    confirm.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: stored("docs")[1] == REMOTE and (s := window.statuses.get("docs")) is not None
                    and s.collection.embed_model == REMOTE and s.collection.state == "idle"
                    and s.embedded == 3, timeout=WAIT)
    assert stored("docs") == (REMOTE, REMOTE, 384)
    qtbot.waitUntil(lambda: box.currentText() == ON_SERVER)
    assert not window.embedder.warning.isVisible()
    assert "minilm" in window.model_label.text() and "384" in window.model_label.text()

    # a backend whose server is gone: the error dialog says so and what to do; the collection keeps its model
    choose(window, GONE)
    confirm = window.findChild(QMessageBox, "kbConfirmEmbedder")
    assert confirm is not None and GONE in confirm.text()
    confirm.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "errorDialog") is not None, timeout=30_000)
    dialog = window.findChild(QMessageBox, "errorDialog")
    assert dialog.isVisible()
    said = dialog.informativeText()
    assert "Backend 'gone' did not answer" in said and "Connection refused" in said, said
    assert "Start the server, or check the address and port" in said, said
    qtbot.waitUntil(lambda: box.currentText() == ON_SERVER)   # the list is back on the collection's model
    assert stored("docs") == (REMOTE, REMOTE, 384)
    dialog.close()
    window.close()


def test_a_collection_on_a_backend_no_longer_listed_still_shows_its_model(
        qtbot, knowledge: KnowledgeThread, hearth_home: Path) -> None:
    """The backend removed after the collection chose it: the list names it as it was, selected."""
    done: list[object] = []
    knowledge.create("Notes", done.append, done.append)
    qtbot.waitUntil(lambda: bool(done))
    with open_home().store() as store:
        from engine.knowledge.base import KnowledgeBase
        KnowledgeBase(store).set_embedder("Notes", REMOTE)
        Backends(store).remove("emb")
    window = KnowledgeWindow(knowledge)
    qtbot.addWidget(window)
    knowledge.refresh()
    qtbot.waitUntil(lambda: "Notes" in window.statuses and window.statuses["Notes"].collection.embedder == REMOTE
                    and GONE in items(window), timeout=30_000)
    assert ON_SERVER in items(window) and window.embedder.box.currentText() == ON_SERVER
    assert window.embedder.box.itemData(window.embedder.box.currentIndex()) == REMOTE
    window.close()
