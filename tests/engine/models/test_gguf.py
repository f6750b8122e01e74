"""The GGUF header reader: the real SmolLM2 file, files written by gguf.GGUFWriter, and a hostile corpus."""
from __future__ import annotations

import struct
import time
import tracemalloc
from pathlib import Path
from typing import Callable

import gguf
import numpy as np
import pytest

from engine.errors import ModelInvalid, ModelNotFound
from engine.models.gguf import (KNOWN_CHAT_MARKERS, ArrayInfo, GGUFInfo, is_gguf, parse_gguf_header,
                              read_gguf_info)


def _truncated_copy(src: Path, dst: Path, size: int) -> Path:
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        left = size
        while left > 0:
            block = fin.read(min(left, 1 << 20))
            fout.write(block)
            left -= len(block)
    return dst


# --- the real model -------------------------------------------------------------

def test_smollm2_header(smollm2_path: Path) -> None:
    read_gguf_info(smollm2_path)  # warm up: the first call imports gguf.constants
    start = time.perf_counter()
    info = read_gguf_info(smollm2_path)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0
    assert info.path == str(smollm2_path)
    assert info.version == 3
    assert info.architecture == "llama"
    assert info.quantization == "Q4_1"
    assert info.context_length == 8192
    assert info.block_count == 30
    assert info.embedding_length == 576
    assert info.head_count == 9
    assert info.head_count_kv == 3
    assert info.chat_template is not None and info.chat_template.startswith("{% for message")
    assert info.bos_token == "<|im_start|>"
    assert info.eos_token == "<|im_end|>"
    assert "<|im_start|>" in info.chat_markers and info.chat_markers <= KNOWN_CHAT_MARKERS
    assert abs(info.parameter_count - 134.5e6) / 134.5e6 < 0.02
    assert info.file_size == smollm2_path.stat().st_size
    assert info.tensor_data_offset + info.tensor_data_size == info.file_size
    assert info.n_tensors == 272
    assert 0 < info.header_bytes <= info.tensor_data_offset
    assert info.metadata["tokenizer.ggml.tokens"] == ArrayInfo("string", 49152)
    assert info.metadata["tokenizer.ggml.token_type"] == ArrayInfo("int32", 49152)
    assert info.metadata["general.languages"] == ["en"]
    assert is_gguf(smollm2_path)


def test_header_parse_reads_little_of_the_file(smollm2_path: Path) -> None:
    size = smollm2_path.stat().st_size
    reads: list[int] = []
    with open(smollm2_path, "rb") as f:
        def read(offset: int, n: int) -> bytes:
            f.seek(offset)
            data = f.read(n)
            reads.append(len(data))
            return data

        info = parse_gguf_header(read, source=str(smollm2_path), file_size=size)
    total = sum(reads)
    print(f"header parse: {len(reads)} reads, {total:,} bytes of {size:,} ({100 * total / size:.2f}%), "
          f"largest {max(reads):,}")
    assert info.bos_token == "<|im_start|>"
    assert total < 0.05 * size
    assert max(reads) <= 1 << 20


def test_parse_without_known_size(smollm2_path: Path) -> None:
    with open(smollm2_path, "rb") as f:
        def read(offset: int, n: int) -> bytes:
            f.seek(offset)
            return f.read(n)

        info = parse_gguf_header(read, source="https://example.invalid/x/model.gguf?download=1", file_size=None)
    assert info.file_size is None
    assert info.eos_token == "<|im_end|>"
    assert info.tensor_data_offset + info.tensor_data_size == smollm2_path.stat().st_size


@pytest.mark.parametrize("cut", ["24", "half", "minus1"])
def test_truncated_real_file(smollm2_path: Path, tmp_path: Path, cut: str) -> None:
    size = smollm2_path.stat().st_size
    keep = {"24": 24, "half": size // 2, "minus1": size - 1}[cut]
    bad = _truncated_copy(smollm2_path, tmp_path / f"cut-{cut}.gguf", keep)
    start = time.perf_counter()
    with pytest.raises(ModelInvalid) as caught:
        read_gguf_info(bad)
    assert time.perf_counter() - start < 1.0
    assert str(bad) in str(caught.value)
    assert "incomplete" in str(caught.value)
    assert caught.value.path == str(bad)
    assert caught.value.hint
    if cut != "24":  # the header is whole: without the size check it reads fine
        assert read_gguf_info(bad, check_size=False).architecture == "llama"


# --- files written by gguf.GGUFWriter ----------------------------------------------

def _write(path: Path, fill: Callable[[gguf.GGUFWriter], None], tensors: bool = True) -> Path:
    writer = gguf.GGUFWriter(str(path), "llama")
    fill(writer)
    if tensors:
        writer.add_tensor("a", np.arange(32, dtype=np.float32).reshape(4, 8))
        writer.add_tensor("b", np.ones(5, dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_writer_round_trip(tmp_path: Path) -> None:
    def fill(w: gguf.GGUFWriter) -> None:
        w.add_uint8("t.u8", 200)
        w.add_int8("t.i8", -100)
        w.add_uint16("t.u16", 60000)
        w.add_int16("t.i16", -30000)
        w.add_uint32("t.u32", 4_000_000_000)
        w.add_int32("t.i32", -2_000_000_000)
        w.add_uint64("t.u64", 2**64 - 1)
        w.add_int64("t.i64", -2**63)
        w.add_float32("t.f32", 1.5)
        w.add_float64("t.f64", 2.25)
        w.add_bool("t.yes", True)
        w.add_bool("t.no", False)
        w.add_string("t.str", "héllo ✓")
        w.add_array("t.ints", [1, 2, 3])
        w.add_array("t.strs", ["a", "bc", ""])
        w.add_array("t.big", list(range(2000)))
        w.add_context_length(512)
        w.add_block_count(2)
        w.add_head_count(4)
        w.add_file_type(15)
        w.add_chat_template("{{ messages }}")

    info = read_gguf_info(_write(tmp_path / "tiny.gguf", fill))
    md = info.metadata
    assert (md["t.u8"], md["t.i8"], md["t.u16"], md["t.i16"]) == (200, -100, 60000, -30000)
    assert (md["t.u32"], md["t.i32"], md["t.u64"], md["t.i64"]) == (4_000_000_000, -2_000_000_000, 2**64 - 1, -2**63)
    assert (md["t.f32"], md["t.f64"], md["t.yes"], md["t.no"]) == (1.5, 2.25, True, False)
    assert md["t.str"] == "héllo ✓"
    assert md["t.ints"] == [1, 2, 3]
    assert md["t.strs"] == ["a", "bc", ""]
    assert isinstance(md["t.big"], ArrayInfo) and md["t.big"].length == 2000
    assert info.architecture == "llama"
    assert info.name == "tiny"
    assert info.context_length == 512 and info.block_count == 2
    assert info.head_count == 4 and info.head_count_kv == 4  # falls back to head_count
    assert info.embedding_length is None
    assert info.quantization == "Q4_K_M"
    assert info.chat_template == "{{ messages }}"
    assert info.n_tensors == 2
    assert info.parameter_count == 37
    assert info.tensor_type_bytes == {"F32": 128, "F16": 10}
    assert info.tensor_data_offset % 32 == 0
    assert info.tensor_data_offset + info.tensor_data_size <= info.file_size
    assert info.bos_token is None and info.chat_markers == frozenset()


@pytest.mark.parametrize("n_tokens", [10, 3000])  # kept as a list, then scanned without keeping
def test_writer_tokens(tmp_path: Path, n_tokens: int) -> None:
    tokens = [f"tok{i}" for i in range(n_tokens)]
    tokens[1], tokens[2], tokens[5], tokens[7] = "<s>", "</s>", "<start_of_turn>", "<think>"

    def fill(w: gguf.GGUFWriter) -> None:
        w.add_token_list(tokens)
        w.add_bos_token_id(1)
        w.add_eos_token_id(2)

    info = read_gguf_info(_write(tmp_path / "tok.gguf", fill, tensors=False))
    assert (info.bos_token, info.eos_token) == ("<s>", "</s>")
    assert info.chat_markers == {"<start_of_turn>", "<think>"}
    assert info.n_tensors == 0 and info.parameter_count == 0
    assert info.quantization == "unknown"
    assert info.tensor_data_size == 0


def test_quantization_from_tensors(tmp_path: Path) -> None:
    info = read_gguf_info(_write(tmp_path / "nofiletype.gguf", lambda w: None))
    assert info.quantization == "F32"


def test_custom_alignment(tmp_path: Path) -> None:
    def fill(w: gguf.GGUFWriter) -> None:
        w.add_custom_alignment(64)

    info = read_gguf_info(_write(tmp_path / "align.gguf", fill))
    assert info.metadata["general.alignment"] == 64
    assert info.tensor_data_offset % 64 == 0


# --- a hostile corpus, after llama.cpp's tests/test-gguf.cpp --------------------------

def _s(text: bytes) -> bytes:
    return struct.pack("<Q", len(text)) + text


def _head(n_tensors: int = 0, n_kv: int = 0, version: int = 3, magic: bytes = b"GGUF") -> bytes:
    return magic + struct.pack("<IQQ", version, n_tensors, n_kv)


def _kv_u32(key: bytes, value: int) -> bytes:
    return _s(key) + struct.pack("<II", 4, value)


def _tensor(name: bytes = b"t", dims: tuple[int, ...] = (8,), ggml_type: int = 0, offset: int = 0) -> bytes:
    return _s(name) + struct.pack(f"<I{len(dims)}QIQ", len(dims), *dims, ggml_type, offset)


def _with_data(header: bytes, data: int = 64, alignment: int = 32) -> bytes:
    return header + b"\0" * (-len(header) % alignment) + b"\0" * data


_GARBAGE = bytes((i * 131 + 17) % 256 for i in range(4096))

CORPUS: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "empty"),
    "magic-only": (b"GGUF", "ends too early"),
    "bad-magic": (b"GGML" + _head()[4:], "GGUF"),
    "html": (b"<!DOCTYPE html><html><body>Not found</body></html>", "web page"),
    "garbage": (_GARBAGE, "GGUF"),
    "version-0": (_head(version=0), "version 0"),
    "version-1": (_head(version=1), "version 1"),
    "version-4": (_head(version=4), "version 4"),
    "big-endian": (b"GGUF" + struct.pack(">IQQ", 3, 0, 0), "big-endian"),
    "n-tensors-max": (_head(n_tensors=2**64 - 1), "tensors"),
    "n-kv-max": (_head(n_kv=2**64 - 1), "metadata entries"),
    "n-kv-too-many-for-file": (_head(n_kv=1000) + _kv_u32(b"a.b", 1), "metadata entries"),
    "key-length-max": (_head(n_kv=1) + struct.pack("<Q", 2**64 - 1) + b"k" * 32, "bytes"),
    "empty-key": (_head(n_kv=1) + _kv_u32(b"", 1), "empty name"),
    "string-past-eof": (_head(n_kv=1) + _s(b"k") + struct.pack("<IQ", 8, 10_000) + b"abc", "remain"),
    "array-count-2**63": (_head(n_kv=1) + _s(b"k") + struct.pack("<IIQ", 9, 4, 2**63) + b"\0" * 32, "items"),
    "string-array-count-huge": (_head(n_kv=1) + _s(b"k") + struct.pack("<IIQ", 9, 8, 2**40) + b"\0" * 32, "items"),
    "array-of-arrays": (_head(n_kv=1) + _s(b"k") + struct.pack("<IIQ", 9, 9, 1) + b"\0" * 32, "array of arrays"),
    "duplicate-key": (_head(n_kv=2) + _kv_u32(b"a.b", 1) + _kv_u32(b"a.b", 2), "twice"),
    "unknown-type": (_head(n_kv=1) + _s(b"k") + struct.pack("<II", 13, 0) + b"\0" * 8, "unknown value type"),
    "unknown-array-type": (_head(n_kv=1) + _s(b"k") + struct.pack("<IIQ", 9, 99, 1) + b"\0" * 8, "unknown type"),
    "kv-truncated": (_head(n_kv=1) + _s(b"k") + struct.pack("<I", 4) + b"\0", "ends too early"),
    "alignment-0": (_with_data(_head(n_tensors=1, n_kv=1) + _kv_u32(b"general.alignment", 0) + _tensor()),
                    "power of two"),
    "alignment-3": (_with_data(_head(n_tensors=1, n_kv=1) + _kv_u32(b"general.alignment", 3) + _tensor()),
                    "power of two"),
    "alignment-not-u32": (_head(n_kv=1) + _s(b"general.alignment") + struct.pack("<IQ", 10, 32), "uint32"),
    "tensor-n-dims-5": (_with_data(_head(n_tensors=1) + _tensor(dims=(8, 1, 1, 1, 1))), "dimensions"),
    "tensor-dim-0": (_with_data(_head(n_tensors=1) + _tensor(dims=(8, 0))), "dimension 0"),
    "tensor-dim-negative": (_with_data(_head(n_tensors=1) + _tensor(dims=(8, 2**64 - 1))), "dimension"),
    "tensor-overflow": (_with_data(_head(n_tensors=1) + _tensor(dims=(2**32, 2**32))), "large shape"),
    "tensor-unknown-type": (_with_data(_head(n_tensors=1) + _tensor(ggml_type=4)), "unknown ggml type"),
    "tensor-block-size": (_with_data(_head(n_tensors=1) + _tensor(dims=(33,), ggml_type=2)), "block size"),
    "tensor-misaligned": (_with_data(_head(n_tensors=1) + _tensor(offset=1)), "not aligned"),
    "tensor-offset-past-eof": (_with_data(_head(n_tensors=1) + _tensor(offset=2**40)), "should start"),
    "tensor-overlap": (_with_data(_head(n_tensors=2) + _tensor(b"a", dims=(16,)) + _tensor(b"b", offset=32)),
                       "should start"),
    "tensor-duplicate-name": (_with_data(_head(n_tensors=2) + _tensor(b"a") + _tensor(b"a", offset=32)), "twice"),
    "tensor-name-too-long": (_with_data(_head(n_tensors=1) + _tensor(b"n" * 300)), "bytes long"),
    "tensor-data-missing": (_head(n_tensors=1) + _tensor(dims=(1024,)), "incomplete"),
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_hostile_corpus(tmp_path: Path, case: str) -> None:
    content, expected = CORPUS[case]
    path = tmp_path / f"{case}.gguf"
    path.write_bytes(content)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ModelInvalid) as caught:
            read_gguf_info(path)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert elapsed < 0.1, f"{case} took {elapsed:.3f} s"
    assert peak < 50 * 1024 * 1024, f"{case} peaked at {peak:,} bytes"
    assert str(path) in message
    assert expected in message, message
    assert caught.value.path == str(path)
    assert caught.value.hint


@pytest.mark.parametrize("content, kind", [
    (b"\xff\xd8\xff\xe0" + b"\0" * 60, "(a JPEG image)"), (b"%PDF-1.7\n" + b"x" * 60, "(a PDF document)"),
    (b"PK\x03\x04" + b"\0" * 60, "(a ZIP archive or Office document)"), (b"hello, not a model" * 4, "file"),
    (b"lmgg" + b"\0" * 60, "old GGML model file")])
def test_a_file_that_is_not_a_model_says_so_in_words(tmp_path: Path, content: bytes, kind: str) -> None:
    """A file picked by mistake: named for what it is, no Python bytes repr, no advice to delete it."""
    path = tmp_path / "picked.gguf"
    path.write_bytes(content)
    with pytest.raises(ModelInvalid) as caught:
        read_gguf_info(path)
    message = str(caught.value)
    assert kind in message and ("not a GGUF model file" in message or "before GGUF" in message), message
    assert "b'" not in message and "\\x" not in message, message
    assert "delete" not in caught.value.hint.lower() and caught.value.hint
    assert path.read_bytes() == content


def test_no_model_error_advises_deleting_the_user_s_file() -> None:
    from engine import errors
    for cls in (errors.ModelInvalid, errors.ModelBroken, errors.UnsafeTemplate):
        assert "delete" not in cls.hint.lower(), cls


def test_valid_minimal_files_pass(tmp_path: Path) -> None:
    """The corpus' builders make valid files when nothing is wrong (so each case fails for its own reason)."""
    empty = tmp_path / "empty-header.gguf"
    empty.write_bytes(_head())
    assert read_gguf_info(empty).n_tensors == 0
    one = tmp_path / "one.gguf"
    one.write_bytes(_with_data(_head(n_tensors=2, n_kv=1) + _kv_u32(b"general.alignment", 64)
                               + _tensor(b"a", dims=(8,)) + _tensor(b"b", dims=(32, 2), ggml_type=2, offset=64),
                               data=128, alignment=64))
    info = read_gguf_info(one)
    assert info.tensor_data_offset % 64 == 0
    assert info.tensor_data_size == 64 + 36
    assert info.tensor_type_bytes == {"F32": 32, "Q4_0": 36}


def test_directory_and_missing(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound) as caught:
        read_gguf_info(tmp_path)
    assert str(tmp_path) in str(caught.value)
    missing = tmp_path / "nope.gguf"
    with pytest.raises(ModelNotFound) as caught:
        read_gguf_info(missing)
    assert str(missing) in str(caught.value) and caught.value.hint
    assert not is_gguf(missing) and not is_gguf(tmp_path)


def test_remote_short_reads_and_size_unknown(tmp_path: Path) -> None:
    """A reader that returns a few bytes at a time, with no known size, still parses (or fails cleanly)."""
    data = _write(tmp_path / "r.gguf", lambda w: w.add_token_list([f"t{i}" for i in range(1500)])).read_bytes()

    def read(offset: int, n: int) -> bytes:
        return data[offset:offset + min(n, 7)]

    info: GGUFInfo = parse_gguf_header(read, source="https://example.invalid/r.gguf", file_size=None)
    assert info.name == "r" and info.metadata["tokenizer.ggml.tokens"] == ArrayInfo("string", 1500)
    with pytest.raises(ModelInvalid, match="ends too early"):
        parse_gguf_header(lambda o, n: data[:100][o:o + n], source="remote", file_size=None)
