"""``hearth chat --conversation N`` answers from that conversation's knowledge collections.

The terminal used to build its chat service without the knowledge base, so a conversation set to
answer only from its documents got a reply from the model's memory, with no sources. It now gets its
engine objects from ``engine.home``, like the window. End to end: ``hearth kb add`` indexes a note
with the real MiniLM embedder, the conversation is attached to it (documents only), and ``hearth
chat`` with the real SmolLM2 model stores a reply whose record lists the note as its source.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from engine.knowledge import collections as library
from engine.store import Store

ROOT = Path(__file__).resolve().parents[2]


def test_chat_answers_from_the_conversations_collections(hearth_home: Path, tmp_path: Path, minilm_path: Path,
                                                         smollm2_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "kettle.md").write_text("# The Zephyr kettle\n\nThe Zephyr kettle boils one litre of water in "
                                    "exactly 97 seconds and switches itself off.\n", encoding="utf-8")
    # `hearth chat` has no --embedder: its knowledge base uses the default embedder, which is the
    # starter (the same MiniLM GGUF, byte for byte) when its package is installed, else the first
    # embedding model installed in the home. Install MiniLM there so the default is found either way.
    models = hearth_home / "models"
    models.mkdir(parents=True, exist_ok=True)
    (models / minilm_path.name).symlink_to(minilm_path)
    env = {**os.environ, "HEARTH_HOME": str(hearth_home)}

    def hearth(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "desktop.cli.main", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=300)

    added = hearth("kb", "add", "Appliances", str(docs), "--embedder", str(minilm_path))
    assert added.returncode == 0, added.stderr
    assert "1 files indexed" in added.stdout, added.stdout

    with Store(hearth_home / "hearth.db") as store:
        conv = store.create_conversation(model_path=str(smollm2_path), ctx_size=2048)
        coll = library.get(store.db.conn, "Appliances")
        library.use_collections(store.db.conn, conv.id, [coll.id], documents_only=True)

    chatted = hearth("chat", "--conversation", str(conv.id), "--seed", "1", "--max-tokens", "48",
                     "--threads", "2", "How long does the Zephyr kettle take to boil water?")
    assert chatted.returncode == 0, chatted.stderr

    with Store(hearth_home / "hearth.db") as store:
        reply = store.thread(conv.id)[-1]
    assert reply.role == "assistant" and reply.status == "complete", (reply.status, chatted.stderr)
    knowledge = reply.record.get("knowledge")
    assert knowledge is not None, f"the reply ignored the conversation's collections: {reply.record}"
    assert knowledge["collections"] == ["Appliances"] and knowledge["documents_only"] is True
    assert not knowledge.get("not_found"), knowledge
    sources = knowledge["sources"]
    assert sources and Path(sources[0]["path"]).name == "kettle.md", sources
    assert "97 seconds" in sources[0]["text"] and sources[0]["vector_score"] is not None
