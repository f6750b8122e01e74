"""The offload planner on the real SmolLM2 header with given free GPU memory, and the fallback to fewer
layers when a load or first decode runs out of memory (forced on the CPU with HEARTH_FAULT_GPU_OOM)."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine import Done, Runtime, Sampling
from engine.models.gguf import read_gguf_info
from engine.runtime import offload

GB = 10 ** 9
MIB = 1024 * 1024
CHATML = "<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n"


@pytest.fixture(scope="module")
def smol_info(smollm2_path: Path):  # type: ignore[no-untyped-def]
    return read_gguf_info(str(smollm2_path))


def test_layer_costs_add_up_to_the_file_and_the_kv_cache(smol_info) -> None:  # type: ignore[no-untyped-def]
    costs = offload.layer_costs(smol_info, 2048)
    assert len(costs.blocks) == 30 and costs.total_layers == 31
    # SmolLM2: 3 KV heads of 64 dims for K and for V, f16, in each of its 30 blocks
    kv_per_block = 2048 * 3 * (64 + 64) * 2
    weights = [c - kv_per_block for c in costs.blocks]
    assert weights[0] == 2304 * 2 + 552960 * 3 + 207360 * 2 + 69120 * 2   # blk.0.* in the header
    assert len(set(weights)) == 1
    embeddings = smol_info.tensor_bytes["token_embd.weight"]
    # every tensor is counted once: the blocks, the embeddings (tied: copied for the output layer), the norm
    assert sum(weights) + embeddings + smol_info.tensor_bytes["output_norm.weight"] == \
        sum(smol_info.tensor_bytes.values())
    assert costs.output == embeddings + 2304 + 512 * 49152 * 4
    assert costs.vram_bytes(0) == 0
    assert costs.vram_bytes(31) == costs.vram_bytes(-1) == sum(costs.blocks) + costs.output + costs.compute
    assert costs.vram_bytes(5) == 5 * costs.blocks[0] + costs.compute


def test_everything_fits_in_a_big_gpu(smol_info) -> None:  # type: ignore[no-untyped-def]
    plan = offload.plan_offload(smol_info, n_ctx=8192, free_bytes=80 * GB)
    assert (plan.layers, plan.total_layers) == (31, 31)
    assert 0.2 * GB < plan.vram_bytes < 0.4 * GB and plan.reason == "every layer fits"


def test_part_of_the_layers_fit_in_a_small_gpu(smol_info) -> None:  # type: ignore[no-untyped-def]
    costs = offload.layer_costs(smol_info, 8192)
    # free memory that leaves, after the margin, room for exactly 12 blocks
    budget = costs.vram_bytes(12) + costs.blocks[0] // 2
    free = int((budget + offload.MARGIN_BYTES) / (1 - offload.MARGIN_SHARE)) + 1
    plan = offload.plan_offload(smol_info, n_ctx=8192, free_bytes=free)
    assert plan.layers == 12 and plan.vram_bytes == costs.vram_bytes(12)
    assert plan.vram_bytes + offload.margin(free) <= free
    assert "12 of 31 layers fit" in plan.reason
    # a longer context takes more KV cache per layer: fewer layers fit in the same memory
    assert offload.plan_offload(smol_info, n_ctx=32768, free_bytes=free).layers < 12


def test_no_layer_fits_in_the_margin_and_unknown_memory_offloads_all(smol_info) -> None:  # type: ignore[no-untyped-def]
    small = offload.plan_offload(smol_info, n_ctx=4096, free_bytes=400 * MIB)
    assert small.layers == 0 and small.vram_bytes == 0 and "CPU only" in small.reason
    unknown = offload.plan_offload(smol_info, n_ctx=4096, free_bytes=None)
    assert unknown.layers == 31 and "unknown" in unknown.reason


def test_fallback_halves_then_uses_the_cpu() -> None:
    assert offload.fallback_layers(33, 33) == [33, 16, 8, 0]
    assert offload.fallback_layers(-1, 31) == [31, 15, 7, 0]
    assert offload.fallback_layers(3, 31) == [3, 1, 0]
    assert offload.fallback_layers(1, 31) == [1, 0]
    assert offload.fallback_layers(0, 31) == [0]


def _reply(runtime: Runtime) -> tuple[str, dict]:
    text, stats = [], {}
    for item in runtime.generate(CHATML.format(q="Say hello."), Sampling(temperature=0, max_tokens=8)):
        if isinstance(item, Done):
            stats = item.stats
        else:
            text.append(item)
    return "".join(text), stats


@pytest.fixture()
def runtime(tmp_path: Path):  # type: ignore[no-untyped-def]
    rt = Runtime(log_path=tmp_path / "llama.log", cache_dir=tmp_path)
    yield rt
    rt.close()


def test_a_load_that_runs_out_of_gpu_memory_retries_with_fewer_layers(
        runtime: Runtime, smollm2_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(offload.FAULT_ENV, "load:10")   # more than 10 GPU layers: the allocation fails
    info = runtime.load(smollm2_path, n_ctx=512, n_threads=2, n_gpu_layers=31)
    assert info.offload_note.startswith("31 GPU layers did not fit")
    assert info.offload_note.endswith("loaded with 7.")   # 31 → 15 → 7
    text, stats = _reply(runtime)
    assert text and stats["completion_tokens"] > 0


def test_a_first_decode_that_runs_out_of_gpu_memory_ends_on_the_cpu(
        runtime: Runtime, smollm2_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(offload.FAULT_ENV, "decode:0")  # any GPU layer: the first decode fails
    info = runtime.load(smollm2_path, n_ctx=512, n_threads=2, n_gpu_layers=-1)
    assert info.offload_note.startswith("31 GPU layers did not fit (llama.cpp could not evaluate a first token")
    assert info.offload_note.endswith("loaded on the CPU.") and info.gpu_layers == 0
    text, stats = _reply(runtime)
    assert text and stats["completion_tokens"] > 0


def test_automatic_on_a_cpu_build_plans_nothing(
        runtime: Runtime, smollm2_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(offload.FAULT_ENV, "load:0")    # would fail any try with GPU layers
    info = runtime.load(smollm2_path, n_ctx=512, n_threads=2)   # n_gpu_layers="auto"
    assert (info.backend, info.gpu_layers, info.vram_bytes, info.offload_note) == ("CPU", 0, 0, "")
