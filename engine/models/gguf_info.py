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
from typing import Any

__all__ = ["ArrayInfo", "GGUFInfo", "ggml_types"]


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
