"""Hub search and a repository's model choices, over real HTTP to the local FakeHub (never the internet)."""
from __future__ import annotations

import hashlib
import logging
import socket
import time

import pytest
from huggingface_hub import constants

from engine.errors import HubOffline, RepoNotFound, UnsafeFileName
from engine.hub.search import (
    check_filename,
    list_model_files,
    quantization_of,
    search_repos,
    unsafe_reason,
)
from tests.hub_server import FakeHub, _point_client_at, hub  # noqa: F401

REPO = "bartowski/Tiny-Vision-GGUF"


@pytest.fixture
def catalog(hub: FakeHub) -> FakeHub:  # noqa: F811
    hub.add_repo("bartowski/Qwen-Tiny-GGUF", downloads=300, likes=5, last_modified="2024-05-01T00:00:00.000Z")
    hub.add_repo("TheBloke/Qwen-Old-GGUF", downloads=900, likes=1, last_modified="2023-01-01T00:00:00.000Z")
    hub.add_repo("unsloth/Qwen-New-GGUF", downloads=100, likes=99, last_modified="2024-09-01T00:00:00.000Z",
                 gated="auto")
    hub.add_repo("someone/qwen-lora", downloads=5000, likes=500, tags=("safetensors",))  # not GGUF
    hub.add_repo("other/Llama-GGUF", downloads=10_000, likes=1000)
    return hub


def _ids(results: list) -> list[str]:
    return [r.repo_id for r in results]


def test_search_sorts_by_downloads_likes_and_recency(catalog: FakeHub) -> None:
    assert _ids(search_repos("qwen")) == ["TheBloke/Qwen-Old-GGUF", "bartowski/Qwen-Tiny-GGUF",
                                          "unsloth/Qwen-New-GGUF"]
    assert _ids(search_repos("qwen", sort="likes")) == ["unsloth/Qwen-New-GGUF", "bartowski/Qwen-Tiny-GGUF",
                                                        "TheBloke/Qwen-Old-GGUF"]
    assert _ids(search_repos("qwen", sort="recent")) == ["unsloth/Qwen-New-GGUF", "bartowski/Qwen-Tiny-GGUF",
                                                         "TheBloke/Qwen-Old-GGUF"]
    first = search_repos("qwen", sort="likes")[0]
    assert (first.downloads, first.likes, first.gated) == (100, 99, True)
    assert first.last_modified is not None and first.last_modified.year == 2024
    assert "gguf" in first.tags
    assert search_repos("qwen")[0].gated is False
    # only GGUF repositories; an empty query lists them all; limit is honoured
    assert "someone/qwen-lora" not in _ids(search_repos(""))
    assert _ids(search_repos("", limit=2)) == ["other/Llama-GGUF", "TheBloke/Qwen-Old-GGUF"]
    searches = [r for r in catalog.requests if r.path == "/api/models"]
    assert searches and all(r.status == 200 for r in searches)


def test_search_reads_hf_endpoint_at_call_time(catalog: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeHub() as second:
        second.add_repo("elsewhere/Only-Here-GGUF", downloads=1)
        monkeypatch.setenv("HF_ENDPOINT", second.url)  # huggingface_hub's constants still name the first hub
        assert constants.ENDPOINT == catalog.url
        assert _ids(search_repos("")) == ["elsewhere/Only-Here-GGUF"]
        assert list_model_files("elsewhere/Only-Here-GGUF") == []


def test_search_rejects_an_unknown_sort(catalog: FakeHub) -> None:
    with pytest.raises(ValueError):
        search_repos("qwen", sort="stars")  # type: ignore[arg-type]


@pytest.fixture
def vision_repo(hub: FakeHub) -> FakeHub:  # noqa: F811
    hub.add_repo(REPO, downloads=10)
    hub.add_file(REPO, "Tiny-Vision-Q4_K_M.gguf", b"q4" * 3000)
    hub.add_file(REPO, "Tiny-Vision-Q8_0.gguf", b"q8" * 5000)
    for i, n in enumerate((7000, 7000, 1000), 1):
        hub.add_file(REPO, f"F16/Tiny-Vision-F16-{i:05d}-of-00003.gguf", bytes([i]) * n)
    hub.add_file(REPO, "Broken-Q2_K-00001-of-00002.gguf", b"x" * 100)  # part 2 of 2 is missing
    hub.add_file(REPO, "mmproj-Tiny-Vision-F16.gguf", b"p16" * 700)
    hub.add_file(REPO, "mmproj-Tiny-Vision-Q8_0.gguf", b"p8" * 500)
    hub.add_file(REPO, "README.md", b"# Tiny Vision\n", lfs=False)
    for bad in ("../escape-Q4_0.gguf", "/etc/abs-Q4_0.gguf", "sub\\win-Q4_0.gguf", "C:drive-Q4_0.gguf",
                "bell\x07-Q4_0.gguf", "Q4_0.gguf.exe", "ok/../../up-Q4_0.gguf"):
        hub.add_file(REPO, bad, b"evil")
    return hub


def test_files_are_grouped_into_choices(vision_repo: FakeHub, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="engine.hub.search"):
        choices = list_model_files(REPO)
    assert [(c.quantization, c.size_bytes) for c in choices] == [("Q4_K_M", 6000), ("Q8_0", 10_000),
                                                                  ("F16", 15_000)]
    assert {c.name for c in choices} == {"Tiny-Vision"}
    assert all(c.repo_id == REPO for c in choices)
    q4, q8, f16 = choices

    # a split model is one choice: its parts in order, sizes summed, sha256 from the LFS metadata
    assert f16.is_split and f16.filename == "F16/Tiny-Vision-F16-00001-of-00003.gguf"
    assert [f.filename for f in f16.files] == [f"F16/Tiny-Vision-F16-{i:05d}-of-00003.gguf" for i in (1, 2, 3)]
    assert [f.size for f in f16.files] == [7000, 7000, 1000]
    assert f16.files[1].sha256 == hashlib.sha256(bytes([2]) * 7000).hexdigest()
    assert q4.files[0].sha256 == hashlib.sha256(b"q4" * 3000).hexdigest() and not q4.is_split

    # projectors go with the models (the matching quantization, else F16) and are never choices themselves
    assert q8.mmproj is not None and q8.mmproj.filename == "mmproj-Tiny-Vision-Q8_0.gguf"
    assert q4.mmproj is not None and q4.mmproj.filename == "mmproj-Tiny-Vision-F16.gguf"
    assert f16.mmproj is not None and f16.mmproj.filename == "mmproj-Tiny-Vision-F16.gguf"
    assert q4.mmproj.sha256 == hashlib.sha256(b"p16" * 700).hexdigest() and q4.mmproj.size == 2100
    assert not any("mmproj" in f.filename for c in choices for f in c.files)

    # unsafe names and the incomplete split model are left out, and said so in the log
    listed = {f.filename for c in choices for f in c.files}
    assert not any("escape" in n or "abs" in n or "win" in n or "drive" in n or "bell" in n or "up-" in n
                   for n in listed)
    assert "Broken-Q2_K-00001-of-00002.gguf" not in listed
    logged = caplog.text
    for needle in ("escape-Q4_0", "abs-Q4_0", "win-Q4_0", "drive-Q4_0", "up-Q4_0", "Broken-Q2_K", "missing"):
        assert needle in logged


def test_a_repo_without_projectors_pairs_none(hub: FakeHub) -> None:  # noqa: F811
    hub.add_file("o/Plain-GGUF", "plain-model.Q4_1.gguf", b"a" * 10)
    (choice,) = list_model_files("o/Plain-GGUF")
    assert (choice.name, choice.quantization, choice.mmproj) == ("plain-model", "Q4_1", None)


def test_unknown_repo_is_named(hub: FakeHub) -> None:  # noqa: F811
    with pytest.raises(RepoNotFound) as caught:
        list_model_files("nobody/does-not-exist-GGUF")
    assert "nobody/does-not-exist-GGUF" in str(caught.value)
    assert caught.value.hint
    with pytest.raises(RepoNotFound) as caught:
        list_model_files("not a repo id")
    assert "not a repo id" in str(caught.value)


def test_offline_is_reported_quickly(catalog: FakeHub) -> None:
    catalog.add_file("bartowski/Qwen-Tiny-GGUF", "qwen-Q4_0.gguf", b"x")
    assert search_repos("qwen")  # connections are open and pooled
    catalog.set_offline(True)
    for call in (lambda: search_repos("qwen"), lambda: list_model_files("bartowski/Qwen-Tiny-GGUF")):
        started = time.monotonic()
        with pytest.raises(HubOffline) as caught:
            call()
        assert time.monotonic() - started < 5
        assert caught.value.hint and "cannot be reached" in str(caught.value)
    catalog.set_offline(False)
    assert _ids(search_repos("qwen-tiny")) == ["bartowski/Qwen-Tiny-GGUF"]  # back online: works again
    assert [c.quantization for c in list_model_files("bartowski/Qwen-Tiny-GGUF")] == ["Q4_0"]


def test_offline_mode_of_huggingface_hub_is_hub_offline(catalog: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(HubOffline):
        search_repos("qwen")
    assert not catalog.requests


def test_a_closed_port_is_hub_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeHub() as gone:
        url = gone.url
    _point_client_at(url, monkeypatch)  # nothing listens there any more
    started = time.monotonic()
    with pytest.raises(HubOffline):
        search_repos("anything")
    assert time.monotonic() - started < 5


def test_a_silent_server_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """A hub that accepts connections but never answers: HubOffline after the timeout, no hanging."""
    from engine.hub import search
    from engine.hub.fit import read_remote_header

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # the kernel accepts; nobody ever reads or answers
        _point_client_at(f"http://127.0.0.1:{silent.getsockname()[1]}", monkeypatch)
        monkeypatch.setattr(search, "TIMEOUT", 0.5)
        for call in (lambda: search_repos("x"), lambda: list_model_files("o/x-GGUF"),
                     lambda: read_remote_header("o/x-GGUF", "x-Q4_0.gguf")):
            started = time.monotonic()
            with pytest.raises(HubOffline):
                call()
            assert time.monotonic() - started < 3


def test_file_name_rules() -> None:
    for good in ("model-Q4_K_M.gguf", "Q4_K_M/model-00001-of-00002.gguf", "a b/c.GGUF"):
        assert unsafe_reason(good) is None
        assert check_filename(good) == good
    for bad in ("", "../x.gguf", "a/../../x.gguf", "/abs.gguf", "a\\b.gguf", "C:/x.gguf", "c:x.gguf",
                "x\x00.gguf", "x\n.gguf", "x.bin", "x.gguf.part", "./x.gguf", "a//b.gguf", "nul.gguf",
                "dir./x.gguf", "x.gguf "):
        assert unsafe_reason(bad) is not None, bad
        with pytest.raises(UnsafeFileName):
            check_filename(bad)


@pytest.mark.parametrize(("name", "quant"), [
    ("SmolLM2-135M-Instruct.Q4_1.gguf", "Q4_1"), ("Qwen2.5-7B-Instruct-Q4_K_M.gguf", "Q4_K_M"),
    ("x-IQ4_XS.gguf", "IQ4_XS"), ("x-iq3_xxs.gguf", "IQ3_XXS"), ("gemma-3-270m-q4_k_m.gguf", "Q4_K_M"),
    ("x-f16.gguf", "F16"), ("x-BF16-00001-of-00002.gguf", "BF16"), ("x-fp16.gguf", "F16"),
    ("Q5_K_S/model-00002-of-00003.gguf", "Q5_K_S"), ("Llama-UD-Q4_K_XL.gguf", "Q4_K_XL"),
    ("Qwen2-1.5B-Q8_0.gguf", "Q8_0"), ("phi-Q4_0_4_4.gguf", "Q4_0_4_4"), ("model.gguf", "unknown"),
])
def test_quantization_from_file_name(name: str, quant: str) -> None:
    assert quantization_of(name) == quant
