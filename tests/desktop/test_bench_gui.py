"""``hearth bench gui`` runs end to end and writes its JSON (figures are not asserted: no timed tests)."""
from __future__ import annotations

import json
from pathlib import Path

from desktop.bench.gui import run_gui_bench


def test_gui_bench_writes_json(qapp, smollm2_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "gui.json"
    result = run_gui_bench(out, model=smollm2_path, runs=1)
    assert json.loads(out.read_text()) == result
    startup = result["startup"]
    assert startup["hearth_first_paint_s_median"] > 0 and startup["bare_qt_first_paint_s_median"] > 0
    flood = result["streaming"]["scripted_markdown_flood"]
    assert flood["pieces"] > 900 and flood["ticks"] > 10
    real = result["streaming"]["real_model"]
    assert real["pieces"] > 10 and real["worker_decode_tokens_per_s"] > 0
    assert 0.5 < real["gui_vs_worker_ratio"] < 1.5
    # the engine's own decode, same model, prompt and settings, in the same run, against the window's
    assert len(real["window_rounds"]) == len(real["engine_alone_rounds"]) == real["rounds"] >= 2
    assert all(r["pieces"] == w["pieces"] for r, w in zip(real["engine_alone_rounds"], real["window_rounds"]))
    assert real["engine_alone_decode_tokens_per_s"] > 0 and real["window_decode_tokens_per_s"] > 0
    ratio = real["window_decode_tokens_per_s"] / real["engine_alone_decode_tokens_per_s"]
    assert abs(real["window_vs_engine_decode_ratio"] - ratio) < 0.01
    assert result["targets"]["window_vs_engine_decode_ratio"] == 0.95
