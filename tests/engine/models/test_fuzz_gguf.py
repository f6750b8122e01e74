"""Fuzz the GGUF header check (parse_gguf_header + check_loadable) with mutated real headers.

The seeds in tests/data/fuzz/gguf/ are small GGUFs written by tests/gguf_tools.py (rewrite them with
``python -m tests.engine.models.test_fuzz_gguf``). Hypothesis flips bits, truncates, writes huge counts
and splices bytes; every input must parse or raise an engine error (ModelError), each within 1 s.
Bounded: at most MAX_EXAMPLES inputs and about 60 s. ``HEARTH_FUZZ_EXAMPLES`` raises the count.
"""
from __future__ import annotations

import os
import struct
import time
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import ModelError
from engine.models.gguf import check_loadable, parse_gguf_header

SEEDS_DIR = Path(__file__).resolve().parents[2] / "data" / "fuzz" / "gguf"
MAX_EXAMPLES = int(os.environ.get("HEARTH_FUZZ_EXAMPLES", "6000"))
PER_INPUT_S = 1.0
BUDGET_S = 60.0
HUGE = [0xFFFFFFFFFFFFFFFF, 1 << 63, (1 << 63) - 1, 1 << 32, 0xFFFFFFFF, 1 << 28, 513, 0]


def _seeds() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(SEEDS_DIR.glob("*.gguf"))}


SEEDS = _seeds()
WORST = {"seconds": 0.0, "inputs": 0, "started": 0.0}


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    yield
    print(f"\nfuzz: {WORST['inputs']} inputs, slowest {WORST['seconds'] * 1000:.1f} ms")


def _check(data: bytes, file_size: int | None) -> None:
    """Parse and validate; only engine errors may come out, and fast."""
    def read(offset: int, size: int) -> bytes:
        return data[offset:offset + size]

    started = time.perf_counter()
    try:
        check_loadable(parse_gguf_header(read, source="fuzz.gguf", file_size=file_size))
    except ModelError as exc:
        assert "fuzz.gguf" in str(exc)
    seconds = time.perf_counter() - started
    WORST["seconds"] = max(WORST["seconds"], seconds)
    WORST["inputs"] += 1
    assert seconds < PER_INPUT_S, f"{seconds:.2f} s for one input"


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "byte", "huge32", "huge64", "cut", "splice", "delete"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "byte" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "huge32":
            data[at:at + 4] = struct.pack("<I", draw(st.sampled_from(HUGE)) & 0xFFFFFFFF)
        elif kind == "huge64":
            data[at:at + 8] = struct.pack("<Q", draw(st.sampled_from(HUGE)))
        elif kind == "cut":
            del data[at:]
        elif kind == "splice":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 16))]
    return bytes(data)


def test_seed_corpus_is_small_and_valid() -> None:
    assert len(SEEDS) >= 3
    for name, data in SEEDS.items():
        assert len(data) <= 12 * 1024, name
        check_loadable(parse_gguf_header(lambda o, n: data[o:o + n], source=name, file_size=len(data)))


@settings(max_examples=MAX_EXAMPLES, deadline=timedelta(seconds=PER_INPUT_S), database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=mutated(), known_size=st.booleans())
def test_mutated_headers_never_crash_or_hang(data: bytes, known_size: bool) -> None:
    WORST["started"] = WORST["started"] or time.monotonic()   # the budget starts with the first example
    if time.monotonic() - WORST["started"] > BUDGET_S:
        return   # the time budget is spent: the remaining examples pass untried
    _check(data, len(data) if known_size else None)


@pytest.mark.parametrize("case", ["magic", "v0", "v1", "v4", "tensors", "kv", "key", "string", "array", "dup"])
def test_malformed_corpus_refused_fast(case: str) -> None:
    """llama.cpp test-gguf.cpp's malformed kinds, made from the smallest seed."""
    base = bytearray(SEEDS["tiny-llama.gguf"])
    key_at = 24   # the first metadata entry: u64 key length, key, u32 type, value
    (key_len,) = struct.unpack_from("<Q", base, key_at)
    value_at = key_at + 8 + key_len + 4
    if case == "magic":
        base[:4] = b"GGUX"
    elif case.startswith("v"):
        base[4:8] = struct.pack("<I", int(case[1:]))
    elif case == "tensors":
        base[8:16] = struct.pack("<Q", HUGE[0])
    elif case == "kv":
        base[16:24] = struct.pack("<Q", HUGE[0])
    elif case == "key":
        base[key_at:key_at + 8] = struct.pack("<Q", HUGE[0])
    elif case == "string":   # general.architecture is the first entry: a string longer than the file
        base[value_at:value_at + 8] = struct.pack("<Q", len(base) * 2)
    elif case == "array":
        base[value_at - 4:value_at] = struct.pack("<I", 9)
        base[value_at:value_at + 12] = struct.pack("<IQ", 4, 1 << 63)
    elif case == "dup":
        second = bytes(base[key_at:value_at + 8 + 5])  # general.architecture = "llama", again
        base[16:24] = struct.pack("<Q", struct.unpack_from("<Q", base, 16)[0] + 1)
        base[value_at + 8 + 5:value_at + 8 + 5] = second
    started = time.perf_counter()
    with pytest.raises(ModelError):
        check_loadable(parse_gguf_header(lambda o, n: bytes(base[o:o + n]), source="fuzz.gguf",
                                         file_size=len(base)))
    assert time.perf_counter() - started < 0.1


def write_seeds() -> None:
    """Write the seed corpus (small GGUFs from the test tools)."""
    from engine.models.gguf import read_gguf_info
    from tests.gguf_tools import DROP, VT, tiny_gguf
    SEEDS_DIR.mkdir(parents=True, exist_ok=True)
    tiny_gguf(SEEDS_DIR / "tiny-llama.gguf")
    tiny_gguf(SEEDS_DIR / "tiny-chat.gguf", kv={
        "tokenizer.chat_template": ("{% for m in messages %}<|im_start|>{{ m.content }}<|im_end|>{% endfor %}",
                                    VT.STRING),
        "tokenizer.ggml.bos_token_id": (1, VT.UINT32), "tokenizer.ggml.eos_token_id": (2, VT.UINT32)})
    n = 1030   # over 1024 tokens: the header walks them instead of keeping them
    tokens = ["<s>", "</s>"] + [chr(0x100 + i) for i in range(n - 2)]
    tiny_gguf(SEEDS_DIR / "tiny-long-vocab.gguf", kv={
        "tokenizer.ggml.tokens": (tokens, VT.ARRAY, VT.STRING), "tokenizer.ggml.scores": DROP,
        "tokenizer.ggml.token_type": DROP, "tokenizer.ggml.bos_token_id": (1029, VT.UINT32)},
        tensors={"token_embd.weight": (n, 8)})
    tiny_gguf(SEEDS_DIR / "tiny-qwen3-embed.gguf", arch="qwen3", kv={"qwen3.pooling_type": (1, VT.UINT32)})
    for seed in SEEDS_DIR.glob("*.gguf"):   # keep the header only: the tensor data is never parsed
        header = read_gguf_info(seed).tensor_data_offset
        seed.write_bytes(seed.read_bytes()[:header])


if __name__ == "__main__":
    write_seeds()
