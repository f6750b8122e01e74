"""``hearth bench templates`` writes its JSON for the quadratic template and for a real one (Gemma 4's).

Times are reported, not asserted (see the closing notes for figures); what is checked is that Hearth's
sandboxed render gives the same text as plain Jinja and that the fitted prompt drops old turns.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REAL = json.loads((ROOT / "tests/data/chat_template_conformance.json").read_text())["template_files"]


def test_gemma4s_real_template(tmp_path: Path) -> None:
    template = tmp_path / "google-gemma-4-31B-it.jinja"
    template.write_text(REAL["google-gemma-4-31B-it.jinja"], encoding="utf-8")
    out = tmp_path / "bench" / "templates.json"
    done = subprocess.run([sys.executable, "-m", "desktop.cli.main", "bench", "templates", "--json", str(out),
                           "--template", str(template)], cwd=ROOT, env=dict(os.environ), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result == json.loads(done.stdout)
    assert result["template"] == template.name and result["turns"] == 300 and result["messages"] == 600
    assert result["same_text"] is True
    assert result["whole_prompt_tokens"] > result["fit_n_ctx"]
    assert 0 < result["fit_drop_oldest_dropped_messages"] < 600
    for key in ("hearth_render_s", "plain_jinja_render_s", "fit_all_s", "fit_drop_oldest_s"):
        assert result[key] > 0


def test_a_gguf_without_a_template_is_refused(tmp_path: Path) -> None:
    from tests.gguf_tools import tiny_gguf
    model = tiny_gguf(tmp_path / "plain.gguf")
    done = subprocess.run([sys.executable, "-m", "desktop.cli.main", "bench", "templates", "--json",
                           str(tmp_path / "out.json"), "--template", str(model)], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "has no chat template" in done.stderr
