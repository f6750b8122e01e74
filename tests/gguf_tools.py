"""Write GGUF files for tests: variants of a real GGUF (same tensors, other metadata), and tiny
synthetic models whose header passes or fails Hearth's checks one way at a time."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import gguf
import numpy as np

VT = gguf.GGUFValueType
DROP = object()   # a ``kv`` value that removes the key from a tiny model


def rewrite_gguf(src: Path, dst: Path, *, set_strings: dict[str, str] | None = None,
                 remove: tuple[str, ...] = (), drop_tensors: tuple[str, ...] = (),
                 edit_arrays: dict[str, Callable[[list[Any]], list[Any]]] | None = None) -> Path:
    """Copy ``src`` to ``dst`` with string keys set or replaced, keys removed, arrays edited (``edit_arrays``:
    key -> a function of the items) and tensors left out."""
    edits = dict(edit_arrays or {})
    overrides = dict(set_strings or {})
    reader = gguf.GGUFReader(src)
    arch = reader.fields[gguf.Keys.General.ARCHITECTURE].contents()
    writer = gguf.GGUFWriter(dst, arch=arch, endianess=reader.endianess)
    for field in reader.fields.values():
        if field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue
        if field.name in remove or field.name in overrides:
            continue
        vtype = field.types[0]
        sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        value: Any = field.contents()
        if field.name in edits:
            value = edits[field.name](list(value))
        writer.add_key_value(field.name, value, vtype, sub_type=sub)
    for key, text in overrides.items():
        writer.add_key_value(key, text, gguf.GGUFValueType.STRING)
    tensors = [t for t in reader.tensors if t.name not in drop_tensors]
    for tensor in tensors:
        writer.add_tensor_info(tensor.name, tensor.data.shape, tensor.data.dtype, tensor.data.nbytes,
                               tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for tensor in tensors:
        writer.write_tensor_data(tensor.data, tensor_endianess=reader.endianess)
    writer.close()
    return dst


def tiny_kv(arch: str = "llama", *, blocks: int = 2, n_embd: int = 8, n_vocab: int = 16) -> dict[str, Any]:
    """The metadata of a tiny model whose header passes every check: ``key -> (value, type[, item type])``."""
    tokens = ["<unk>", "<s>", "</s>"] + [f"t{i}" for i in range(n_vocab - 3)]
    return {
        f"{arch}.block_count": (blocks, VT.UINT32),
        f"{arch}.embedding_length": (n_embd, VT.UINT32),
        f"{arch}.attention.head_count": (2, VT.UINT32),
        f"{arch}.context_length": (64, VT.UINT32),
        "tokenizer.ggml.model": ("llama", VT.STRING),
        "tokenizer.ggml.tokens": (tokens, VT.ARRAY, VT.STRING),
        "tokenizer.ggml.scores": ([0.0] * n_vocab, VT.ARRAY, VT.FLOAT32),
        "tokenizer.ggml.token_type": ([2, 3, 3] + [1] * (n_vocab - 3), VT.ARRAY, VT.INT32),
    }


def tiny_tensors(*, blocks: int = 2, n_embd: int = 8, n_vocab: int = 16) -> dict[str, tuple[int, ...]]:
    """Tensor name -> numpy shape (rows first: GGUF stores the reverse) of a tiny model."""
    shapes: dict[str, tuple[int, ...]] = {"token_embd.weight": (n_vocab, n_embd), "output_norm.weight": (n_embd,)}
    for i in range(blocks):
        shapes[f"blk.{i}.attn_norm.weight"] = (n_embd,)
    return shapes


def tiny_gguf(path: Path, *, arch: str = "llama", kv: dict[str, Any] | None = None,
              tensors: dict[str, tuple[int, ...] | None] | None = None, name: str = "Tiny") -> Path:
    """A tiny F32 model: ``tiny_kv()`` updated by ``kv`` (``DROP`` removes a key), ``tiny_tensors()`` by
    ``tensors`` (None removes one)."""
    meta = tiny_kv(arch)
    meta.update(kv or {})
    shapes: dict[str, Any] = tiny_tensors()
    shapes.update(tensors or {})
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_name(name)
    for key, spec in meta.items():
        if spec is DROP:
            continue
        value, vtype, *sub = spec
        writer.add_key_value(key, value, vtype, sub_type=sub[0] if sub else None)
    for tensor, shape in shapes.items():
        if shape is not None:
            writer.add_tensor(tensor, np.ones(shape, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def empty_string_array(path: Path, key: str) -> Path:
    """Rewrite ``path`` so its one-item string array ``key`` has 0 items (GGUFWriter refuses to write one)."""
    import struct

    from engine.models.gguf import read_gguf_info

    info = read_gguf_info(path)
    data = path.read_bytes()
    name = key.encode()
    at = data.index(struct.pack("<Q", len(name)) + name) + 8 + len(name)
    vtype, item, count = struct.unpack_from("<IIQ", data, at)
    assert (vtype, item, count) == (9, 8, 1), (vtype, item, count)
    count_at = at + 8
    (n,) = struct.unpack_from("<Q", data, count_at + 8)
    header = data[:count_at] + struct.pack("<Q", 0) + data[count_at + 16 + n:info.header_bytes]
    path.write_bytes(header + b"\0" * (-len(header) % 32) + data[info.tensor_data_offset:])
    return path
