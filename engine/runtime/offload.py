"""Automatic GPU offload: how many of a model's layers fit in free GPU memory, and the fallback when they do not.

llama.cpp's ``n_gpu_layers = k`` puts the last ``k`` repeating layers (blocks) on the GPU,
and with ``k > n_layer`` the output layer too; the token embeddings always stay in RAM. A
model therefore has ``n_layer + 1`` offloadable layers, and the status bar says "33/33".

What one layer costs in GPU memory, from the GGUF header (nothing is loaded to plan):

* a block: its tensors' bytes (``blk.N.*``) plus its share of the f16 KV cache for the chosen
  context (``n_ctx × head_count_kv × (key_length + value_length) × 2`` bytes);
* the output layer: ``output.weight`` (with tied embeddings llama.cpp copies ``token_embd``
  to the GPU for it) and ``output_norm``, plus the logits of one 512-token batch
  (``512 × vocabulary × 4`` bytes), which a GPU reserves in full;
* any offload: the activations of one batch (``512 × embedding × 32`` bytes), as
  :mod:`engine.hub.fit` counts them.

The plan keeps a margin of ``MARGIN_BYTES`` plus ``MARGIN_SHARE`` of the free memory for the
CUDA context, cuBLAS's workspace and other programs, offloads every layer when they fit, and
otherwise as many blocks as fit. When the load or the first decode still fails (the estimate
is an estimate, and other programs allocate too), :func:`fallback_layers` gives the retries:
half the layers, a quarter, then none (CPU), so the model loads instead of the window failing.

``HEARTH_FAULT_GPU_OOM=load:N`` (or ``decode:N``) makes every load (or first decode) with more
than ``N`` GPU layers fail as an out-of-memory would: the fallback is tested on a CPU.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from engine.machine import GPU_MARGIN_BYTES, GPU_MARGIN_SHARE, gpu_margin
from engine.models.gguf import GGUFInfo

MARGIN_BYTES, MARGIN_SHARE = GPU_MARGIN_BYTES, GPU_MARGIN_SHARE   # see engine.machine.gpu_margin
N_UBATCH = 512               # the batch the worker decodes (engine/runtime/native.py)
ACTIVATION_BYTES = 32        # per embedding dimension per batch token (as engine.hub.fit)
FAULT_ENV = "HEARTH_FAULT_GPU_OOM"
_BLOCK = re.compile(r"blk\.(\d+)\.")


@dataclass(frozen=True)
class LayerCosts:
    """GPU bytes per offloadable layer: ``blocks[i]`` for block ``i``, ``output`` for the output layer,
    ``compute`` once for any offload."""

    blocks: tuple[int, ...]
    output: int
    compute: int

    @property
    def total_layers(self) -> int:
        return len(self.blocks) + 1

    def vram_bytes(self, layers: int) -> int:
        """GPU memory for ``n_gpu_layers = layers`` (negative: all), as llama.cpp places them."""
        n_layer = len(self.blocks)
        if layers < 0 or layers > n_layer:
            return sum(self.blocks) + self.output + self.compute
        if layers == 0:
            return 0
        return sum(self.blocks[n_layer - layers:]) + self.compute


@dataclass(frozen=True)
class OffloadPlan:
    """``layers`` to pass as ``n_gpu_layers`` (0 … ``total_layers``), what they take, and why."""

    layers: int
    total_layers: int
    vram_bytes: int
    free_bytes: int | None
    reason: str


def _meta(info: GGUFInfo, key: str) -> object:
    return info.metadata.get(f"{info.architecture}.{key}")


def _per_layer(value: object, n_layer: int, default: int) -> list[int]:
    """A hyperparameter that is one number or one per layer (``head_count_kv`` of OpenELM, Gemma 3n …)."""
    if isinstance(value, list) and len(value) == n_layer and all(isinstance(v, int) for v in value):
        return list(value)
    return [value if isinstance(value, int) and not isinstance(value, bool) else default] * n_layer


def layer_costs(info: GGUFInfo, n_ctx: int, *, file_size: int | None = None) -> LayerCosts:
    """What each layer of the model in ``info`` takes on a GPU at context ``n_ctx`` (see the module docstring).

    ``file_size``: all parts together, for a split model whose first header lists only some blocks; the
    blocks it does not list are given the average of what remains."""
    n_layer = info.block_count or 0
    n_embd = info.embedding_length or 0
    heads = _per_layer(_meta(info, "attention.head_count"), n_layer, 0)
    heads_kv = _per_layer(_meta(info, "attention.head_count_kv"), n_layer, 0)
    key_length, value_length = _meta(info, "attention.key_length"), _meta(info, "attention.value_length")
    sizes = info.tensor_bytes
    weights = [0] * n_layer
    listed = [False] * n_layer
    for name, nbytes in sizes.items():
        m = _BLOCK.match(name)
        if m and int(m.group(1)) < n_layer:
            weights[int(m.group(1))] += nbytes
            listed[int(m.group(1))] = True
    if not all(listed) and n_layer:
        total = max(file_size or info.file_size or 0, info.tensor_data_size)
        rest = total - sum(sizes.values())
        missing = listed.count(False)
        for i in range(n_layer):
            if not listed[i]:
                weights[i] = max(0, rest) // missing
    blocks = []
    for i in range(n_layer):
        fallback = n_embd // heads[i] if heads[i] else 0
        k = key_length if isinstance(key_length, int) else fallback
        v = value_length if isinstance(value_length, int) else fallback
        kv_heads = heads_kv[i] or heads[i]
        blocks.append(weights[i] + n_ctx * kv_heads * (k + v) * 2)
    out_weight = sizes.get("output.weight", sizes.get("token_embd.weight", 0))
    vocab = _vocab(info)
    output = out_weight + sizes.get("output_norm.weight", 0) + N_UBATCH * vocab * 4
    return LayerCosts(tuple(blocks), output, N_UBATCH * n_embd * ACTIVATION_BYTES)


def _vocab(info: GGUFInfo) -> int:
    shape = info.tensor_shapes.get("output.weight") or info.tensor_shapes.get("token_embd.weight")
    if shape and len(shape) == 2:
        return int(shape[1])
    size = _meta(info, "vocab_size")
    return size if isinstance(size, int) else 0


def margin(free_bytes: int) -> int:
    return gpu_margin(free_bytes)


def plan_offload(info: GGUFInfo, *, n_ctx: int, free_bytes: int | None,
                 file_size: int | None = None) -> OffloadPlan:
    """How many layers of ``info``'s model to offload with ``free_bytes`` of free GPU memory.

    ``free_bytes`` None: the free memory is unknown (Metal's unified memory, a Vulkan GPU without
    ``nvidia-smi``): every layer, as llama.cpp does, with :func:`fallback_layers` behind it."""
    costs = layer_costs(info, n_ctx, file_size=file_size)
    total = costs.total_layers
    if free_bytes is None:
        return OffloadPlan(total, total, costs.vram_bytes(total), None,
                           "the free GPU memory is unknown: all layers, fewer if the load fails")
    budget = free_bytes - margin(free_bytes)
    if costs.vram_bytes(total) <= budget:
        return OffloadPlan(total, total, costs.vram_bytes(total), free_bytes, "every layer fits")
    layers = 0
    while layers < total - 1 and costs.vram_bytes(layers + 1) <= budget:
        layers += 1
    why = (f"{layers} of {total} layers fit in {free_bytes / 1e9:.1f} GB free" if layers
           else f"not one layer fits in {free_bytes / 1e9:.1f} GB free: CPU only")
    return OffloadPlan(layers, total, costs.vram_bytes(layers), free_bytes, why)


def fallback_layers(first: int, total: int) -> list[int]:
    """The layer counts to try, in order: ``first`` (negative: all ``total``), half, a quarter, then 0."""
    first = total if first < 0 or first > total else first
    tries = [first]
    for n in (first // 2, first // 4, 0):
        if n < tries[-1]:
            tries.append(n)
    return tries


def injected_oom(phase: str, layers: int) -> bool:
    """True when ``HEARTH_FAULT_GPU_OOM`` says this ``phase`` ("load" or "decode") with ``layers`` GPU
    layers (negative: all) must fail as out of memory (tests of the fallback on a CPU)."""
    rule = os.environ.get(FAULT_ENV, "")
    kind, _, limit = rule.partition(":")
    if kind != phase or not limit.strip().isdigit():
        return False
    return layers < 0 or layers > int(limit)


def free_gpu_bytes(backend: str) -> int | None:
    """Free memory of the GPUs ``backend`` offloads to; None when unknown or shared with the RAM (Metal)."""
    if backend in ("CPU", "Metal"):
        return None
    from engine.machine import machine_memory   # nvidia-smi: asked only by GPU builds
    memory = machine_memory()
    dedicated = [g for g in memory.gpus if not g.unified]
    return sum(g.free for g in dedicated) if dedicated else None
