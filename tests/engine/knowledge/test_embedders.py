"""Each collection's own embedding model: the multilingual path (a tiny multilingual BERT GGUF through
llama.cpp), switching a collection's model, a missing model file, the English-only warning for Chinese
collections, and the picker's list of installed and downloadable models."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

from engine import errors
from engine.knowledge.base import KnowledgeBase
from engine.models import embedders
from engine.models.catalog import load_catalog
from engine.runtime.client import Runtime
from engine.store import Store
from tests import multilingual_bert

CHINESE = {
    "茶.md": "# 茶的冲泡\n\n绿茶适合用八十度的水冲泡两分钟，水温太高会让茶汤发苦。红茶需要沸水，冲泡四分钟。\n\n"
             "乌龙茶可以反复冲泡五到七次，每次时间逐渐延长。\n",
    "模型.md": "# 本地模型\n\n在笔记本电脑上运行 7B 模型大约需要 4.5 GB 内存。量化可以把显存占用降低 30% 左右。\n\n"
               "嵌入模型把每段文字变成一个向量，检索时比较问题和段落的向量。\n",
    "园艺.txt": "番茄每天需要六小时的日照，每周深浇水两次。叶子上的蚜虫可以用肥皂水洗掉。\n",
}
ENGLISH = {
    "kettle.md": "# The Zephyr kettle\n\nThe Zephyr kettle boils one litre of water in exactly 97 seconds.\n",
    "tea.txt": "Green tea should be brewed at 80 degrees Celsius for two minutes.\n",
}


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return multilingual_bert.write(tmp_path_factory.mktemp("tiny") / "tiny-multilingual-bert.gguf")


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    folder = tmp_path_factory.mktemp("embed-runtime")
    with Runtime(log_path=folder / "llama.log", cache_dir=folder) as rt:
        yield rt


@pytest.fixture()
def kb(hearth_home: Path, runtime: Runtime, minilm_path: Path) -> Iterator[KnowledgeBase]:
    with Store(hearth_home / "hearth.db") as store:
        base = KnowledgeBase(store, runtime, embedder=minilm_path)
        yield base
        base.close()


def folder(path: Path, docs: dict[str, str]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (path / name).write_text(text, encoding="utf-8")
    return path


def indexed(kb: KnowledgeBase, name: str) -> str:
    return [p.state for p in kb.index(name)][-1]


def vector_widths(kb: KnowledgeBase, name: str) -> set[int | None]:
    coll = kb.collection(name)
    return {row[0] for row in kb.conn.execute("SELECT length(embedding) FROM kb_chunks WHERE collection_id = ?",
                                              (coll.id,))}


# --- the multilingual model itself ---------------------------------------------------------------------

def test_the_runtime_embeds_chinese_and_english_with_the_tiny_multilingual_bert(runtime: Runtime,
                                                                                tiny_path: Path) -> None:
    info = runtime.load_embedder(tiny_path)
    assert (info.dim, info.pooling, info.name) == (multilingual_bert.HIDDEN, "mean", "tiny-multilingual-bert")
    texts = ["人工智能", "机器学习", "Green tea wants water at 80 degrees.", "人工智能"]
    vectors = runtime.embed(texts)
    assert vectors.shape == (4, multilingual_bert.HIDDEN) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float(vectors[0] @ vectors[3]) == pytest.approx(1.0, abs=1e-5)   # the same text, the same vector
    # two Chinese words of the same length differ: each character is a token of its own, not [UNK]
    assert float(vectors[0] @ vectors[1]) < 0.99
    runtime.embed(["人工智能"])
    assert runtime.last_embed_stats["tokens"] == 1 + 4 + 1   # [CLS], a token per character, [SEP]
    described = embedders.describe_embedder(tiny_path)
    assert (described.languages, described.dim, described.choice) == ("multilingual", 64, str(tiny_path))


def test_languages_come_from_the_catalog_else_from_the_names() -> None:
    catalog = load_catalog()
    by_id = {e.id: e for e in catalog.embedding_models()}
    assert {e.id for e in catalog.embedding_models()} >= {"bge-m3", "multilingual-e5-large", "qwen3-embedding-0.6b"}
    assert all(e.dimensions for e in by_id.values())
    assert embedders.languages_of("anything", "", by_id["bge-m3"]) == "multilingual"
    assert embedders.languages_of("anything", "", by_id["nomic-embed-text-v1.5"]) == "en"
    for name, expected in [("bge-m3", "multilingual"), ("multilingual-e5-small", "multilingual"),
                           ("Qwen3-Embedding-0.6B", "multilingual"),
                           ("paraphrase-multilingual-MiniLM-L12-v2", "multilingual"),
                           ("all-MiniLM-L6-v2", "en"), ("nomic-embed-text-v1.5", "en"), ("bge-small-en-v1.5", "en"),
                           ("e5-base-v2", "en"), ("jina-embeddings", "unknown"), ("gte-base", "unknown")]:
        assert embedders.languages_of(name) == expected, name


def test_the_picker_lists_installed_models_then_the_catalogs(hearth_home: Path, minilm_path: Path,
                                                            tiny_path: Path) -> None:
    models = hearth_home / "models"
    models.mkdir(parents=True)
    shutil.copy(tiny_path, models / tiny_path.name)
    (models / minilm_path.name).symlink_to(minilm_path)
    options = embedders.embedder_options()
    installed = [o for o in options if o.installed]
    names = [o.name for o in installed]
    assert "tiny-multilingual-bert" in names and "all-MiniLM-L6-v2" in names
    tiny = next(o for o in installed if o.name == "tiny-multilingual-bert")
    assert (tiny.languages, tiny.dim, tiny.size_bytes) == ("multilingual", 64, tiny_path.stat().st_size)
    assert tiny.memory_bytes > tiny.size_bytes
    minilm = next(o for o in installed if o.name == "all-MiniLM-L6-v2")
    assert (minilm.languages, minilm.dim) == ("en", 384)
    downloads = {o.catalog_id: o for o in options if not o.installed}
    assert options.index(installed[-1]) < min(options.index(o) for o in downloads.values())   # installed first
    bge = downloads["bge-m3"]
    assert (bge.languages, bge.dim, bge.repo, bge.filename) == ("multilingual", 1024, "ggml-org/bge-m3-Q8_0-GGUF",
                                                                "bge-m3-q8_0.gguf")
    assert 0.5e9 < bge.size_bytes < bge.memory_bytes < 2e9
    qwen = downloads["qwen3-embedding-0.6b"]
    assert qwen.memory_bytes - qwen.size_bytes > bge.memory_bytes - bge.size_bytes   # a decoder's KV cache
    # an installed model is found by its name, its file name or its path
    assert embedders.resolve_embedder("tiny-multilingual-bert") == (models / tiny_path.name)
    assert embedders.resolve_embedder(str(models / tiny_path.name)) == (models / tiny_path.name).resolve()
    with pytest.raises(errors.EmbeddingModelMissing) as missing:
        embedders.resolve_embedder("bge-m3")
    assert "not downloaded" in str(missing.value) and "hearth models pull ggml-org/bge-m3-Q8_0-GGUF" in \
        missing.value.hint


# --- collections with their own models ---------------------------------------------------------------------

def test_a_collection_made_with_the_multilingual_model_indexes_and_searches_chinese(
        kb: KnowledgeBase, tmp_path: Path, tiny_path: Path) -> None:
    coll = kb.create("中文资料", embedder=tiny_path)
    assert coll.embedder == str(tiny_path.resolve())
    kb.add("中文资料", [folder(tmp_path / "zh", CHINESE)])
    assert indexed(kb, "中文资料") == "done"
    coll = kb.collection("中文资料")
    assert coll.embed_dim == 64 and coll.embed_model.startswith("tiny-multilingual-bert@")
    assert vector_widths(kb, "中文资料") == {64 * 4}
    assert kb.status("中文资料").embedder_warning is None   # a multilingual model: nothing to warn about
    # the question goes through the tiny model: a passage's own text finds it first by vector alone
    passage = kb.conn.execute("SELECT id, text, heading FROM kb_chunks WHERE collection_id = ? AND heading = '' "
                              "ORDER BY id LIMIT 1", (coll.id,)).fetchone()
    hits = kb.search(["中文资料"], passage["text"], k=3, mode="vectors")
    assert hits[0].chunk_id == passage["id"] and hits[0].vector_score == pytest.approx(1.0, abs=1e-3)
    assert kb.runtime.embedder is not None and kb.runtime.embedder.dim == 64
    found = kb.search(["中文资料"], "乌龙茶可以冲泡几次", k=3, mode="hybrid")
    assert Path(found[0].path).name == "茶.md" and found[0].keyword_rank == 1 and found[0].vector_rank


def test_two_collections_with_their_own_models_are_searched_together(
        kb: KnowledgeBase, tmp_path: Path, tiny_path: Path) -> None:
    kb.create("English")                                   # the knowledge base's default: MiniLM
    kb.add("English", [folder(tmp_path / "en", ENGLISH)])
    kb.create("中文", embedder=tiny_path)
    kb.add("中文", [folder(tmp_path / "zh", CHINESE)])
    assert indexed(kb, "English") == indexed(kb, "中文") == "done"
    assert (kb.collection("English").embed_dim, kb.collection("中文").embed_dim) == (384, 64)
    loads = []
    real = kb.runtime.load_embedder

    def counting(path, **kw):  # type: ignore[no-untyped-def]
        loads.append(Path(path).name)
        return real(path, **kw)

    kb.runtime.load_embedder = counting  # type: ignore[method-assign]
    try:
        hits = kb.search(["English", "中文"], "how long does the Zephyr kettle take to boil", k=6, mode="vectors")
    finally:
        del kb.runtime.load_embedder
    assert {h.collection for h in hits} == {"English", "中文"}     # both compared, each by its own model
    assert all(h.vector_score is not None for h in hits)
    assert len(loads) <= 2                                        # the question embedded once per model
    assert hits[0].collection == "English" and Path(hits[0].path).name == "kettle.md"


def test_switching_a_collection_to_the_multilingual_model_re_embeds_at_the_new_size(
        kb: KnowledgeBase, tmp_path: Path, tiny_path: Path) -> None:
    kb.create("Mixed")
    kb.add("Mixed", [folder(tmp_path / "mixed", {**CHINESE, **ENGLISH})])
    assert indexed(kb, "Mixed") == "done"
    before = kb.collection("Mixed")
    chunks = kb.status("Mixed").chunks
    assert before.embed_dim == 384 and vector_widths(kb, "Mixed") == {384 * 4}
    assert kb.set_embedder("Mixed", str(tiny_path)) == chunks
    # meanwhile: keyword search answers, no vector of either size is compared
    waiting = kb.search(["Mixed"], "绿茶", k=3)
    assert waiting and all(h.vector_score is None and h.keyword_rank for h in waiting)
    states = [p for p in kb.index("Mixed")]
    assert states[-1].state == "done" and states[-1].total == len(CHINESE) + len(ENGLISH)
    after = kb.collection("Mixed")
    assert after.embed_dim == 64 and after.vectors_version == before.vectors_version + 1
    assert vector_widths(kb, "Mixed") == {64 * 4}                    # every old 384-wide vector replaced
    assert kb.status("Mixed").embedded == chunks
    hits = kb.search(["Mixed"], "绿茶用几度的水", k=3)
    assert any(h.vector_score is not None for h in hits) and Path(hits[0].path).name == "茶.md"


def test_a_missing_model_names_the_collection_and_keyword_search_goes_on(
        kb: KnowledgeBase, tmp_path: Path, tiny_path: Path) -> None:
    copy = tmp_path / "models" / "tiny-multilingual-bert.gguf"
    copy.parent.mkdir()
    shutil.copy(tiny_path, copy)
    kb.create("笔记", embedder=copy)
    kb.add("笔记", [folder(tmp_path / "zh", CHINESE)])
    assert indexed(kb, "笔记") == "done"
    copy.unlink()
    kb.runtime.unload_embedder()
    warning = kb.status("笔记").embedder_warning
    assert warning is not None and warning.kind == "missing" and warning.collection == "笔记"
    assert str(copy) in warning.message and "keyword search still works" in warning.message
    assert "hearth kb embedder" in warning.message
    hits = kb.search(["笔记"], "番茄需要多少日照", k=3)
    assert Path(hits[0].path).name == "园艺.txt" and all(h.vector_score is None for h in hits)
    with pytest.raises(errors.EmbeddingModelMissing) as failed:
        list(kb.index("笔记"))
    message = failed.value.full_text()
    assert "“笔记”" in message and str(copy) in message and "Choose another embedding model" in message
    with pytest.raises(errors.EmbeddingModelMissing):
        kb.set_embedder("笔记", tmp_path / "nowhere.gguf")       # a choice is checked before it is kept
    assert kb.collection("笔记").embedder == str(copy)


def test_an_english_only_model_on_a_mostly_chinese_collection_warns(kb: KnowledgeBase, tmp_path: Path,
                                                                     tiny_path: Path) -> None:
    kb.create("中文")
    kb.add("中文", [folder(tmp_path / "zh", CHINESE)])
    kb.create("English")
    kb.add("English", [folder(tmp_path / "en", ENGLISH)])
    assert kb.status("中文").embedder_warning is None            # nothing indexed yet: nothing to judge
    assert indexed(kb, "中文") == indexed(kb, "English") == "done"
    warning = kb.status("中文").embedder_warning
    assert warning is not None and warning.kind == "english_only" and warning.model.startswith("all-MiniLM-L6-v2")
    assert warning.cjk_share > 0.5
    assert [name for name, _ in warning.suggestions] == ["BGE-M3", "Qwen3 Embedding 0.6B"]
    assert all(size > 0.5e9 for _, size in warning.suggestions)
    assert "semantic search will not understand Chinese" in warning.message
    assert "keyword search still works" in warning.message and "GB download" in warning.message
    assert kb.status("English").embedder_warning is None
    kb.set_embedder("中文", tiny_path)
    assert kb.status("中文").embedder_warning is None


def test_collections_made_before_the_choice_existed_use_the_default(kb: KnowledgeBase, tmp_path: Path) -> None:
    kb.create("Old")
    with sqlite3.connect(kb.store.path) as conn:   # as migration m006 leaves a collection made before it
        conn.execute("UPDATE kb_collections SET embedder = NULL WHERE name = 'Old'")
    assert kb.collection("Old").embedder is None
    kb.add("Old", [folder(tmp_path / "en", ENGLISH)])
    assert indexed(kb, "Old") == "done" and kb.collection("Old").embed_dim == 384
    assert kb.search(["Old"], "Zephyr kettle boiling time", k=1)[0].vector_score is not None
