"""Knowledge that matched but did not fit: the window says so and raises the context in one click (issue 18).

Through the real engine: GPL-3 indexed by all-MiniLM-L6-v2, SmolLM2 answering in a chat set to a
512-token context with 256 tokens kept for the reply. The question matches passages of GPL-3 that do not
fit; the reply's notice says they matched but did not fit (not "Nothing in GPL-3 matched"), and its
button sets the chat's context to the size the engine found and writes the reply again, with them.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import Qt

from desktop.main.sources_view import SourcesView, not_found_text, refusal_text
from engine import Runtime, Store, paths
from engine.knowledge import collections as library
from engine.knowledge.base import KnowledgeBase
from tests.desktop.test_window_knowledge import use_collection
from tests.window_helpers import bubbles, close_app, in_database, make_app, type_and_send, wait_idle

GPL3 = Path(__file__).resolve().parents[1] / "data" / "kb_quality" / "en" / "GPL-3"
QUESTION = "Can I convey object code by offering the source code from a network server?"


def test_passages_that_did_not_fit_offer_a_context_where_they_do(qtbot, smollm2_path: Path, minilm_path: Path,
                                                                   tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(GPL3, docs / "GPL-3")
    with Runtime(log_path=tmp_path / "index.log", cache_dir=tmp_path) as indexer, Store(paths().database) as store:
        kb = KnowledgeBase(store, indexer, embedder=minilm_path)
        kb.create("GPL-3")
        kb.add("GPL-3", [docs])
        assert [p.state for p in kb.index("GPL-3")][-1] == "done"
    hearth = make_app(qtbot, smollm2_path, embedder=minilm_path)
    try:
        window = hearth.window
        qtbot.waitUntil(lambda: window.info is not None, timeout=60_000)
        qtbot.waitUntil(lambda: window.conversation is not None and window.settings.isEnabled())
        settings = window.settings
        settings.findChild(object, "temperatureSlider").setValue(0)
        settings.findChild(object, "maxTokens").setValue(256)
        settings.context_slider.setValue(512)
        settings.flush()
        conv_id = use_collection(qtbot, hearth, "GPL-3")

        type_and_send(qtbot, hearth, QUESTION)
        wait_idle(qtbot, hearth, timeout=240_000)
        assert window.info is not None and window.info.n_ctx == 512
        first = in_database(lambda s: s.thread(conv_id))[1]
        k = first.record["knowledge"]
        assert k["relevant"] >= 1 and k["sources"] == [] and k["unfitted"] == k["relevant"], k
        view = bubbles(hearth)[1].sources
        notice = view.status.text()
        assert view.status.isVisible() and "Nothing in" not in notice, notice
        # (the English plural forms come from desktop/i18n/hearth_en.ts: "passage" or "passages")
        assert notice.startswith(f"{k['relevant']} passage") and "in GPL-3 matched the question but did not fit " \
            "in this chat's context of 512 tokens" in notice, notice
        fit_ctx = k["fit_ctx"]
        button = view.raise_button
        assert button.isVisible() and button.text() == f"Use {fit_ctx:,} tokens and answer again"

        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.generation is not None, timeout=5_000)
        wait_idle(qtbot, hearth, timeout=300_000)
        assert in_database(lambda s: s.conversation(conv_id)).ctx_size == fit_ctx
        assert window.info.n_ctx == fit_ctx and settings.context_size() == fit_ctx
        thread = in_database(lambda s: s.thread(conv_id))
        again = thread[-1]
        assert len(thread) == 2 and again.id != first.id and again.parent_id == first.parent_id   # a sibling
        k2 = again.record["knowledge"]
        assert again.record["n_ctx"] == fit_ctx and len(k2["sources"]) == k["relevant"] and not k2["unfitted"]
        view = bubbles(hearth)[1].sources
        assert view.toggle.isVisible() and not view.raise_button.isVisible()
        assert not view.status.isVisible()
        assert in_database(lambda s: library.conversation_collections(s.conn, conv_id))[0].name == "GPL-3"
    finally:
        close_app(hearth)


def test_the_notice_tells_nothing_relevant_from_not_fitted(qtbot) -> None:
    view = SourcesView()
    qtbot.addWidget(view)
    base = {"collections": ["GPL-3"], "searched": 8, "n_ctx": 512, "sources": []}
    view.set_knowledge({**base, "relevant": 0, "unfitted": 0, "fit_ctx": None}, streaming=False)
    assert view.status.text().startswith("Nothing in GPL-3 matched") and view.raise_button.isHidden()

    source = {"n": 1, "path": "/nowhere/GPL-3", "text": "a passage", "score": 0.03}
    view.set_knowledge({**base, "sources": [source], "relevant": 3, "unfitted": 2, "fit_ctx": 1536},
                       streaming=True)
    assert view.raise_button.isHidden()   # not while the reply is written
    view.set_knowledge({**base, "sources": [source], "relevant": 3, "unfitted": 2, "fit_ctx": 1536},
                       streaming=False)
    assert "more passage" in view.status.text() and "context of 512 tokens" in view.status.text()
    assert not view.raise_button.isHidden() and view.raise_button.text() == "Use 1,536 tokens and answer again"
    with qtbot.waitSignal(view.raise_context) as offered:
        qtbot.mouseClick(view.raise_button, Qt.MouseButton.LeftButton)
    assert offered.args == [1536]

    too_long = {**base, "relevant": 2, "unfitted": 2, "fit_ctx": None, "documents_only": True, "not_fitted": True}
    view.set_knowledge(too_long, streaming=False)
    assert view.raise_button.isHidden() and "even at its largest context" in view.status.text()
    assert "from the model alone" not in view.status.text()   # documents only: the model did not answer
    refusal = refusal_text(too_long)
    assert refusal is not None and "none of them fits in this chat's context of 512 tokens" in refusal
    assert refusal_text({**base, "not_found": True}) == not_found_text(["GPL-3"])
    assert refusal_text(base) is None
