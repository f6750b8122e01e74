"""``python -m engine.bench.engine`` on the real SmolLM2 (CPU build): the JSON reports the backend and layers
offloaded next to prefill/decode tokens/s, and runs llama-bench with the engine's threads and GPU layers
(a stand-in llama-bench here, that records its arguments: no llama-bench binary is built on this machine)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_json_reports_backend_layers_and_speeds(smollm2_path: Path, tmp_path: Path) -> None:
    args_file = tmp_path / "llama-bench-args"
    fake = tmp_path / "llama-bench"
    fake.write_text(f"#!/bin/sh\necho \"$@\" > {args_file}\n"
                    "echo '[{\"n_prompt\": 512, \"n_gen\": 0, \"avg_ts\": 400.0, \"backends\": \"CPU\"},"
                    " {\"n_prompt\": 0, \"n_gen\": 128, \"avg_ts\": 50.0, \"backends\": \"CPU\"}]'\n")
    fake.chmod(0o755)
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, "-m", "engine.bench.engine", str(smollm2_path), str(out), "--threads", "2",
                           "--tokens", "16", "--gpu-layers", "auto", "--llama-bench", str(fake)],
                          cwd=ROOT, capture_output=True, text=True, timeout=500)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert (result["backend"], result["gpu_layers"], result["offloadable_layers"]) == ("CPU", 0, 31)
    assert result["gpu_layers_requested"] == "auto" and result["vram_bytes_estimated"] == 0
    assert result["prefill_tokens"] > 300 and result["prefill_tokens_per_s_engine"] > 0
    assert result["prefill_tokens_per_s_bare"] > 0 and result["decode_tokens_per_s_engine"] > 0
    assert args_file.read_text().split()[:6] == ["-m", str(smollm2_path), "-t", "2", "-ngl", "0"]
    assert result["llama_bench"]["n_gpu_layers"] == 0 and result["llama_bench"]["backends"] == "CPU"
    assert result["decode_ratio_engine_vs_llama_bench"] == result["decode_tokens_per_s_engine"] / 50.0
    assert result["prefill_ratio_engine_vs_llama_bench"] == result["prefill_tokens_per_s_engine"] / 400.0
    assert json.loads(done.stdout.strip().splitlines()[-1])["backend"] == "CPU"
