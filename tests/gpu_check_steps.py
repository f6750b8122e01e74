"""The Python steps of scripts/gpu_check.sh: the offload plan on the GPU found, a forced fallback, the summary.

A module, not a here-document: the engine's worker process is a spawn child, which re-imports ``__main__``
by its file.

    python -m tests.gpu_check_steps plan MODEL OUT.json
    python -m tests.gpu_check_steps fallback MODEL OUT.json     # with HEARTH_FAULT_GPU_OOM set
    python -m tests.gpu_check_steps summary OUT_DIR
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

KEYS = ("backend", "gpu_layers", "offloadable_layers", "vram_bytes_estimated", "offload_note",
        "prefill_tokens_per_s_engine", "prefill_tokens_per_s_bare", "decode_tokens_per_s_engine",
        "decode_tokens_per_s_bare", "load_s_engine_including_worker_start",
        "prefill_ratio_engine_vs_llama_bench", "decode_ratio_engine_vs_llama_bench", "llama_bench")


def plan(model: str, out: Path) -> dict[str, Any]:
    """What the worker's automatic offload would choose for ``model`` at 4096 tokens on this machine."""
    from engine.models.gguf import read_gguf_info
    from engine.runtime import offload
    from engine.runtime.native import backend_name
    info = read_gguf_info(model)
    backend = backend_name()
    if backend == "CPU":   # the worker plans nothing on a CPU build
        return {"backend": backend, "layers": 0, "reason": "a CPU build of llama.cpp"}
    free = offload.free_gpu_bytes(backend)
    chosen = offload.plan_offload(info, n_ctx=4096, free_bytes=free)
    return {"backend": backend, "free_bytes": free, "layers": chosen.layers,
            "total_layers": chosen.total_layers, "vram_bytes": chosen.vram_bytes, "reason": chosen.reason}


def fallback(model: str, out: Path) -> dict[str, Any]:
    """Load every layer through the worker, as the app does (HEARTH_FAULT_GPU_OOM makes it fail)."""
    from engine.runtime.client import Runtime
    with Runtime() as runtime:
        started = time.perf_counter()
        info = runtime.load(model, n_ctx=4096, n_gpu_layers=-1)
        return {"backend": info.backend, "gpu_layers": info.gpu_layers, "offloadable_layers": info.n_layers + 1,
                "note": info.offload_note, "seconds": time.perf_counter() - started}


def summary(folder: Path) -> dict[str, Any]:
    full, auto = (json.loads((folder / f"bench_{k}.json").read_text()) for k in ("full", "auto"))
    return {"full": {k: full.get(k) for k in KEYS}, "auto": {k: auto.get(k) for k in KEYS[:10]},
            "plan": json.loads((folder / "plan.json").read_text()),
            "fallback": json.loads((folder / "fallback.json").read_text())}


def main(argv: list[str]) -> int:
    step, *args = argv
    if step == "summary":
        result = summary(Path(args[0]))
        (Path(args[0]) / "summary.json").write_text(json.dumps(result, indent=2))
    else:
        result = {"plan": plan, "fallback": fallback}[step](args[0], Path(args[1]))
        Path(args[1]).write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
