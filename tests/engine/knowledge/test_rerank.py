"""The rerank stage: its features on hand-made candidates, and the retrieval modes on a real index.

The first tests call ``rerank`` on term sequences made by the real ``normalize`` (Snowball stems,
Chinese two-character grams); the last index real files with the real all-MiniLM-L6-v2 and search
them in every mode, and with collections embedded by different models.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

from engine.knowledge import normalize, rerank
from engine.knowledge.base import KnowledgeBase
from engine.knowledge.rerank import Candidate
from engine.knowledge.retrieval import MODES, Retriever
from engine.runtime.client import Runtime
from engine.store import Store


def cand(chunk_id: int, text: str, title: str = "") -> Candidate:
    return Candidate(chunk_id, normalize.index_terms(text), normalize.index_terms(title))


def ids(scored: list[rerank.Scored]) -> list[int]:
    return [s.chunk_id for s in scored]


def test_the_passage_holding_the_phrase_beats_the_one_that_scatters_its_words() -> None:
    query = normalize.query_terms("What happens to the patent license when I start litigation?")
    scattered = cand(1, "This license covers software. " + "Filler words about distribution and copies. " * 8
                        + "A patent is a right. Litigation costs money.")
    together = cand(2, "If you institute patent litigation, the patent license granted to you terminates.")
    order = rerank.rerank(query, [scattered, together], {}, 1000)
    assert ids(order) == [2, 1]
    assert query == ["happen", "patent", "licens", "start", "litig"]
    best, second = dict(order[0].parts), dict(order[1].parts)
    # both hold patent, licens(e) and litig(ation) (equal weights: no frequencies given), one of them together
    assert best["coverage"] == second["coverage"] == pytest.approx(3 / 5)
    assert best["window"] == pytest.approx(3 / 5) and second["window"] == pytest.approx(2 / 5)
    assert best["phrase"] > 0 == second["phrase"]    # "patent litigation" stands as in the question... almost
    assert best["prior"] < second["prior"]          # it rose from second place


def test_chinese_words_held_together_count_and_traditional_matches_simplified() -> None:
    query = normalize.query_terms("量化會如何影響模型的精度？")
    apart = cand(1, "模型的训练需要大量数据。另外，精度和量化是两个不同的话题，这里不谈影响。")
    together = cand(2, "量化会降低模型的精度，但可以减少内存占用。")
    order = rerank.rerank(query, [apart, together], {}, 1000)
    assert ids(order) == [2, 1]
    assert dict(order[0].parts)["phrase"] > dict(order[1].parts)["phrase"]


def test_coverage_weighs_rare_terms_more_than_common_ones() -> None:
    query = normalize.query_terms("warranty disclaimer")
    common = cand(1, "The warranty applies.")
    rare = cand(2, "This disclaimer applies.")
    df = {"warranti": 900, "disclaim": 3}
    order = rerank.rerank(query, [common, rare], df, 1000)
    assert ids(order) == [2, 1]
    assert dict(order[0].parts)["coverage"] > 0.5 > dict(order[1].parts)["coverage"]


def test_the_title_counts() -> None:
    query = normalize.query_terms("GPL version 3 conveying")
    plain = cand(1, "Conveying copies of the program.", title="LGPL 2.1")
    titled = cand(2, "Conveying copies of the program.", title="GPL 3 GNU General Public License")
    scored = {s.chunk_id: s for s in rerank.rerank(query, [plain, titled], {}, 1000)}
    assert query == ["gpl", "version", "3", "convey"]
    assert dict(scored[2].parts)["title"] == pytest.approx(2 / 4) and dict(scored[1].parts)["title"] == 0
    # the same text, so the title and the fused rank make all the difference
    assert scored[2].score - scored[1].score == pytest.approx(
        rerank.W_TITLE * 2 / 4 - rerank.W_RANK * (rerank.prior(1) - rerank.prior(2)), abs=1e-3)


def test_ties_keep_the_fused_order() -> None:
    same = [cand(i, "the same text about tea and water") for i in (7, 3, 9, 1)]
    order = rerank.rerank(normalize.query_terms("tea water"), same, {}, 100)
    assert ids(order) == [7, 3, 9, 1]
    scores = [s.score for s in order]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 4  # only the prior tells them apart
    nothing = [cand(i, "") for i in (5, 2, 8)]
    assert ids(rerank.rerank(normalize.query_terms("tea"), nothing, {}, 100)) == [5, 2, 8]


def test_terms_no_chunk_holds_are_left_out() -> None:
    # 模型稳定输出 as a question's grams: 型稳 and 定输 stand across two words and are in no chunk
    query = normalize.query_terms("模型稳定输出")
    assert query == ["模型", "型稳", "稳定", "定输", "输出"]
    df = {"模型": 80, "型稳": 0, "稳定": 3, "定输": 0, "输出": 15}
    held = cand(1, "用语法约束输出，模型就能稳定地给出合法的格式。")
    other = cand(2, "模型的大小和内存。")
    best = dict(rerank.rerank(query, [other, held], df, 500)[0].parts)
    assert best["coverage"] == pytest.approx(1.0)   # all three of the terms some chunk holds
    with_absent = rerank.features(query, {t: rerank.idf(df[t], 500) for t in query}, held)
    assert with_absent["coverage"] < 0.5            # what counting the absent ones would have made of it
    # when no term is held anywhere, they are all kept (and every share is 0)
    assert rerank.rerank(["型稳"], [held], {"型稳": 0}, 500)[0].parts == (
        ("prior", 1.0), ("coverage", 0.0), ("window", 0.0), ("phrase", 0.0), ("title", 0.0))


def test_empty_inputs() -> None:
    assert rerank.rerank(normalize.query_terms("tea"), [], {}, 0) == []
    order = rerank.rerank([], [cand(4, "tea"), cand(6, "coffee")], {}, 10)
    assert ids(order) == [4, 6]
    assert all(dict(s.parts)[f] == 0.0 for s in order for f in rerank.FEATURES)
    assert rerank.features([], {}, cand(1, "tea")) == dict.fromkeys(rerank.FEATURES, 0.0)


def test_the_window_is_the_best_stretch_of_the_chunk() -> None:
    terms = ["a", "b", "c"]
    weight = dict.fromkeys(terms, 1.0)
    sequence = ["a", "x", "x", "x", "x", "x", "x", "x", "x", "b", "c", "a"]
    assert rerank._best_window(sequence, {t: i for i, t in enumerate(terms)}, terms, weight, 3) == 3.0
    assert rerank._best_window(sequence, {t: i for i, t in enumerate(terms)}, terms, weight, 2) == 2.0
    assert rerank._best_window(["x", "a", "x", "x", "b"], {t: i for i, t in enumerate(terms)}, terms, weight, 3) == 1.0


# --- on a real index -------------------------------------------------------------------------------------------
DOCS = {
    "tea.md": "# Brewing tea\n\nGreen tea is brewed at 80 degrees Celsius for two minutes.\n\n"
              "## Black tea\n\nBlack tea takes boiling water and four minutes.\n",
    "rust.md": "# Ownership\n\nEvery value in Rust has a single owner; when the owner goes out of scope the value "
               "is dropped.\n",
    "茶.md": "# 泡茶\n\n绿茶适合用八十度的水冲泡两分钟。红茶需要沸水，冲泡四分钟。\n",
}


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory, minilm_path: Path) -> Iterator[KnowledgeBase]:
    folder = tmp_path_factory.mktemp("rerank")
    docs = folder / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    store = Store(folder / "hearth.db")
    with Runtime(log_path=folder / "llama.log", cache_dir=folder) as runtime:
        base = KnowledgeBase(store, runtime, embedder=minilm_path)
        for name in ("Docs", "Copy"):
            base.create(name)
            base.add(name, [docs])
            assert [p.state for p in base.index(name)][-1] == "done"
        yield base
        base.close()
    store.close()


def test_every_mode_says_what_it_used(kb: KnowledgeBase) -> None:
    question = "how long should green tea be brewed"
    found = {mode: kb.search(["Docs"], question, k=3, mode=mode) for mode in MODES}
    for mode, hits in found.items():
        assert hits and Path(hits[0].path).name == "tea.md", (mode, [h.path for h in hits])
    assert all(h.vector_score is None and h.keyword_rank is not None for h in found["keyword"])
    assert all(h.keyword_score is None and h.vector_rank is not None for h in found["vectors"])
    assert all(h.rerank_score is None for mode in ("hybrid", "keyword", "vectors") for h in found[mode])
    reranked = found["hybrid+rerank"]
    assert all(h.rerank_score is not None for h in reranked)
    assert [h.rerank_score for h in reranked] == sorted((h.rerank_score for h in reranked), reverse=True)
    assert {name for name, _ in reranked[0].rerank_parts} == {"prior", *rerank.FEATURES}
    assert kb.search(["Docs"], "绿茶用几度的水", k=1, mode="keyword")[0].path.endswith("茶.md")
    with pytest.raises(ValueError, match="mode must be one of"):
        kb.search(["Docs"], question, mode="magic")


def test_each_collection_is_compared_with_the_question_by_its_own_model(kb: KnowledgeBase) -> None:
    docs, copy = kb.collection("Docs"), kb.collection("Copy")
    calls: list[str] = []
    real_key = kb.embedder().key

    def embed(model: str, text: str) -> np.ndarray | None:
        calls.append(model)
        return kb.runtime.embed([text])[0] if model == real_key else None

    retriever = Retriever(kb.conn, embed)
    try:
        hits = retriever.search([docs, copy], "green tea brewing time", k=6, mode="hybrid")
        assert calls == [real_key]   # one model, embedded once for both collections
        assert {h.collection for h in hits} == {"Docs", "Copy"} and all(h.vector_rank for h in hits[:2])

        calls.clear()   # "Copy" as if embedded by a model that is not loaded: searched by keyword only
        other = dataclasses.replace(copy, embed_model="other-model@0123456789abcdef")
        hits = retriever.search([docs, other], "green tea brewing time", k=6, mode="hybrid")
        assert sorted(calls) == sorted([real_key, "other-model@0123456789abcdef"])
        assert any(h.collection == "Copy" for h in hits)
        assert all(h.vector_score is None for h in hits if h.collection == "Copy")
        assert any(h.vector_score is not None for h in hits if h.collection == "Docs")
    finally:
        retriever.close()
