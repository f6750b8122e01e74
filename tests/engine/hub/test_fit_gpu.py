"""Fit labels on a machine with a dedicated GPU: the layers the runtime's planner would offload go to VRAM,
and what stays in RAM decides the label (given GPU figures; the real SmolLM2 header through the fake Hub)."""
from __future__ import annotations

from engine.hub.fit import estimate_for, estimate_memory, fit_label, plan_repo
from engine.machine import GpuMemory, MachineMemory, gpu_margin
from engine.models.gguf import GGUFInfo
from tests.hub_server import SMOLLM2_REPO, FakeHub, hub, smollm2_hub  # noqa: F401

GB = 10 ** 9
MB = 10 ** 6


def _llama_8b() -> GGUFInfo:
    metadata = {"general.architecture": "llama", "llama.block_count": 32, "llama.embedding_length": 4096,
                "llama.attention.head_count": 32, "llama.attention.head_count_kv": 8,
                "llama.context_length": 8192, "llama.vocab_size": 128_256}
    return GGUFInfo(path="Llama-3-8B.Q4_K_M.gguf", version=3, file_size=None, n_tensors=0, metadata=metadata,
                    tensor_data_offset=0, tensor_data_size=0, header_bytes=0, bos_token=None, eos_token=None,
                    chat_markers=frozenset())


def _machine(ram: float, vram: float) -> MachineMemory:
    gpus = [GpuMemory("NVIDIA GeForce RTX 4060", int(8 * GB), int(vram))] if vram else []
    return MachineMemory(total_ram=int(16 * GB), available_ram=int(ram), gpus=gpus)


def test_a_big_gpu_takes_every_layer_and_little_stays_in_ram() -> None:
    machine = _machine(ram=1 * GB, vram=7 * GB)
    estimate = estimate_for(_llama_8b(), file_size=int(4.9 * GB), n_ctx=4096, machine=machine)
    assert estimate.gpu_layers == 32
    assert estimate.vram_bytes <= 7 * GB - gpu_margin(7 * GB) and estimate.ram_bytes < 0.2 * GB
    assert fit_label(estimate, machine) == "fits"   # 1 GB of RAM is plenty when the GPU holds the model


def test_a_small_gpu_takes_some_layers_and_the_ram_must_hold_the_rest() -> None:
    machine = _machine(ram=6 * GB, vram=1 * GB)
    info = _llama_8b()
    estimate = estimate_for(info, file_size=int(4.9 * GB), n_ctx=4096, machine=machine)
    assert 0 < estimate.gpu_layers < 32
    assert estimate.vram_bytes <= 1 * GB - gpu_margin(1 * GB)
    one_more = estimate_memory(info, file_size=int(4.9 * GB), n_ctx=4096, gpu_layers=estimate.gpu_layers + 1)
    assert one_more.vram_bytes > 1 * GB - gpu_margin(1 * GB)   # the most layers that fit
    # RAM and VRAM added together (7 GB) would call it "fits"; 4.5+ GB of 6 GB RAM is "tight"
    assert estimate.ram_bytes / (6 * GB) > 0.70
    assert fit_label(estimate, machine) == "tight"


def test_a_gpu_with_less_than_the_margin_free_takes_nothing() -> None:
    machine = _machine(ram=16 * GB, vram=0.4 * GB)
    estimate = estimate_for(_llama_8b(), file_size=int(4.9 * GB), n_ctx=4096, machine=machine)
    assert estimate.gpu_layers == 0 and estimate.vram_bytes == 0
    assert fit_label(estimate, machine) == "fits"


def test_unified_memory_and_no_gpu_are_not_planned() -> None:
    info = _llama_8b()
    plain = estimate_memory(info, file_size=int(4.9 * GB), n_ctx=4096)
    assert estimate_for(info, file_size=int(4.9 * GB), n_ctx=4096, machine=_machine(8 * GB, 0)).gpu_layers is None
    mac = MachineMemory(total_ram=int(16 * GB), available_ram=int(8 * GB),
                        gpus=[GpuMemory("Apple GPU (unified memory)", int(16 * GB), int(8 * GB), unified=True)])
    assert estimate_for(info, file_size=int(4.9 * GB), n_ctx=4096, machine=mac) == plain


def test_model_manager_plan_uses_the_gpu(smollm2_hub: FakeHub) -> None:  # noqa: F811
    # 60 MB of free RAM cannot hold SmolLM2 (98 MB); a GPU with 2 GB free holds all of it
    [row] = plan_repo(SMOLLM2_REPO, n_ctx=2048, machine=_machine(ram=60 * MB, vram=2 * GB))
    assert row.estimate.gpu_layers == 30 and row.estimate.vram_bytes > 98 * MB
    assert row.fit == "fits" and row.recommended
    [cpu_row] = plan_repo(SMOLLM2_REPO, n_ctx=2048, machine=_machine(ram=60 * MB, vram=0))
    assert cpu_row.estimate.gpu_layers is None and cpu_row.fit == "too_big"
