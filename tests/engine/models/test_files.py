"""The model library: real SmolLM2 and Gemma 3 files, synthetic split/projector/embedding GGUFs, broken files."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import gguf
import numpy as np
import pytest

from engine import InstalledModel, describe_model, scan_models
from engine.errors import ModelInvalid, ModelNotFound
from engine.models.gguf import read_gguf_info
from engine.models.files import format_bytes, format_parameters
from tests.gguf_tools import rewrite_gguf


VOCAB = ["<unk>", "<s>", "</s>"] + [f"t{i}" for i in range(13)]


def _vocab(w: gguf.GGUFWriter) -> None:
    w.add_tokenizer_model("llama")
    w.add_token_list(VOCAB)
    w.add_token_scores([0.0] * len(VOCAB))
    w.add_token_types([2, 3, 3] + [1] * (len(VOCAB) - 3))


def _shapes(n_embd: int = 64, blocks: int = 2) -> dict[str, tuple[int, ...]]:
    """A tiny model's tensors (numpy shapes: rows first) as llama.cpp expects them: the token
    embedding (n_vocab × n_embd) and each block's norm."""
    return {"token_embd.weight": (len(VOCAB), n_embd), **{f"blk.{i}.attn_norm.weight": (n_embd,) for i in range(blocks)}}


def _hparams(arch: str, n_embd: int = 64) -> Callable[[gguf.GGUFWriter], None]:
    def fill(w: gguf.GGUFWriter) -> None:
        w.add_uint32(f"{arch}.block_count", 2)
        w.add_uint32(f"{arch}.embedding_length", n_embd)
        w.add_uint32(f"{arch}.attention.head_count", 4)
        w.add_uint32(f"{arch}.context_length", 512)
    return fill


def _write(path: Path, arch: str = "llama", fill: Callable[[gguf.GGUFWriter], None] = lambda w: None,
           tensors: dict[str, tuple[int, ...]] | None = None, vocab: bool = True) -> Path:
    """A tiny GGUF: ``fill``'s metadata, a vocabulary (unless ``vocab`` is False) and ``tensors``
    (default: the tensors a 2-block, 64-wide model needs)."""
    writer = gguf.GGUFWriter(str(path), arch)
    fill(writer)
    if vocab:
        _vocab(writer)
    for name, shape in (_shapes() if tensors is None else tensors).items():
        writer.add_tensor(name, np.ones(shape, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def _llama_meta(w: gguf.GGUFWriter) -> None:
    w.add_name("Tiny Chat")
    w.add_context_length(1024)
    w.add_block_count(2)
    w.add_embedding_length(64)
    w.add_head_count(4)
    w.add_head_count_kv(2)


def _split_part(no: int, count: int) -> Callable[[gguf.GGUFWriter], None]:
    def fill(w: gguf.GGUFWriter) -> None:
        if no == 1:
            _llama_meta(w)
        w.add_uint16("split.no", no - 1)
        w.add_uint16("split.count", count)
        w.add_int32("split.tensors.count", 3)
    return fill


PARAMETERS = len(VOCAB) * 64 + 2 * 64   # _shapes(): the token embedding and two norms


def _truncated_copy(src: Path, dst: Path, size: int) -> Path:
    with open(src, "rb") as fin:
        dst.write_bytes(fin.read(size))
    return dst


# --- real models ------------------------------------------------------------------

def test_smollm2(smollm2_path: Path) -> None:
    model = describe_model(smollm2_path)
    info = read_gguf_info(smollm2_path)
    md = info.metadata
    assert model.path == smollm2_path
    assert md["general.name"] == "Smollm2 135M 8k Lc100K Mix1 Ep2"
    assert model.name == "SmolLM2-135M-Instruct"  # the published file name says it better
    assert model.architecture == "llama" and model.quantization == "Q4_1"
    assert model.parameters == info.parameter_count and 130e6 < model.parameters < 140e6
    assert model.size_bytes == smollm2_path.stat().st_size
    assert (model.context_length, model.layers, model.embedding_length) == (8192, 30, 576)
    assert (model.head_count, model.head_count_kv) == (9, 3)
    assert not model.is_embedding_model and not model.is_projector
    assert model.label() == "SmolLM2-135M-Instruct · 135M · Q4_1 · 98 MB"


def test_kv_cache_smollm2_by_hand(smollm2_path: Path) -> None:
    model = describe_model(smollm2_path)
    md = read_gguf_info(smollm2_path).metadata
    head_dim = md.get("llama.attention.key_length", md["llama.embedding_length"] // md["llama.attention.head_count"])
    assert head_dim == 64
    # 2 (K and V) * 30 layers * n_ctx * 3 kv heads * 64 * 2 bytes (f16)
    assert model.kv_cache_bytes(2048) == 2 * 30 * 2048 * 3 * 64 * 2 == 47_185_920  # 45 MiB, as llama.cpp reports
    assert model.kv_cache_bytes(4096) == 2 * model.kv_cache_bytes(2048)


def test_gemma3_head_dim_from_key_length(gemma3_path: Path) -> None:
    model = describe_model(gemma3_path)
    md = read_gguf_info(gemma3_path).metadata
    assert model.architecture == "gemma3" and model.quantization == "Q4_K_M"
    assert model.name == "gemma-3-270m"
    k, v = md["gemma3.attention.key_length"], md["gemma3.attention.value_length"]
    assert k != model.embedding_length // model.head_count  # a head is not embedding/heads wide here
    assert (model.key_length, model.value_length) == (k, v)
    assert model.kv_cache_bytes(1000) == model.layers * 1000 * model.head_count_kv * (k + v) * 2
    assert not model.is_embedding_model and not model.is_projector


def test_name_is_the_file_name_without_quantization(smollm2_path: Path, tmp_path: Path) -> None:
    copy = rewrite_gguf(smollm2_path, tmp_path / "my-model.Q4_1.gguf", remove=("general.name",))
    assert describe_model(copy).name == "my-model"


def test_a_generic_file_name_falls_back_to_general_name(smollm2_path: Path, tmp_path: Path) -> None:
    copy = rewrite_gguf(smollm2_path, tmp_path / "ggml-model-q4_0.gguf", set_strings={"general.name": "Tidy Name"})
    assert describe_model(copy).name == "Tidy Name"


def test_scan_real_and_broken(smollm2_path: Path, gemma3_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "models"
    (folder / "sub" / "deeper").mkdir(parents=True)
    (folder / ".hidden").mkdir()
    (folder / "sub" / "deeper" / "smol.gguf").symlink_to(smollm2_path)
    (folder / "gemma.GGUF").symlink_to(gemma3_path)
    (folder / ".hidden" / "x.gguf").symlink_to(smollm2_path)
    (folder / "notes.txt").write_text("not a model")
    broken = _truncated_copy(smollm2_path, folder / "sub" / "broken.gguf", 2 << 20)
    html = folder / "page.gguf"
    html.write_text("<!DOCTYPE html><html>Not found</html>")
    result = scan_models([folder, tmp_path / "nowhere"], files=[smollm2_path])
    assert [m.path.resolve() for m in result.models] == [gemma3_path.resolve(), smollm2_path.resolve()]
    assert [m.name for m in result.models] == sorted((m.name for m in result.models), key=str.casefold)
    reasons = dict(result.skipped)
    assert set(reasons) == {broken, html, tmp_path / "nowhere"}
    assert "incomplete" in reasons[broken]
    assert "web page" in reasons[html]
    assert "does not exist" in reasons[tmp_path / "nowhere"]
    assert result.embedding == [] and result.projectors == []


# --- synthetic files ----------------------------------------------------------------

def test_split_model_is_one_entry(tmp_path: Path) -> None:
    shapes = list(_shapes().items())
    parts = [_write(tmp_path / f"tiny-0000{i}-of-00003.gguf", fill=_split_part(i, 3), tensors=dict([shapes[i - 1]]),
                    vocab=i == 1) for i in (1, 2, 3)]
    model = describe_model(parts[0])
    assert model.path == parts[0] and model.name == "tiny"
    assert model.size_bytes == sum(p.stat().st_size for p in parts)
    assert model.parameters == PARAMETERS
    assert describe_model(parts[2]) == model  # a later part stands for the whole model
    result = scan_models([tmp_path])
    assert result.models == [model] and result.skipped == []

    parts[1].unlink()
    result = scan_models([tmp_path])
    assert result.models == []
    assert [(p.name, "part 2 of 3" in why and "missing" in why) for p, why in result.skipped] == [
        (parts[0].name, True)]

    _truncated_copy(parts[0], parts[1], 100)  # present but cut short
    with pytest.raises(ModelInvalid, match="tiny-00002-of-00003.gguf"):
        describe_model(parts[0])


def test_split_without_first_part(tmp_path: Path) -> None:
    later = _write(tmp_path / "tiny-00002-of-00002.gguf", fill=_split_part(2, 2), vocab=False)
    result = scan_models([tmp_path])
    assert result.models == []
    ((path, why),) = result.skipped
    assert path == later and "part 1 of 2" in why and "tiny-00001-of-00002.gguf" in why


def test_projectors_embeddings_and_non_models(tmp_path: Path) -> None:
    _write(tmp_path / "chat.gguf", fill=_llama_meta)
    _write(tmp_path / "vision.gguf", "clip", lambda w: (w.add_name("Vision"), w.add_type("mmproj")), vocab=False)
    # names never decide: a llama GGUF called mmproj-… or …embed… is a chat model
    _write(tmp_path / "mmproj-model-f16.gguf", "llama", lambda w: (w.add_name("Projector by name"), _llama_meta(w)))
    _write(tmp_path / "nomic-embed-text.gguf", "llama", lambda w: (w.add_name("Embedder by name"), _llama_meta(w)))
    _write(tmp_path / "encoder-proj.gguf", "clip", lambda w: (w.add_bool("clip.has_vision_encoder", True),
                                                               w.add_string("clip.projector_type", "mlp")), vocab=False)
    _write(tmp_path / "encoder.gguf", "bert", lambda w: (w.add_name("Bert"), _hparams("bert")(w),
                                                         w.add_pooling_type(gguf.PoolingType.CLS)))
    _write(tmp_path / "qwen-embed.gguf", "qwen3", lambda w: (w.add_name("Qwen embed"), _hparams("qwen3")(w),
                                                              w.add_pooling_type(gguf.PoolingType.LAST)))
    _write(tmp_path / "vocab.gguf", fill=_llama_meta, tensors={})
    _write(tmp_path / "lora.gguf", fill=lambda w: (w.add_type("adapter"), w.add_string("adapter.type", "lora")))
    _write(tmp_path / "loose-part.gguf", fill=lambda w: (_llama_meta(w), w.add_uint16("split.count", 2)))
    result = scan_models([tmp_path])
    assert [m.name for m in result.models] == ["chat", "mmproj-model", "nomic-embed-text"]
    assert [m.name for m in result.projectors] == ["encoder-proj", "vision"]
    assert all(m.is_projector for m in result.projectors)
    assert [m.name for m in result.embedding] == ["encoder", "qwen-embed"]
    assert all(m.is_embedding_model and not m.is_projector for m in result.embedding)
    reasons = {p.name: why for p, why in result.skipped}
    assert "no weights" in reasons["vocab.gguf"]
    assert "LoRA adapter" in reasons["lora.gguf"]
    assert "split" in reasons["loose-part.gguf"]
    # the model picker and the knowledge base's embedder list read the same rule
    from engine.models.gguf import read_gguf_info
    from engine.models.kinds import is_embedding_model, is_projector
    for m in [*result.models, *result.projectors, *result.embedding]:
        info = read_gguf_info(m.path)
        assert (is_embedding_model(info), is_projector(info)) == (m.is_embedding_model, m.is_projector), m.name


def test_synthetic_kv_and_label(tmp_path: Path) -> None:
    model = describe_model(_write(tmp_path / "chat.gguf", fill=_llama_meta))
    assert isinstance(model, InstalledModel)
    assert (model.layers, model.head_count, model.head_count_kv, model.embedding_length) == (2, 4, 2, 64)
    assert model.kv_cache_bytes(100) == 2 * 2 * 100 * 2 * 16 * 2
    assert model.parameters == PARAMETERS and model.quantization == "F32"
    assert model.label() == f"{model.name} · {format_parameters(PARAMETERS)} · F32 · {format_bytes(model.size_bytes)}"
    with pytest.raises(ModelInvalid, match="bare.gguf"):   # no hyperparameters: llama.cpp could not load it
        describe_model(_write(tmp_path / "bare.gguf"))


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound):
        describe_model(tmp_path / "absent.gguf")
    with pytest.raises(ModelNotFound):
        describe_model(tmp_path)
    result = scan_models([], files=[tmp_path / "absent.gguf"])
    assert result.models == [] and "no such model file" in result.skipped[0][1]


@pytest.mark.parametrize("n, text", [
    (0, "0 B"), (999, "999 B"), (512_000, "512 KB"), (1_000, "1 KB"), (1_260, "1.3 KB"), (98_000_000, "98 MB"),
    (999_600, "1 MB"), (1_200_000_000, "1.2 GB"), (9_960_000_000, "10 GB"), (3_500_000_000_000, "3.5 TB")])
def test_format_bytes(n: int, text: str) -> None:
    assert format_bytes(n) == text


@pytest.mark.parametrize("n, text", [
    (0, ""), (64, "64"), (134_515_008, "135M"), (1_235_814_400, "1.2B"), (7_241_732_096, "7.2B"),
    (8_030_261_248, "8B"), (70_553_706_496, "71B"), (999_999, "1M"), (22_000, "22K")])
def test_format_parameters(n: int, text: str) -> None:
    assert format_parameters(n) == text
