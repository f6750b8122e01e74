"""Knowledge that was found but did not fit, and "answer only from documents" in Chinese (issue 18).

End to end with the real SmolLM2 model and the real all-MiniLM-L6-v2 embedder, through ``Chat``:

- At a 512-token context, five passages of GPL-3 match the question but none fits the 128 tokens the old
  fixed allowance left them ("Nothing in GPL-3 matched"), nor the ~200 the prompt leaves. The reply's
  record counts them (``relevant``, ``unfitted``) and names the context at which all fit (``fit_ctx``);
  at that context all are sent, more than the old fixed allowance would have taken. In documents-only
  mode the refusal says they did not fit, not that nothing was found.
- A Chinese collection embedded by the English-only MiniLM: a question its documents cover is answered
  with sources; one they do not cover is refused, although MiniLM's cosine for it is above its floor.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest

from engine.chat.fitting import SourcesRoom, knowledge_allowance
from engine.chat.service import Chat
from engine.knowledge import collections as library
from engine.knowledge.base import KnowledgeBase
from engine.knowledge.prompting import NOT_FITTED, NOT_FOUND, compose
from engine.runtime.client import Runtime
from engine.sampling import Sampling
from engine.store import Store

DATA = Path(__file__).resolve().parents[2] / "data" / "kb_quality"
GPL3 = DATA / "en" / "GPL-3"
QUESTION = "Can I convey object code by offering the source code from a network server?"
SAMPLING = Sampling(temperature=0.0, seed=1, max_tokens=256)   # the reply keeps 256 of 512, as by default


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory, smollm2_path: Path,
          minilm_path: Path) -> Iterator[tuple[Store, Runtime, KnowledgeBase, Chat]]:
    folder = tmp_path_factory.mktemp("knowledge-fit")
    docs = folder / "docs"
    docs.mkdir()
    shutil.copy(GPL3, docs / "GPL-3")
    (folder / "zh").mkdir()
    for name in ("量化入门.md", "溫度與取樣參數.md", "GGUF下载与校验.md"):
        shutil.copy(DATA / "zh" / name, folder / "zh" / name)
    store = Store(folder / "hearth.db")
    runtime = Runtime(log_path=folder / "llama.log", cache_dir=folder)
    kb = KnowledgeBase(store, runtime, embedder=minilm_path)
    for name, source in (("GPL-3", docs), ("本地模型", folder / "zh")):
        kb.create(name)
        kb.add(name, [source])
        assert [p.state for p in kb.index(name)][-1] == "done"
    runtime.load(smollm2_path, n_ctx=512, n_threads=2)
    yield store, runtime, kb, Chat(store, runtime, knowledge=kb)
    kb.close()
    runtime.close()
    store.close()


def _conversation(store: Store, collection: str, *, documents_only: bool, model: Path) -> int:
    conv = store.create_conversation(model_path=str(model), ctx_size=512)
    library.use_collections(store.db.conn, conv.id, [library.get(store.db.conn, collection).id],
                            documents_only=documents_only)
    return conv.id


def _reply(chat: Chat, conversation_id: int, text: str, sampling: Sampling = SAMPLING) -> dict:
    events = list(chat.send(conversation_id, text, sampling=sampling))
    reply = chat.store.thread(conversation_id)[-1]
    assert reply.role == "assistant" and reply.status == "complete", (reply.status, reply.error)
    return {"reply": reply, "events": events, "knowledge": reply.record["knowledge"]}


def test_passages_that_did_not_fit_are_told_apart_and_fit_at_the_context_offered(
        parts: tuple[Store, Runtime, KnowledgeBase, Chat], smollm2_path: Path) -> None:
    store, runtime, kb, chat = parts
    assert runtime.info is not None and runtime.info.n_ctx == 512
    assert knowledge_allowance(512, 256) == 128   # what the old fixed allowance left the sources
    conv = _conversation(store, "GPL-3", documents_only=False, model=smollm2_path)
    hits = kb.search(["GPL-3"], QUESTION, k=8)
    relevant = kb.relevant(hits, QUESTION)
    # The old fixed allowance (128 tokens at 512) left room for none of them: "nothing matched"
    assert relevant and compose(QUESTION, relevant, documents_only=False, count=runtime.count_tokens,
                                budget_tokens=knowledge_allowance(512, 256)).sources == ()
    k = _reply(chat, conv, QUESTION)["knowledge"]
    # Nor does what the prompt leaves (about 200 tokens): the record says they matched but did not fit
    assert k["relevant"] == len(relevant) and k["sources"] == [] and k["unfitted"] == k["relevant"], k
    fit_ctx = k["fit_ctx"]
    assert fit_ctx is not None and fit_ctx % 256 == 0 and 512 < fit_ctx <= runtime.info.n_ctx_train, k

    # Documents only: the refusal says the passages did not fit, not that there were none.
    only = _conversation(store, "GPL-3", documents_only=True, model=smollm2_path)
    refused = _reply(chat, only, QUESTION)
    assert refused["knowledge"]["relevant"] and refused["knowledge"]["sources"] == []
    assert refused["knowledge"].get("not_fitted") and not refused["knowledge"].get("not_found")
    assert refused["knowledge"]["fit_ctx"] is not None
    assert refused["reply"].content == NOT_FITTED.format(names="GPL-3", n_ctx=512)
    assert refused["reply"].record["finish_reason"] == "not_fitted"

    # At the context offered, the passages go into the prompt and the reply cites from them.
    runtime.load(smollm2_path, n_ctx=fit_ctx, n_threads=2)
    try:
        store.update_conversation(conv, ctx_size=fit_ctx)
        again = list(chat.regenerate(store.thread(conv)[-1].id, sampling=SAMPLING))
        reply = store.thread(conv)[-1]
        k2 = reply.record["knowledge"]
        assert reply.record["n_ctx"] == fit_ctx and reply.status == "complete"
        assert len(k2["sources"]) == k["relevant"] and k2["unfitted"] == 0 and k2["fit_ctx"] is None, k2
        # all of them: more than the old fixed allowance (half of what the reply leaves) would have taken
        assert k2["tokens"] > knowledge_allowance(fit_ctx, 256)
        assert any(type(e).__name__ == "ReplyStarted" for e in again)
    finally:
        runtime.load(smollm2_path, n_ctx=512, n_threads=2)


def test_the_allowance_is_sized_from_what_the_prompt_leaves() -> None:
    # question alone 40 tokens; with the history 100; the reply wants 256 at 512 (half the context)
    room = SourcesRoom(alone=40, whole=100, max_tokens=1024, n_ctx=512, n_ctx_max=8192)
    assert room.allowance() == 512 - 256 - 100 > knowledge_allowance(512, 256)
    crowded = SourcesRoom(alone=40, whole=400, max_tokens=1024, n_ctx=1024, n_ctx_max=8192)
    assert crowded.allowance() == knowledge_allowance(1024, 512)   # earlier turns give way to the floor
    assert room.context_for(room.allowance()) == 768   # the next step up, even when it fits now
    needed = 1000
    fit = room.context_for(needed)
    assert fit is not None and room.allowance(fit) >= needed > room.allowance(fit - 256)
    assert SourcesRoom(40, 100, 1024, 512, 1024).context_for(5000) is None   # past the trained context


def test_a_chinese_collection_refuses_what_it_does_not_cover(
        parts: tuple[Store, Runtime, KnowledgeBase, Chat], smollm2_path: Path) -> None:
    store, runtime, kb, chat = parts
    runtime.load(smollm2_path, n_ctx=2048, n_threads=2)   # room for the sources: this is about relevance
    try:
        uncovered = "北京烤鸭怎么做？"
        hits = kb.search(["本地模型"], uncovered, k=8)
        # MiniLM understands no Chinese: its cosine for a question about cooking clears its floor anyway
        assert hits and max(h.vector_score or 0 for h in hits) >= kb.min_similarity
        conv = _conversation(store, "本地模型", documents_only=True, model=smollm2_path)
        short = Sampling(temperature=0.0, seed=1, max_tokens=32)
        refused = _reply(chat, conv, uncovered, short)
        assert refused["knowledge"].get("not_found") and refused["knowledge"]["relevant"] == 0
        assert refused["reply"].content == NOT_FOUND.format(names="本地模型")

        covered = _reply(chat, conv, "Q4_K_M 占多少内存", short)
        k = covered["knowledge"]
        assert not k.get("not_found") and k["sources"], k
        assert any(Path(s["path"]).name == "量化入门.md" for s in k["sources"])
        assert covered["reply"].record["finish_reason"] != "not_found" and covered["reply"].content.strip()
    finally:
        runtime.load(smollm2_path, n_ctx=512, n_threads=2)


COVERED = ["Q4_K_M 占多少内存", "温度设成0会怎样？", "下到一半断网了，是不是得从头重新下", "13B的Q4和7B的Q8哪个效果好",
           "Windows 上怎么算文件的 sha256"]
UNCOVERED = ["北京烤鸭怎么做？", "长城有多长？", "红烧肉的做法是什么？", "世界上最高的山是哪座？", "如何学习弹钢琴？",
             "怎么做一个好吃的蛋糕？", "量子计算机的原理是什么？"]


def test_relevance_by_words_when_the_embedder_cannot_read_the_question(
        parts: tuple[Store, Runtime, KnowledgeBase, Chat]) -> None:
    _, _, kb, _ = parts
    for question in COVERED:
        assert kb.relevant(kb.search(["本地模型"], question, k=8), question), question
    for question in UNCOVERED:   # each shares a word or two with the articles (有多, 做法, 原理…), no more
        hits = kb.search(["本地模型"], question, k=8)
        assert hits and kb.relevant(hits, question) == [], question
    # An English question keeps MiniLM's cosine floor, whatever words it shares
    english = "What is the boiling point of mercury in Fahrenheit?"
    assert kb.relevant(kb.search(["GPL-3"], english, k=8), english) == []
