"""What a GGUF header says about a model: :class:`GGUFInfo`, read without touching the tensors.

:mod:`engine.models.gguf` parses and validates the header and builds a
``GGUFInfo``; the properties here turn its metadata into what the rest of
Hearth asks about a model (name, architecture, context length, quantization,
parameter count). ``ggml`` type tables come from the ``gguf`` package, loaded
on first use (it imports numpy).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

__all__ = ["ArrayInfo", "GGUFInfo", "check_loadable", "ggml_types", "known_architectures"]


@lru_cache(maxsize=1)
def ggml_types() -> tuple[dict[int, tuple[int, int]], dict[int, str], dict[int, str]]:
    """(ggml type -> (block, type size), ggml type -> name, file type -> name); imported on first use (numpy)."""
    from gguf.constants import GGML_QUANT_SIZES, LlamaFileType

    sizes = {int(t): (int(b), int(s)) for t, (b, s) in GGML_QUANT_SIZES.items()}
    names = {int(t): t.name for t in GGML_QUANT_SIZES}
    ftypes = {int(t): t.name.removeprefix("MOSTLY_").removeprefix("ALL_")
              for t in LlamaFileType if t.name != "GUESSED"}
    return sizes, names, ftypes


_SPLIT_SUFFIX = re.compile(r"-\d{5}-of-\d{5}$")
_QUANT_SUFFIX = re.compile(r"[.\-_](?:i?q\d\w*|f16|bf16|f32|fp16)$", re.IGNORECASE)
_GENERIC_NAMES = {"model", "ggml-model", "ggml_model", "gguf", "weights"}


@dataclass(frozen=True)
class ArrayInfo:
    """Stands in for a metadata array too long to keep (more than 1024 items)."""

    type_name: str
    length: int


@dataclass(frozen=True)
class GGUFInfo:
    """What a GGUF header says about a model, read without touching its tensors."""

    path: str
    version: int
    file_size: int | None
    n_tensors: int
    metadata: dict[str, Any]
    tensor_data_offset: int
    tensor_data_size: int
    header_bytes: int
    bos_token: str | None
    eos_token: str | None
    chat_markers: frozenset[str]
    n_elements: int = 0  # sum of the tensors' element counts (see parameter_count)
    tensor_type_bytes: dict[str, int] = field(default_factory=dict)  # ggml type name -> bytes
    tensor_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False, compare=False)
    tensor_bytes: dict[str, int] = field(default_factory=dict, repr=False, compare=False)   # name -> data bytes
    array_types: dict[str, str] = field(default_factory=dict, repr=False, compare=False)  # key -> item type

    def _int(self, key: str) -> int | None:
        value = self.metadata.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def architecture(self) -> str:
        value = self.metadata.get("general.architecture")
        return value if isinstance(value, str) else ""

    @property
    def name(self) -> str:
        """What people call the model: the file name (as published, e.g. "SmolLM2-135M-Instruct")
        without its quantization and split suffixes; ``general.name`` when the file name is generic."""
        base = self.path.split("?", 1)[0].replace("\\", "/").rsplit("/", 1)[-1]
        base = base[:-5] if base.lower().endswith(".gguf") else Path(base).stem
        stem = _QUANT_SUFFIX.sub("", _SPLIT_SUFFIX.sub("", base))
        if stem and stem.lower() not in _GENERIC_NAMES and sum(c.isalpha() for c in stem) >= 3:
            return stem
        value = self.metadata.get("general.name")
        if isinstance(value, str) and value.strip():
            return value.strip()
        return base

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return value if isinstance(value, str) else None

    @property
    def context_length(self) -> int | None:
        return self._int(f"{self.architecture}.context_length")

    @property
    def block_count(self) -> int | None:
        return self._int(f"{self.architecture}.block_count")

    @property
    def embedding_length(self) -> int | None:
        return self._int(f"{self.architecture}.embedding_length")

    @property
    def head_count(self) -> int | None:
        return self._int(f"{self.architecture}.attention.head_count")

    @property
    def head_count_kv(self) -> int | None:
        value = self._int(f"{self.architecture}.attention.head_count_kv")
        return value if value is not None else self.head_count

    @property
    def quantization(self) -> str:
        """'Q4_1', 'Q4_K_M', 'F16' …: from general.file_type, else the tensor type holding most bytes."""
        file_type = self._int("general.file_type")
        if file_type is not None:
            name = ggml_types()[2].get(file_type)
            if name:
                return name
        if self.tensor_type_bytes:
            return max(self.tensor_type_bytes.items(), key=lambda item: item[1])[0]
        return "unknown"

    @property
    def parameter_count(self) -> int:
        return self.n_elements


# --- what llama.cpp needs of a header: checked before a file is listed, imported or loaded -------------

MAX_BLOCKS = 512        # llama.cpp's LLAMA_MAX_LAYERS: more is an out-of-bounds write (PR #25821)
MAX_CONTEXT = (1 << 31) - 1
_FIX = "The file is damaged or was converted wrongly: download another conversion of this model."
_BLOCK = re.compile(r"blk\.(\d{1,9})\.")


@lru_cache(maxsize=1)
def known_architectures() -> frozenset[str]:
    """The architectures the bundled llama.cpp knows (the gguf package's list, released with it)."""
    from gguf.constants import MODEL_ARCH_NAMES

    from engine.models.kinds import EMBEDDING_ARCHITECTURES, PROJECTOR_ARCHITECTURES
    return frozenset(MODEL_ARCH_NAMES.values()) | EMBEDDING_ARCHITECTURES | PROJECTOR_ARCHITECTURES


def _refuse(info: GGUFInfo, detail: str, hint: str = _FIX, reason: str = "unloadable",
            **params: object) -> Exception:
    """The header says llama.cpp would fail on this file; ``detail`` (technical: header keys, shapes) is kept
    as it is inside the translated sentence."""
    from engine.errors import ModelInvalid
    return ModelInvalid(f"{info.path}: {detail}, so llama.cpp cannot load it", path=info.path, hint=hint,
                        reason=reason, params={"detail": detail, **params})


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _length(value: Any) -> int:
    return value.length if isinstance(value, ArrayInfo) else len(value) if isinstance(value, list) else -1


def _check_hparams(info: GGUFInfo, arch: str) -> tuple[int, int]:
    """block_count, embedding_length, head_count and context_length in llama.cpp's ranges."""
    meta = info.metadata
    values: dict[str, int] = {}
    for key, low, high, required in (("block_count", 1, MAX_BLOCKS, True), ("embedding_length", 1, None, True),
                                     ("context_length", 1, MAX_CONTEXT, False)):
        full = f"{arch}.{key}"
        value = meta.get(full)
        if value is None and not required:
            continue
        if value is None:
            raise _refuse(info, f"the header has no {full}")
        if not _is_int(value) or value < low or (high is not None and value > high):
            limit = f"{low}..{high}" if high is not None else f"at least {low}"
            raise _refuse(info, f"{full} is {value!r} (it must be a whole number, {limit})")
        values[key] = value
    heads = meta.get(f"{arch}.attention.head_count")
    if heads is not None:
        per_layer = heads if isinstance(heads, list) else [heads] if not isinstance(heads, ArrayInfo) else None
        if per_layer is not None and (not per_layer or not all(_is_int(h) and h >= 0 for h in per_layer)
                                      or max(per_layer) <= 0):
            raise _refuse(info, f"{arch}.attention.head_count is {heads!r} (it must be above 0)")
    return values["block_count"], values["embedding_length"]


def _check_vocab(info: GGUFInfo) -> int:
    """tokenizer.ggml.tokens: a non-empty array of strings; scores and token types alike long and typed."""
    meta, types = info.metadata, info.array_types
    tokens = meta.get("tokenizer.ggml.tokens")
    if tokens is None:
        raise _refuse(info, "the header has no vocabulary (tokenizer.ggml.tokens)")
    if types.get("tokenizer.ggml.tokens") != "string":
        raise _refuse(info, f"the vocabulary (tokenizer.ggml.tokens) is not an array of strings "
                            f"(it is {types.get('tokenizer.ggml.tokens', type(tokens).__name__)})")
    n_vocab = _length(tokens)
    if n_vocab <= 0:
        raise _refuse(info, "the vocabulary (tokenizer.ggml.tokens) has 0 tokens")
    for key, item in (("tokenizer.ggml.scores", "float32"), ("tokenizer.ggml.token_type", "int32")):
        if key not in meta:
            continue
        if types.get(key) != item:
            raise _refuse(info, f"{key} is not an array of {item} (it is {types.get(key) or type(meta[key]).__name__})")
        if _length(meta[key]) != n_vocab:
            raise _refuse(info, f"{key} has {_length(meta[key]):,} items but the vocabulary has {n_vocab:,} tokens")
    if "tokenizer.ggml.merges" in meta and types.get("tokenizer.ggml.merges") != "string":
        raise _refuse(info, "tokenizer.ggml.merges is not an array of strings")
    return n_vocab


def _check_tensors(info: GGUFInfo, shapes: dict[str, tuple[int, ...]], n_layer: int, n_embd: int,
                   n_vocab: int) -> None:
    """token_embd.weight is n_embd x n_vocab; every block 0..block_count-1 has tensors, and no other block."""
    embd = shapes.get("token_embd.weight")
    if embd is None:
        raise _refuse(info, "the token embedding tensor (token_embd.weight) is missing")
    if len(embd) != 2 or embd[0] != n_embd or embd[1] != n_vocab:
        raise _refuse(info, f"token_embd.weight has shape {list(embd)}, but the header implies "
                            f"[{n_embd}, {n_vocab}] (embedding_length x vocabulary)")
    blocks: set[int] = set()
    for name in shapes:
        m = _BLOCK.match(name)
        if m:
            blocks.add(int(m[1]))
    extra = sorted(b for b in blocks if b >= n_layer)
    if extra:
        raise _refuse(info, f"it has tensors for block {extra[0]} but block_count is {n_layer}")
    missing = next((b for b in range(n_layer) if b not in blocks), None)
    if missing is not None:
        raise _refuse(info, f"the tensors of block {missing} (blk.{missing}.*) are missing; block_count is {n_layer}")


def check_loadable(parts: GGUFInfo | Sequence[GGUFInfo]) -> None:
    """Refuse (``ModelInvalid`` naming the file and the problem) a header llama.cpp cannot load or would
    crash on: unknown architecture, hyperparameters out of range, a missing or mistyped vocabulary,
    tensors missing or of the wrong shape. ``parts``: a model's header, or every part of a split model."""
    infos = [parts] if isinstance(parts, GGUFInfo) else list(parts)
    info = infos[0]
    arch = info.architecture
    if not arch:
        raise _refuse(info, "the header names no architecture (general.architecture)")
    if arch not in known_architectures():
        raise _refuse(info, f"its architecture {arch!r} is unknown to the llama.cpp in this Hearth",
                      hint="Update Hearth, or pick a model of a supported architecture.", reason="architecture",
                      arch=str(arch))
    meta = info.metadata
    if arch == "clip" or meta.get("general.type") == "mmproj" or "clip.has_vision_encoder" in meta:
        return  # a projector: libmtmd checks its own keys (see engine.models.kinds.usable_projector)
    n_layer, n_embd = _check_hparams(info, arch)
    n_vocab = _check_vocab(info)
    if sum(i.n_tensors for i in infos) == 0:
        return  # vocabulary only: describe_model says so
    shapes: dict[str, tuple[int, ...]] = {}
    for part in infos:
        shapes.update(part.tensor_shapes)
    _check_tensors(info, shapes, n_layer, n_embd, n_vocab)
