"""`hearth kb create --embedder`, `hearth kb embedder` and `hearth kb embedders`, and the English-only
warning of `hearth kb status`, as a user runs them (real processes, a real home, real llama.cpp)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests import multilingual_bert

ROOT = Path(__file__).resolve().parents[2]
CHINESE = {
    "茶.md": "# 茶的冲泡\n\n绿茶适合用八十度的水冲泡两分钟，水温太高会让茶汤发苦。红茶需要沸水，冲泡四分钟。\n",
    "模型.md": "# 本地模型\n\n在笔记本电脑上运行 7B 模型大约需要 4.5 GB 内存。嵌入模型把每段文字变成一个向量。\n",
}


def test_collections_choose_switch_and_list_their_embedding_models(hearth_home: Path, tmp_path: Path,
                                                                   minilm_path: Path) -> None:
    models = hearth_home / "models"
    models.mkdir(parents=True)
    tiny = multilingual_bert.write(models / "tiny-multilingual-bert.gguf")
    (models / minilm_path.name).symlink_to(minilm_path)
    docs = tmp_path / "中文"
    docs.mkdir()
    for name, text in CHINESE.items():
        (docs / name).write_text(text, encoding="utf-8")
    env = {**os.environ, "HEARTH_HOME": str(hearth_home), "COLUMNS": "200"}

    def hearth(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "desktop.cli.main", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=300)

    listed = hearth("kb", "embedders")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert any(line.startswith("* tiny-multilingual-bert · multilingual (Chinese too) · 64 dimensions")
               for line in lines), listed.stdout
    assert any(line.startswith("* all-MiniLM-L6-v2 · English only · 384 dimensions") for line in lines)
    assert any(line.startswith("  BGE-M3 · multilingual (Chinese too) · 1024 dimensions") and "to download" in line
               for line in lines), listed.stdout
    assert "hearth models pull ggml-org/bge-m3-Q8_0-GGUF bge-m3-q8_0.gguf" in listed.stdout
    as_json = json.loads(hearth("kb", "embedders", "--json").stdout)
    qwen = next(o for o in as_json if o["name"] == "Qwen3 Embedding 0.6B")
    assert not qwen["installed"] and qwen["languages"] == "multilingual" and qwen["memory_bytes"] > qwen["size_bytes"]

    refused = hearth("kb", "create", "Later", "--embedder", "bge-m3")
    assert refused.returncode == 1 and "not downloaded yet" in refused.stderr
    assert "hearth models pull ggml-org/bge-m3-Q8_0-GGUF" in refused.stderr
    assert "There is no collection" in hearth("kb", "status", "Later").stderr   # nothing was made

    # Made with MiniLM (English only), the Chinese collection is flagged by `kb status`.
    made = hearth("kb", "create", "资料", "--embedder", str(minilm_path))
    assert made.returncode == 0 and "embedded by all-MiniLM-L6-v2.F16.gguf" in made.stdout, made.stderr
    added = hearth("kb", "add", "资料", str(docs))
    assert added.returncode == 0 and "2 files indexed" in added.stdout, added.stderr
    warned = hearth("kb", "status", "资料").stdout
    assert "warning: “资料” is mostly Chinese" in warned and "only English" in warned, warned
    assert "BGE-M3 (0.63 GB download)" in warned and "keyword search still works" in warned
    status = json.loads(hearth("kb", "status", "资料", "--json").stdout)
    assert status["embedder_warning"]["kind"] == "english_only" and status["embedder"] == str(minilm_path)
    chunks = status["chunks"]

    # Switched by its installed name: re-embedded at once, at the new model's size, and the warning is gone.
    switched = hearth("kb", "embedder", "资料", "tiny-multilingual-bert")
    assert switched.returncode == 0, switched.stderr
    assert f"now uses tiny-multilingual-bert: its {chunks} chunks will be embedded again" in switched.stdout
    assert "warning" not in switched.stdout and "2 files indexed" in switched.stdout
    status = json.loads(hearth("kb", "status", "资料", "--json").stdout)
    assert status["embedder_warning"] is None and status["embedded"] == chunks
    assert status["embed_model"].startswith("tiny-multilingual-bert@")
    found = json.loads(hearth("kb", "search", "资料", "绿茶用几度的水", "--json").stdout)
    assert Path(found[0]["path"]).name == "茶.md" and found[0]["vector_score"] is not None
    assert found[0]["rerank_score"] is not None                       # the default mode, as chats search
    by_words = json.loads(hearth("kb", "search", "资料", "绿茶用几度的水", "--mode", "keyword", "--json").stdout)
    assert Path(by_words[0]["path"]).name == "茶.md"
    assert all(h["vector_score"] is None and h["rerank_score"] is None for h in by_words)
    printed = hearth("kb", "search", "资料", "绿茶用几度的水").stdout
    assert f"score {found[0]['rerank_score']:.4f} (rerank; fused {found[0]['score']:.4f}, cosine" in printed, printed

    # The model file deleted: status says which and what to do; search goes on by keyword.
    shutil.move(tiny, tmp_path / "moved.gguf")
    gone = hearth("kb", "status", "资料")
    assert "warning: The embedding model of the collection “资料” is missing" in gone.stdout, gone.stdout
    assert "hearth kb embedder" in gone.stdout
    found = json.loads(hearth("kb", "search", "资料", "绿茶用几度的水", "--json").stdout)
    assert Path(found[0]["path"]).name == "茶.md" and found[0]["vector_score"] is None
    failed = hearth("kb", "index", "资料")
    assert failed.returncode == 1 and "“资料”" in failed.stderr and "Choose another embedding model" in failed.stderr


def test_the_search_modes_offered_are_the_engine_s() -> None:
    from desktop.cli.main import _build_parser
    from engine.knowledge.retrieval import DEFAULT_MODE, MODES

    parser = _build_parser()
    args = parser.parse_args(["kb", "search", "name", "query"])
    assert args.mode == DEFAULT_MODE
    for mode in MODES:
        assert parser.parse_args(["kb", "search", "name", "query", "--mode", mode]).mode == mode
