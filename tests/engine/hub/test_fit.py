"""Fit before download: a remote header read by range requests, memory estimates checked against the
real worker process, fit labels, recommendations and this machine's memory."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from engine.errors import HubOffline, ModelInvalid, NoModelLoaded, RemoteFileNotFound, RepoNotFound, UnsafeFileName
from engine.models.gguf import GGUFInfo, read_gguf_info
from engine.hub.fit import (
    MemoryEstimate,
    estimate_choice,
    estimate_memory,
    fit_label,
    read_remote_header,
    recommend_choice,
)
from engine.machine import GpuMemory, MachineMemory, machine_memory, parse_meminfo, parse_nvidia_smi, parse_vm_stat
from engine.hub.search import ModelChoice, RemoteFile, list_model_files
from tests.hub_server import SMOLLM2_FILE, SMOLLM2_REPO, FakeHub, hub, smollm2_hub  # noqa: F401

log = logging.getLogger(__name__)
GB = 1_000_000_000


def test_remote_header_equals_the_local_one(smollm2_hub: FakeHub, smollm2_path: Path) -> None:  # noqa: F811
    remote = read_remote_header(SMOLLM2_REPO, SMOLLM2_FILE)
    local = read_gguf_info(smollm2_path)
    info = remote.info
    for attr in ("architecture", "block_count", "embedding_length", "head_count", "head_count_kv",
                 "context_length", "quantization", "parameter_count", "n_tensors", "tensor_data_offset",
                 "tensor_data_size", "bos_token", "eos_token", "chat_markers", "chat_template", "name"):
        assert getattr(info, attr) == getattr(local, attr), attr
    assert info.metadata == local.metadata
    assert (info.architecture, info.block_count, info.head_count, info.head_count_kv) == ("llama", 30, 9, 3)
    assert remote.file_size == smollm2_path.stat().st_size == info.file_size

    share = remote.bytes_read / remote.file_size
    print(f"\nremote header: {remote.bytes_read:,} of {remote.file_size:,} bytes ({share:.1%}) "
          f"in {remote.requests} requests; the header itself is {info.header_bytes:,} bytes")
    assert share < 0.05
    # only ranges were asked for, and the server sent no more than the client counted
    reads = [r for r in smollm2_hub.requests if r.method == "GET" and "/api/" not in r.path]
    assert len(reads) == remote.requests and all(r.range for r in reads)
    assert smollm2_hub.bytes_sent(SMOLLM2_FILE) <= remote.bytes_read
    assert [r.status for r in reads][:2] == [302, 206]  # resolved once, then straight to the bytes


def test_remote_header_failures(smollm2_hub: FakeHub) -> None:  # noqa: F811
    with pytest.raises(RemoteFileNotFound) as caught:
        read_remote_header(SMOLLM2_REPO, "missing-Q4_0.gguf")
    assert "missing-Q4_0.gguf" in str(caught.value)
    with pytest.raises(RepoNotFound) as caught:
        read_remote_header("nobody/nothing-GGUF", SMOLLM2_FILE)
    assert "nobody/nothing-GGUF" in str(caught.value)

    smollm2_hub.add_repo("corp/Gated-GGUF", gated="manual")
    smollm2_hub.add_file("corp/Gated-GGUF", "gated-Q4_0.gguf", b"GGUF" + bytes(100))
    with pytest.raises(RepoNotFound) as caught:
        read_remote_header("corp/Gated-GGUF", "gated-Q4_0.gguf")
    assert "corp/Gated-GGUF" in str(caught.value) and "gated" in str(caught.value)

    smollm2_hub.add_file(SMOLLM2_REPO, "page-Q4_0.gguf", b"<!DOCTYPE html><html>Not a model</html>")
    with pytest.raises(ModelInvalid) as caught:
        read_remote_header(SMOLLM2_REPO, "page-Q4_0.gguf")
    assert "page-Q4_0.gguf" in str(caught.value) and "HTML" in str(caught.value)

    before = len(smollm2_hub.requests)
    with pytest.raises(UnsafeFileName):
        read_remote_header(SMOLLM2_REPO, "../../etc/passwd.gguf")
    assert len(smollm2_hub.requests) == before  # refused before asking anything

    with pytest.raises(ModelInvalid) as caught:  # the read is bounded
        read_remote_header(SMOLLM2_REPO, SMOLLM2_FILE, max_bytes=512 * 1024)
    assert "larger than" in str(caught.value)

    smollm2_hub.set_offline(True)
    with pytest.raises(HubOffline):
        read_remote_header(SMOLLM2_REPO, SMOLLM2_FILE)


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def _worker_memory(model: Path, tmp_path: Path, n_ctx: int) -> tuple[int, int, int]:
    """(empty worker RSS, RSS added by loading ``model``, RSS added after a 600-token prompt) of a real worker."""
    from engine import Runtime
    from engine.sampling import Sampling

    runtime = Runtime(log_path=tmp_path / "llama.log", cache_dir=tmp_path)
    try:
        runtime._ensure_worker()
        with pytest.raises(NoModelLoaded):  # answered once the worker has imported llama.cpp
            runtime._call("count", {"text": ""})
        pid = runtime.worker_pid
        assert pid is not None
        baseline = _rss_bytes(pid)
        runtime.load(model, n_ctx=n_ctx, n_threads=2)
        assert runtime.worker_pid == pid
        loaded = _rss_bytes(pid) - baseline
        for _ in runtime.generate("Hello there. " * 200, Sampling(max_tokens=8, seed=1)):
            pass
        return baseline, loaded, _rss_bytes(pid) - baseline
    finally:
        runtime.close()


def _compare(name: str, estimate: MemoryEstimate, model: Path, tmp_path: Path) -> None:
    baseline, loaded, chatting = _worker_memory(model, tmp_path, 2048)
    print(f"\n{name} n_ctx 2048: estimate {estimate.total_bytes / 1e6:.1f} MB (weights "
          f"{estimate.weights_bytes / 1e6:.1f}, KV {estimate.kv_cache_bytes / 1e6:.1f}, compute "
          f"{estimate.compute_bytes / 1e6:.1f}); worker RSS above an empty worker ({baseline / 1e6:.1f} MB): "
          f"{loaded / 1e6:.1f} MB after load, {chatting / 1e6:.1f} MB after a 600-token prompt")
    assert abs(estimate.total_bytes - loaded) <= 0.20 * loaded
    assert abs(estimate.total_bytes - chatting) <= 0.20 * chatting


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/status")
def test_estimate_matches_the_real_worker(smollm2_hub: FakeHub, smollm2_path: Path,  # noqa: F811
                                          tmp_path: Path) -> None:
    (choice,) = list_model_files(SMOLLM2_REPO)
    estimate = estimate_choice(choice, n_ctx=2048)
    assert estimate == estimate_memory(read_gguf_info(smollm2_path), file_size=smollm2_path.stat().st_size,
                                       n_ctx=2048)
    assert estimate.weights_bytes == smollm2_path.stat().st_size
    assert estimate.kv_cache_bytes == 2 * 30 * 2048 * 3 * 64 * 2  # K and V, f16, 3 KV heads of 64
    assert estimate.vram_bytes == 0 and estimate.ram_bytes == estimate.total_bytes
    _compare("SmolLM2 135M Q4_1", estimate, smollm2_path, tmp_path)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/status")
def test_estimate_matches_the_real_worker_for_a_big_vocabulary(gemma3_path: Path, tmp_path: Path) -> None:
    """Gemma 3 270M: a 262k-token vocabulary, sliding-window layers, key/value head sizes in the metadata."""
    info = read_gguf_info(gemma3_path)
    estimate = estimate_memory(info, file_size=gemma3_path.stat().st_size, n_ctx=2048)
    _compare("Gemma 3 270M Q4_K_M", estimate, gemma3_path, tmp_path)


def _info(layers: int = 32, embedding: int = 4096, heads: int = 32, kv_heads: int = 8,
          vocab: int = 32_000) -> GGUFInfo:
    metadata = {"general.architecture": "llama", "llama.block_count": layers, "llama.embedding_length": embedding,
                "llama.attention.head_count": heads, "llama.attention.head_count_kv": kv_heads,
                "llama.context_length": 8192, "llama.vocab_size": vocab}
    return GGUFInfo(path="x.gguf", version=3, file_size=None, n_tensors=0, metadata=metadata, tensor_data_offset=0,
                    tensor_data_size=0, header_bytes=0, bos_token=None, eos_token=None, chat_markers=frozenset())


def test_estimate_parts_and_gpu_split() -> None:
    info = _info()
    cpu = estimate_memory(info, file_size=4 * GB, n_ctx=4096)
    assert cpu.kv_cache_bytes == 2 * 32 * 4096 * 8 * 128 * 2  # 512 MiB, the llama.cpp figure for Llama 3 8B
    assert cpu.total_bytes == cpu.weights_bytes + cpu.kv_cache_bytes + cpu.compute_bytes == cpu.ram_bytes
    assert 16 * 2**20 < cpu.compute_bytes < 200 * 2**20
    assert estimate_memory(info, file_size=4 * GB, n_ctx=8192).kv_cache_bytes == 2 * cpu.kv_cache_bytes
    assert estimate_memory(info, file_size=4 * GB, n_ctx=4096, gpu_layers=0) == cpu

    half = estimate_memory(info, file_size=4 * GB, n_ctx=4096, gpu_layers=16)
    assert half.vram_bytes > 0 and half.ram_bytes > 0
    assert half.vram_bytes == pytest.approx((cpu.weights_bytes + cpu.kv_cache_bytes) / 2, rel=0.05)
    assert half.ram_bytes + half.vram_bytes == half.total_bytes

    full = estimate_memory(info, file_size=4 * GB, n_ctx=4096, gpu_layers=-1)
    assert full == estimate_memory(info, file_size=4 * GB, n_ctx=4096, gpu_layers=99)
    assert full.ram_bytes < 200 * 2**20  # what stays in RAM: llama.cpp and the vocabulary
    assert full.vram_bytes > cpu.weights_bytes + cpu.kv_cache_bytes  # plus the committed logits buffer

    # key/value head sizes from the metadata win over embedding / heads (as for installed models)
    info.metadata.update({"llama.attention.key_length": 256, "llama.attention.value_length": 256})
    assert estimate_memory(info, file_size=4 * GB, n_ctx=4096).kv_cache_bytes == 2 * cpu.kv_cache_bytes


def _estimate(total: int, vram: int = 0) -> MemoryEstimate:
    return MemoryEstimate(weights_bytes=total, kv_cache_bytes=0, compute_bytes=0, total_bytes=total,
                          ram_bytes=total - vram, vram_bytes=vram)


def test_fit_label_thresholds() -> None:
    ram_only = MachineMemory(total_ram=16 * GB, available_ram=10 * GB)
    assert fit_label(_estimate(7 * GB), ram_only) == "fits"          # 70 %
    assert fit_label(_estimate(7 * GB + 1), ram_only) == "tight"
    assert fit_label(_estimate(9 * GB), ram_only) == "tight"         # 90 %
    assert fit_label(_estimate(9 * GB + 1), ram_only) == "too_big"
    assert fit_label(_estimate(1), MachineMemory(total_ram=0, available_ram=0)) == "too_big"

    gpu = MachineMemory(total_ram=16 * GB, available_ram=10 * GB, gpus=[GpuMemory("RTX", 12 * GB, 10 * GB)])
    assert fit_label(_estimate(14 * GB), gpu) == "fits"              # RAM and VRAM together: 70 % of 20 GB
    assert fit_label(_estimate(14 * GB, vram=9 * GB), gpu) == "tight"  # judged apart: VRAM 90 %
    assert fit_label(_estimate(14 * GB, vram=7 * GB), gpu) == "fits"
    assert fit_label(_estimate(20 * GB, vram=10 * GB), gpu) == "too_big"

    apple = MachineMemory(total_ram=16 * GB, available_ram=10 * GB,
                          gpus=[GpuMemory("Apple GPU (unified memory)", 16 * GB, 10 * GB, unified=True)])
    assert fit_label(_estimate(8 * GB, vram=8 * GB), apple) == "tight"  # unified memory is not counted twice
    assert fit_label(_estimate(6 * GB), apple) == "fits"


def _choice(quant: str, size: int) -> ModelChoice:
    f = RemoteFile(f"m-{quant}.gguf", size, None)
    return ModelChoice("o/m-GGUF", "m", quant, (f,), size)


def test_recommend_the_biggest_that_fits() -> None:
    choices = [_choice("Q4_K_M", 4 * GB), _choice("Q8_0", 8 * GB), _choice("Q6_K", 6 * GB), _choice("F16", 15 * GB)]
    estimates = {c: _estimate(c.size_bytes + GB) for c in choices}
    machine = MachineMemory(total_ram=16 * GB, available_ram=10 * GB)
    assert recommend_choice(choices, estimates, machine).quantization == "Q6_K"  # 7 GB: 70 %; Q8_0 is tight
    assert recommend_choice(choices, [estimates[c] for c in choices], machine).quantization == "Q6_K"
    roomy = MachineMemory(total_ram=64 * GB, available_ram=60 * GB)
    assert recommend_choice(choices, estimates, roomy).quantization == "F16"
    small = MachineMemory(total_ram=4 * GB, available_ram=3 * GB)
    assert recommend_choice(choices, estimates, small) is None
    assert recommend_choice([], {}, roomy) is None
    with pytest.raises(ValueError):
        recommend_choice(choices, [estimates[choices[0]]], machine)


def test_machine_memory_on_this_computer() -> None:
    machine = machine_memory()
    log.info("machine memory: %s", machine)
    assert machine.total_ram > machine.available_ram > 0
    assert machine.total_ram > 256 * 2**20
    for gpu in machine.gpus:
        assert gpu.total >= gpu.free >= 0 and gpu.name


def test_memory_parsers() -> None:
    assert parse_meminfo("MemTotal:       24684096 kB\nMemFree:  100 kB\nMemAvailable:   24276316 kB\n") == (
        24684096 * 1024, 24276316 * 1024)
    assert parse_meminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nCached: 50 kB\nBuffers: 10 kB\n") == (
        1000 * 1024, 160 * 1024)  # kernels without MemAvailable
    vm_stat = ("Mach Virtual Memory Statistics: (page size of 16384 bytes)\nPages free:    1000.\n"
               "Pages active:   5000.\nPages inactive:   200.\nPages speculative:  30.\nPages purgeable:  5.\n")
    assert parse_vm_stat(vm_stat) == (1000 + 200 + 30 + 5) * 16384
    gpus = parse_nvidia_smi("NVIDIA H100 80GB HBM3, 81559, 80995\nNVIDIA GeForce RTX 4090, 24564, 1000\n"
                            "Odd, GPU, [N/A], [N/A]\n")
    assert [(g.name, g.total, g.free) for g in gpus] == [
        ("NVIDIA H100 80GB HBM3", 81559 * 2**20, 80995 * 2**20), ("NVIDIA GeForce RTX 4090", 24564 * 2**20,
                                                                  1000 * 2**20)]
