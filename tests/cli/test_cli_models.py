"""``hearth models …`` in a terminal, against the local Hub-like server and real files."""
from __future__ import annotations

from pathlib import Path

import pytest

from desktop.cli.main import main
from tests.hub_server import SMOLLM2_FILE, SMOLLM2_REPO, FakeHub, hub, smollm2_hub  # noqa: F401


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["models", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_search_files_and_fit(capsys: pytest.CaptureFixture[str], smollm2_hub: FakeHub) -> None:
    smollm2_hub.add_repo("someone/other-model-GGUF", downloads=10)
    smollm2_hub.add_file("someone/other-model-GGUF", "other-Q8_0.gguf", b"not needed")
    code, out, _ = run(capsys, "search", "smollm2")
    assert code == 0 and SMOLLM2_REPO in out and "other-model" not in out
    code, out, _ = run(capsys, "files", SMOLLM2_REPO, "--ctx", "2048")
    assert code == 0
    assert "Q4_1" in out and "98 MB" in out and SMOLLM2_FILE in out
    assert "fits" in out and "★" in out  # 98 MB fits any machine that runs these tests
    code, out, _ = run(capsys, "fit", SMOLLM2_REPO, SMOLLM2_FILE, "--ctx", "2048")
    assert code == 0
    assert "llama, 30 layers" in out and "range request" in out and "fits" in out
    gets = [r for r in smollm2_hub.requests if r.method == "GET" and r.path.endswith(SMOLLM2_FILE)]
    assert gets and all(r.range for r in gets)  # only the header was read


def test_offline_says_so(capsys: pytest.CaptureFixture[str], hub: FakeHub) -> None:
    hub.set_offline(True)
    code, _, err = run(capsys, "search", "anything")
    assert code == 1 and "offline" in err.lower()


def test_list_import_and_remove(capsys: pytest.CaptureFixture[str], gemma3_path: Path) -> None:
    code, out, _ = run(capsys, "import", str(gemma3_path))
    assert code == 0 and "gemma-3-270m" in out
    code, out, _ = run(capsys, "list")
    assert "gemma-3-270m" in out and "268M" in out and "Q4_K_M" in out and "32,768" in out
    code, out, _ = run(capsys, "rm", "gemma-3-270m")
    assert code == 0 and "file kept" in out and gemma3_path.exists()
    code, _, err = run(capsys, "rm", "gemma-3-270m")
    assert code == 1 and "No installed model" in err


def test_pull_downloads_verifies_and_lists(capsys: pytest.CaptureFixture[str], smollm2_hub: FakeHub) -> None:
    smollm2_hub.drop_after(SMOLLM2_FILE, 40_000_000)  # the connection drops once; pull resumes by itself
    code, out, err = run(capsys, "pull", SMOLLM2_REPO, SMOLLM2_FILE)
    assert code == 0, err
    path = Path(out.strip().splitlines()[-1])
    assert path.name == SMOLLM2_FILE and path.stat().st_size == 98_362_432
    assert "retrying" in err and "done" in err
    ranges = [r.range for r in smollm2_hub.gets(SMOLLM2_FILE)]
    assert any(r and r.startswith("bytes=") and r != "bytes=0-" for r in ranges), ranges
    code, out, _ = run(capsys, "list")
    assert str(path) in out
    code, out, _ = run(capsys, "rm", str(path))
    assert code == 0 and not path.exists()


def test_fit_of_a_header_without_a_context_length(capsys: pytest.CaptureFixture[str], hub: FakeHub,  # noqa: F811
                                                  tmp_path: Path) -> None:
    from tests.gguf_tools import DROP, tiny_gguf
    path = tiny_gguf(tmp_path / "t-Q8_0.gguf", kv={"llama.context_length": DROP})
    hub.add_file("o/x-GGUF", "t-Q8_0.gguf", path.read_bytes())
    code, out, err = run(capsys, "fit", "o/x-GGUF", "t-Q8_0.gguf", "--ctx", "2048")
    assert code == 0 and "Traceback" not in err, err
    assert "trained context 4,096 (not in the header: assumed)" in out
