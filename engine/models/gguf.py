"""Read and validate the header of a GGUF model file, fast and within fixed bounds.

Every file is checked here before it reaches llama.cpp: a truncated download,
a web page saved as ``.gguf`` or a hostile file claiming 2**64 entries is
refused with a :class:`ModelInvalid` that names the file, in milliseconds and
without allocating more than a few MB. The checks mirror llama.cpp's
``gguf.cpp``. The parser works over a ``read(offset, size) -> bytes`` callable,
so the same code reads local files and, through HTTP range requests, remote ones.
"""
from __future__ import annotations


import errno
import os
import stat
import struct
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.errors import ModelError, ModelInvalid, ModelNotFound
from engine.models.gguf_info import ArrayInfo, GGUFInfo, check_loadable, ggml_types

__all__ = ["KNOWN_CHAT_MARKERS", "ArrayInfo", "GGUFInfo", "check_loadable", "is_gguf", "open_model_file",
           "parse_gguf_header", "read_gguf_info"]

KNOWN_CHAT_MARKERS: frozenset[str] = frozenset({
    "<|im_start|>", "<|im_end|>", "<|start_header_id|>", "<|eot_id|>", "<start_of_turn>", "<end_of_turn>",
    "[INST]", "<|user|>", "<|assistant|>", "<|end|>", "<|system|>", "<think>", "</think>"})

ReadFn = Callable[[int, int], bytes]

WINDOW = 256 * 1024             # bytes fetched per buffered read
MAX_READ = 1024 * 1024          # the largest single read ever asked of ``read``
MAX_HEADER = 64 * 1024 * 1024   # a header bigger than this is refused
MAX_STRING = 16 * 1024 * 1024   # a chat template is ~100 KB; be generous but bounded
MAX_KEY = 64 * 1024
MAX_TENSOR_NAME = 256           # llama.cpp allows 63 bytes
MAX_KV = 65_536
MAX_TENSORS = 1_000_000
MAX_DIMS = 4
MAX_ARRAY = 1 << 28
KEEP_ARRAY = 1024               # longer arrays are summarised as ArrayInfo
MAX_TOKEN_OFFSETS = 1 << 20     # bos/eos are looked up among the first million tokens (8 MB at most)
DEFAULT_ALIGNMENT = 32
INT64_MAX = (1 << 63) - 1
TOKENS_KEY = "tokenizer.ggml.tokens"

_STRING, _ARRAY = 8, 9
_SCALARS: dict[int, tuple[str, str]] = {
    0: ("uint8", "B"), 1: ("int8", "b"), 2: ("uint16", "H"), 3: ("int16", "h"), 4: ("uint32", "I"),
    5: ("int32", "i"), 6: ("float32", "f"), 7: ("bool", "?"), 10: ("uint64", "Q"), 11: ("int64", "q"),
    12: ("float64", "d")}
_SCALAR_STRUCTS = {t: struct.Struct("<" + fmt) for t, (_, fmt) in _SCALARS.items()}
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_PREFIX = struct.Struct("<4sIQQ")
_DIMS = [struct.Struct(f"<{n}Q") for n in range(MAX_DIMS + 1)]
_MARKER_BYTES = frozenset(m.encode() for m in KNOWN_CHAT_MARKERS)
_MARKER_MAX = max(len(m) for m in _MARKER_BYTES)


def _invalid(source: str, detail: str, hint: str = "", reason: str = "", **params: object) -> ModelInvalid:
    return ModelInvalid(f"{source}: {detail}", path=source, hint=hint, reason=reason, params=params)


def _corrupt(source: str, detail: str) -> ModelInvalid:
    return _invalid(source, f"{detail}: the file is corrupt", reason="corrupt")


class _Reader:
    """A buffered cursor over ``read(offset, size)``: reads windows, never the whole file."""

    __slots__ = ("_read", "source", "file_size", "buf", "base", "pos")

    def __init__(self, read: ReadFn, source: str, file_size: int | None) -> None:
        self._read = read
        self.source = source
        self.file_size = file_size
        self.buf = b""
        self.base = 0  # file offset of buf[0]
        self.pos = 0

    def remaining(self) -> int | None:
        return None if self.file_size is None else max(0, self.file_size - self.pos)

    def eof(self, what: str) -> ModelInvalid:
        return _invalid(self.source, f"the file ends too early (reading {what}): the file is incomplete or corrupt")

    def need(self, n: int, what: str) -> int:
        """Make ``n`` bytes at ``pos`` available; return their index in ``buf``."""
        i = self.pos - self.base
        if i + n <= len(self.buf):
            return i
        end = self.pos + n
        if self.file_size is not None and end > self.file_size:
            raise self.eof(what)
        if end > MAX_HEADER:
            raise _invalid(self.source, f"the header is implausibly large (over {MAX_HEADER >> 20} MiB): "
                                        "the file is corrupt or not a model")
        chunks = [self.buf[i:]] if i < len(self.buf) else []
        have = len(chunks[0]) if chunks else 0
        want = max(n, WINDOW)
        if self.file_size is not None:
            want = max(n, min(want, self.file_size - self.pos))
        while have < want:
            size = min(want - have, MAX_READ)
            data = self._read(self.pos + have, size)[:size]
            if not data:
                break
            chunks.append(data)
            have += len(data)
            if have >= n and len(data) < size:
                break
        if have < n:
            raise self.eof(what)
        self.buf = b"".join(chunks)
        self.base = self.pos
        return 0

    def unpack(self, st: struct.Struct, what: str) -> tuple[Any, ...]:
        i = self.need(st.size, what)
        self.pos += st.size
        return st.unpack_from(self.buf, i)

    def take(self, n: int, what: str) -> bytes:
        i = self.need(n, what)
        self.pos += n
        return self.buf[i:i + n]

    def length(self, what: str, limit: int) -> int:
        """A u64 string length, checked against ``limit`` and the bytes left in the file."""
        (n,) = self.unpack(_U64, what)
        if n > limit:
            raise _corrupt(self.source, f"{what} claims to be {n:,} bytes long, more than the {limit:,} allowed")
        remaining = self.remaining()
        if remaining is not None and n > remaining:
            raise _invalid(self.source, f"{what} claims {n:,} bytes but only {remaining:,} remain in the file: "
                                        "the file is incomplete or corrupt")
        return n

    def string(self, what: str, limit: int = MAX_STRING) -> str:
        return self.take(self.length(what, limit), what).decode("utf-8", "replace")

    def read_exact(self, offset: int, n: int) -> bytes:
        """Bytes at an earlier offset, read directly (the buffer stays as it is)."""
        chunks: list[bytes] = []
        have = 0
        while have < n:
            data = self._read(offset + have, min(n - have, MAX_READ))
            if not data:
                break
            chunks.append(data)
            have += len(data)
        return b"".join(chunks)[:n]


class _TokenScan:
    """What the header needs from tokenizer.ggml.tokens, without keeping every token."""

    def __init__(self) -> None:
        self.offsets = array("Q")  # file offset of each token's length prefix
        self.markers: set[str] = set()
        self.tokens: list[str] | None = None  # only when the array was short enough to keep
        self.array_types: dict[str, str] = {}  # metadata key -> item type of every array

    def token(self, r: _Reader, index: Any) -> str | None:
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            return None
        if self.tokens is not None:
            return self.tokens[index] if index < len(self.tokens) else None
        if index >= len(self.offsets):
            return None
        offset = self.offsets[index]
        (n,) = _U64.unpack(r.read_exact(offset, 8))
        return r.read_exact(offset + 8, n).decode("utf-8", "replace")


def _walk_strings(r: _Reader, count: int, what: str, scan: _TokenScan | None) -> None:
    """Step over ``count`` strings; with ``scan``, note where each starts and which are chat markers."""
    u64 = _U64.unpack_from
    buf, base, pos = r.buf, r.base, r.pos
    end = base + len(buf)
    for _ in range(count):
        if pos + 8 > end:
            r.pos = pos
            r.need(8, what)
            buf, base = r.buf, r.base
            end = base + len(buf)
        (n,) = u64(buf, pos - base)
        if scan is not None and len(scan.offsets) < MAX_TOKEN_OFFSETS:
            scan.offsets.append(pos)
        if n > MAX_STRING or pos + 8 + n > end:
            r.pos = pos
            n = r.length(what, MAX_STRING)
            pos = r.pos
            r.need(n, what)
            buf, base = r.buf, r.base
            end = base + len(buf)
        else:
            pos += 8
        if scan is not None and n <= _MARKER_MAX:
            text = buf[pos - base:pos - base + n]
            if text in _MARKER_BYTES:
                scan.markers.add(text.decode())
        pos += n
    r.pos = pos


def _read_array(r: _Reader, key: str, scan: _TokenScan) -> Any:
    (etype,) = r.unpack(_U32, f"the item type of {key!r}")
    (count,) = r.unpack(_U64, f"the length of {key!r}")
    if etype == _ARRAY:
        raise _corrupt(r.source, f"metadata key {key!r} is an array of arrays, which GGUF does not allow")
    if etype != _STRING and etype not in _SCALARS:
        raise _corrupt(r.source, f"metadata key {key!r} is an array of unknown type {etype}")
    item_size = 8 if etype == _STRING else _SCALAR_STRUCTS[etype].size
    remaining = r.remaining()
    if count > MAX_ARRAY or (remaining is not None and count * item_size > remaining):
        raise _invalid(r.source, f"metadata key {key!r} claims {count:,} items, more than the file can hold: "
                                 "the file is incomplete or corrupt")
    type_name = "string" if etype == _STRING else _SCALARS[etype][0]
    scan.array_types[key] = type_name
    if etype == _STRING:
        if count <= KEEP_ARRAY:
            items = [r.string(f"item {i} of {key!r}") for i in range(count)]
            if key == TOKENS_KEY:
                scan.tokens = items
                scan.markers = {t for t in items if t in KNOWN_CHAT_MARKERS}
            return items
        _walk_strings(r, count, f"the items of {key!r}", scan if key == TOKENS_KEY else None)
        return ArrayInfo(type_name, count)
    nbytes = count * item_size
    if count <= KEEP_ARRAY:
        return list(struct.unpack(f"<{count}{_SCALARS[etype][1]}", r.take(nbytes, f"the items of {key!r}")))
    r.pos += nbytes  # skipped unread; the next read or the size check notices a short file
    return ArrayInfo(type_name, count)


def _read_value(r: _Reader, key: str, vtype: int, scan: _TokenScan) -> Any:
    if vtype == _STRING:
        return r.string(f"the value of {key!r}")
    if vtype == _ARRAY:
        return _read_array(r, key, scan)
    st = _SCALAR_STRUCTS.get(vtype)
    if st is None:
        raise _corrupt(r.source, f"metadata key {key!r} has unknown value type {vtype}")
    return r.unpack(st, f"the value of {key!r}")[0]


def _check_magic(source: str, magic: bytes) -> None:
    if magic == b"GGUF":
        return
    head = magic.lower()
    if head.lstrip().startswith(b"<"):
        detail, reason = "it is a web page (HTML), not a GGUF model; the download probably failed", "html"
    elif head.startswith(b"vers"):
        detail, reason = "it looks like a Git LFS pointer, not the model itself", "lfs_pointer"
    elif head[:3] in (b"ggm", b"ggj", b"ggl", b"lmg", b"tjg", b"alg"):   # GGML-era files, either byte order
        raise _invalid(source, "this is an old GGML model file, from before GGUF",
                       hint="Download the GGUF version of this model: llama.cpp reads no other kind.", reason="ggml")
    else:
        kind = next((name for sig, name in _OTHER_FILES if magic.startswith(sig)), "")
        detail = f"this is not a GGUF model file{f' ({kind})' if kind else ''}"
        raise _invalid(source, detail, hint="Choose a .gguf model file. Your file was not changed.",
                       reason="not_gguf_kind" if kind else "not_gguf", kind=kind)
    raise _invalid(source, detail, reason=reason)


# What a file picked by mistake often is, by its first bytes (named in the error instead of the bytes).
_OTHER_FILES = ((b"\xff\xd8\xff", "a JPEG image"), (b"\x89PNG", "a PNG image"), (b"GIF8", "a GIF image"),
                (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP archive or Office document"),
                (b"RIFF", "a RIFF file: audio, video or a WebP image"), (b"\x7fELF", "a program"),
                (b"MZ", "a Windows program"), (b"\x1f\x8b", "a gzip archive"))


def _check_version(source: str, version: int) -> None:
    if version in (2, 3):
        return
    if version != 0 and version & 0xFFFF == 0:
        raise _invalid(source, "big-endian GGUF is not supported; use a little-endian conversion of this model",
                       hint="Download the ordinary (little-endian) GGUF of this model.")
    if version == 1:
        raise _invalid(source, "GGUF version 1 is no longer supported",
                       hint="Download a newer conversion of this model.")
    if version > 3:
        raise _invalid(source, f"GGUF version {version} is newer than this Hearth supports (up to version 3)",
                       hint="Update Hearth, or download an older conversion of this model.")
    raise _corrupt(source, f"GGUF version {version} is not a valid version")


def _read_tensor_infos(r: _Reader, n_tensors: int, alignment: int, names: dict[str, tuple[int, ...]],
                       tensor_bytes: dict[str, int]) -> tuple[int, int, dict[str, int]]:
    """Check every tensor's name, shape, type and offset; return (data size, element count, bytes per type).

    ``names`` receives each tensor's shape (ggml order: ``ne[0]`` first), ``tensor_bytes`` its size (the
    offload planner sums them per layer)."""
    source = r.source
    sizes, type_names, _ = ggml_types()
    type_bytes: dict[str, int] = {}
    n_elements = 0
    expected = 0   # where the next tensor must start (llama.cpp lays them out in order, padded)
    data_size = 0
    for i in range(n_tensors):
        name = r.string(f"the name of tensor {i}", MAX_TENSOR_NAME)
        if name in names:
            raise _corrupt(source, f"tensor {name!r} appears twice")
        (n_dims,) = r.unpack(_U32, f"the shape of tensor {name!r}")
        if n_dims > MAX_DIMS:
            raise _corrupt(source, f"tensor {name!r} has {n_dims} dimensions (at most {MAX_DIMS})")
        dims = r.unpack(_DIMS[n_dims], f"the shape of tensor {name!r}")
        count = 1
        for d in dims:
            if d == 0 or d > INT64_MAX:
                raise _corrupt(source, f"tensor {name!r} has an invalid dimension {d}")
            count *= d
        if count > INT64_MAX:
            raise _corrupt(source, f"tensor {name!r} has an impossibly large shape {dims}")
        names[name] = tuple(dims)
        (ttype,) = r.unpack(_U32, f"the type of tensor {name!r}")
        if ttype not in sizes:
            raise _corrupt(source, f"tensor {name!r} has unknown ggml type {ttype}")
        block, type_size = sizes[ttype]
        row = dims[0] if dims else 1
        if row % block:
            raise _corrupt(source, f"tensor {name!r} has rows of {row} values, not a multiple of its "
                                   f"{type_names[ttype]} block size {block}")
        nbytes = count // block * type_size
        tensor_bytes[name] = nbytes
        (offset,) = r.unpack(_U64, f"the offset of tensor {name!r}")
        if offset % alignment:
            raise _corrupt(source, f"tensor {name!r} starts at offset {offset:,}, not aligned to {alignment} bytes")
        if offset != expected:
            raise _corrupt(source, f"tensor {name!r} starts at offset {offset:,} but should start at "
                                   f"{expected:,} (tensors overlap, leave gaps or point past the data)")
        data_size = offset + nbytes
        expected = data_size + (-data_size % alignment)
        n_elements += count
        type_bytes[type_names[ttype]] = type_bytes.get(type_names[ttype], 0) + nbytes
    return data_size, n_elements, type_bytes


def parse_gguf_header(read: ReadFn, *, source: str, file_size: int | None) -> GGUFInfo:
    """Parse and validate a GGUF header through ``read(offset, size)`` (fewer bytes only at end of file)."""
    r = _Reader(read, source, file_size)
    if file_size == 0:
        raise _invalid(source, "the file is empty: the file is incomplete or corrupt")
    r.need(4, "the GGUF magic")
    _check_magic(source, r.buf[:4])
    _, version, n_tensors, n_kv = r.unpack(_PREFIX, "the GGUF header")
    _check_version(source, version)
    if n_tensors > MAX_TENSORS:
        raise _corrupt(source, f"the header claims {n_tensors:,} tensors (at most {MAX_TENSORS:,} are plausible)")
    if n_kv > MAX_KV:
        raise _corrupt(source, f"the header claims {n_kv:,} metadata entries (at most {MAX_KV:,} are plausible)")
    remaining = r.remaining()
    # smallest possible entry: 8 (key length) + 1 (key) + 4 (type) + 1 (u8); tensor: 8 + 4 + 4 + 8
    if remaining is not None and n_kv * 14 + n_tensors * 24 > remaining:
        raise _invalid(source, f"the header claims {n_kv:,} metadata entries and {n_tensors:,} tensors, more "
                               f"than the remaining {remaining:,} bytes can hold: the file is incomplete or corrupt")

    metadata: dict[str, Any] = {}
    types: dict[str, int] = {}
    scan = _TokenScan()
    for i in range(n_kv):
        key = r.string(f"the name of metadata entry {i}", MAX_KEY)
        if not key:
            raise _corrupt(source, f"metadata entry {i} has an empty name")
        if key in metadata:
            raise _corrupt(source, f"metadata key {key!r} appears twice")
        (vtype,) = r.unpack(_U32, f"the type of {key!r}")
        types[key] = vtype
        metadata[key] = _read_value(r, key, vtype, scan)

    alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
    if "general.alignment" in types and types["general.alignment"] != 4:
        raise _corrupt(source, "general.alignment must be a uint32")
    if alignment <= 0 or alignment & (alignment - 1):
        raise _corrupt(source, f"general.alignment is {alignment}, not a power of two")

    shapes: dict[str, tuple[int, ...]] = {}
    tensor_bytes: dict[str, int] = {}
    data_size, n_elements, type_bytes = _read_tensor_infos(r, n_tensors, alignment, shapes, tensor_bytes)
    header_bytes = r.pos
    data_offset = header_bytes + (-header_bytes % alignment) if n_tensors else header_bytes
    bos = scan.token(r, metadata.get("tokenizer.ggml.bos_token_id"))
    eos = scan.token(r, metadata.get("tokenizer.ggml.eos_token_id"))
    return GGUFInfo(path=source, version=version, file_size=file_size, n_tensors=n_tensors, metadata=metadata,
                    tensor_data_offset=data_offset, tensor_data_size=data_size, header_bytes=header_bytes,
                    bos_token=bos, eos_token=eos, chat_markers=frozenset(scan.markers),
                    n_elements=n_elements, tensor_type_bytes=type_bytes, tensor_shapes=shapes,
                    tensor_bytes=tensor_bytes,
                    array_types=scan.array_types)


_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


def not_a_file(mode: int) -> str | None:
    """What a file of this ``st_mode`` is, when it is not a regular file (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


def open_model_file(path: str | os.PathLike[str]) -> Any:
    """Open a model file for reading without ever blocking: a FIFO, a device, a socket, a folder, a link
    loop or a dangling link raise ``ModelInvalid``/``ModelNotFound`` naming the file, before any read."""
    source = os.fspath(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(source, flags)
    except FileNotFoundError:
        if os.path.lexists(source):
            raise ModelNotFound(f"{source} is a link to a file that does not exist", path=source,
                                hint="Remove the link, or point it at a model file.", reason="dangling") from None
        raise ModelNotFound(f"{source}: no such model file", path=source, reason="missing") from None
    except IsADirectoryError:
        raise ModelNotFound(f"{source} is a folder, not a model file", path=source, reason="folder") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ModelInvalid(f"{source} is a symbolic link that loops back on itself, not a model file",
                               path=source, hint="Remove the link, or point it at a model file.",
                               reason="link_loop") from None
        raise ModelInvalid(f"{source} could not be read: {exc.strerror or exc}", path=source,
                           hint="Check that the file exists and that you are allowed to read it.",
                           reason="unreadable", params={"said": exc.strerror or str(exc)}) from exc
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise ModelNotFound(f"{source} is a folder, not a model file", path=source, reason="folder")
        what = not_a_file(mode)
        if what is not None:
            raise ModelInvalid(f"{source} is {what}, not a model file; Hearth reads only regular files",
                               path=source, hint="Remove it from the models folder, or pick a real .gguf file.",
                               reason="not_a_file", params={"kind": what})
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_gguf_info(path: str | os.PathLike[str], *, check_size: bool = True) -> GGUFInfo:
    """Read a local GGUF's header; with ``check_size``, also refuse a file too short for its tensors."""
    source = str(Path(os.fspath(path)))
    try:
        with open_model_file(source) as f:
            file_size = os.fstat(f.fileno()).st_size

            def read(offset: int, size: int) -> bytes:
                f.seek(offset)
                return f.read(size)

            info = parse_gguf_header(read, source=source, file_size=file_size)
    except ModelError:
        raise
    except OSError as exc:
        raise ModelInvalid(f"{source} could not be read: {exc.strerror or exc}", path=source,
                           hint="Check that the file exists and that you are allowed to read it.",
                           reason="unreadable", params={"said": exc.strerror or str(exc)}) from exc
    needed = info.tensor_data_offset + info.tensor_data_size
    if check_size and file_size < needed:
        raise ModelInvalid(f"{source} is incomplete: it has {file_size:,} bytes but needs {needed:,} "
                           f"({100 * file_size / needed:.0f}% present); the download was probably cut short",
                           path=source, reason="incomplete",
                           params={"size": file_size, "needed": needed, "percent": round(100 * file_size / needed)})
    return info


def is_gguf(path: str | os.PathLike[str]) -> bool:
    """Whether the file starts with the GGUF magic (nothing else is checked)."""
    try:
        with open_model_file(path) as f:
            return f.read(4) == b"GGUF"
    except (OSError, ModelError):
        return False
