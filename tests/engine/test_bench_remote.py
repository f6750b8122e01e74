"""``hearth bench remote`` for a few tokens against the REAL llama-server: the JSON has every figure for Hearth's
remote client, the openai SDK straight to the server and the chat's remote runtime, each positive."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.cli.main import main
from tests.remote_server import llama_server_bin  # noqa: F401


def test_bench_remote_reports_hearth_against_the_sdk(smollm2_path: Path, llama_server_bin: Path,  # noqa: F811
                                                     tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "remote.json"
    code = main(["bench", "remote", "--model", str(smollm2_path), "--json", str(out), "--server",
                 str(llama_server_bin), "--threads", "2", "--tokens", "12", "--rounds", "2"])
    assert code == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert json.loads(capsys.readouterr().out) == result
    assert (result["tokens"], result["rounds"], result["threads"], result["model"]) == (12, 2, 2, smollm2_path.name)
    for way in ("hearth", "direct", "runtime"):
        assert result[way]["tokens_per_s"] > 0 and result[way]["ttft_s"] > 0
        assert len(result[way]["runs"]) == 2
        assert result[way]["best_tokens_per_s"] >= result[way]["tokens_per_s"] > 0
        assert 0 < result[way]["best_ttft_s"] <= result[way]["ttft_s"]
        assert all(run["tokens"] == 12 and run["tokens_per_s"] > 0 for run in result[way]["runs"])
    assert result["same_tokens"] is True   # greedy, same seed: every way got the same reply length
    assert result["decode_ratio"] == result["hearth"]["tokens_per_s"] / result["direct"]["tokens_per_s"]
    assert result["decode_ratio"] > 0 and result["runtime_decode_ratio"] > 0 and result["decode_ratio_best"] > 0
    assert result["target"] == 0.97 and isinstance(result["meets_target"], bool)
    assert "api" not in result


def test_bench_remote_without_a_server_program_says_what_to_do(smollm2_path: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["bench", "remote", "--model", str(smollm2_path), "--json", str(tmp_path / "r.json"),
                 "--server", str(tmp_path / "missing" / "llama-server")])
    assert code == 1
    err = capsys.readouterr().err
    assert "no llama-server program" in err and "build_llama_server.sh" in err
