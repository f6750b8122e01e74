"""Write variants of a real GGUF for tests: same tensors, other metadata."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import gguf


def rewrite_gguf(src: Path, dst: Path, *, set_strings: dict[str, str] | None = None,
                 remove: tuple[str, ...] = ()) -> Path:
    """Copy ``src`` to ``dst`` with string keys set or replaced and keys removed."""
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
        writer.add_key_value(field.name, value, vtype, sub_type=sub)
    for key, text in overrides.items():
        writer.add_key_value(key, text, gguf.GGUFValueType.STRING)
    for tensor in reader.tensors:
        writer.add_tensor_info(tensor.name, tensor.data.shape, tensor.data.dtype, tensor.data.nbytes,
                               tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for tensor in reader.tensors:
        writer.write_tensor_data(tensor.data, tensor_endianess=reader.endianess)
    writer.close()
    return dst
