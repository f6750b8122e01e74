"""The fake Hub speaks the protocol the real huggingface_hub 2.4.0 client expects (it never reaches the internet)."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest
from huggingface_hub import HfApi, get_hf_file_metadata, hf_hub_download, hf_hub_url, snapshot_download
from huggingface_hub.errors import (
    GatedRepoError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from tests.hub_repos import file_sha256
from tests.hub_server import SMOLLM2_FILE, SMOLLM2_REPO, FakeHub, hub, smollm2_hub  # noqa: F401

REPO = "bartowski/Qwen-Tiny-GGUF"
DATA = bytes(range(256)) * 4096  # 1 MiB
SHA = hashlib.sha256(DATA).hexdigest()
README = b"---\nlicense: apache-2.0\n---\n"


@pytest.fixture
def filled(hub: FakeHub) -> FakeHub:
    hub.add_repo(REPO, downloads=300, likes=5, last_modified="2024-05-01T00:00:00.000Z")
    hub.add_repo("TheBloke/Qwen-Old-GGUF", downloads=900, likes=1, last_modified="2023-01-01T00:00:00.000Z")
    hub.add_repo("someone/qwen-lora", downloads=5000, likes=50, tags=("safetensors",))
    hub.add_repo("unsloth/Llama-GGUF", downloads=100, likes=99, last_modified="2024-09-01T00:00:00.000Z")
    hub.add_file(REPO, "qwen-q4_k_m.gguf", DATA)
    hub.add_file(REPO, "README.md", README, lfs=False)
    hub.add_file(REPO, "big/qwen-q8_0-00001-of-00002.gguf", DATA[:1000])
    return hub


def test_list_models_search_filter_sort(filled: FakeHub) -> None:
    api = HfApi(endpoint=filled.url)
    found = [m.id for m in api.list_models(search="qwen", filter="gguf", sort="downloads")]
    assert found == ["TheBloke/Qwen-Old-GGUF", REPO]
    assert [m.id for m in api.list_models(filter="gguf", sort="likes")][0] == "unsloth/Llama-GGUF"
    assert [m.id for m in api.list_models(filter="gguf", sort="last_modified")][0] == "unsloth/Llama-GGUF"
    assert [m.id for m in api.list_models(author="TheBloke")] == ["TheBloke/Qwen-Old-GGUF"]
    assert [m.id for m in api.list_models(sort="downloads", limit=2)] == ["someone/qwen-lora", "TheBloke/Qwen-Old-GGUF"]
    model = next(iter(api.list_models(search="Qwen-Tiny", full=True)))
    assert model.downloads == 300 and model.likes == 5 and "gguf" in (model.tags or [])
    assert model.siblings is not None and {s.rfilename for s in model.siblings} >= {"qwen-q4_k_m.gguf"}
    assert model.last_modified is not None and model.last_modified.year == 2024


def test_list_models_follows_link_pagination(filled: FakeHub) -> None:
    filled.page_size = 1
    found = [m.id for m in HfApi(endpoint=filled.url).list_models(filter="gguf", sort="downloads")]
    assert found == ["TheBloke/Qwen-Old-GGUF", REPO, "unsloth/Llama-GGUF"]
    assert sum(1 for r in filled.requests if r.path == "/api/models") == 3


def test_model_info_with_file_metadata(filled: FakeHub) -> None:
    info = HfApi(endpoint=filled.url).model_info(REPO, files_metadata=True)
    assert info.id == REPO and len(info.sha or "") == 40 and info.downloads == 300
    siblings = {s.rfilename: s for s in info.siblings or []}
    gguf = siblings["qwen-q4_k_m.gguf"]
    assert gguf.size == len(DATA) and gguf.lfs is not None and gguf.lfs.sha256 == SHA and gguf.lfs.size == len(DATA)
    assert siblings["README.md"].lfs is None and siblings["README.md"].size == len(README)
    assert info.card_data is not None and info.card_data.get("license") == "apache-2.0"
    plain = HfApi(endpoint=filled.url).model_info(REPO, revision=info.sha)
    assert plain.siblings is not None and plain.siblings[0].size is None  # sizes only with files_metadata


def test_repo_tree_and_paths_info(filled: FakeHub) -> None:
    api = HfApi(endpoint=filled.url)
    top = {e.path: e for e in api.list_repo_tree(REPO)}
    assert set(top) == {"big", "qwen-q4_k_m.gguf", "README.md"}
    assert top["qwen-q4_k_m.gguf"].size == len(DATA) and top["qwen-q4_k_m.gguf"].lfs.sha256 == SHA
    deep = {e.path: e for e in api.list_repo_tree(REPO, recursive=True)}
    assert deep["big/qwen-q8_0-00001-of-00002.gguf"].size == 1000
    inside = [e.path for e in api.list_repo_tree(REPO, path_in_repo="big")]
    assert inside == ["big/qwen-q8_0-00001-of-00002.gguf"]
    infos = api.get_paths_info(REPO, ["qwen-q4_k_m.gguf", "missing.gguf"])
    assert [(i.path, i.size) for i in infos] == [("qwen-q4_k_m.gguf", len(DATA))]


def test_hostile_names_listed_as_given(hub: FakeHub) -> None:
    names = ["../evil.gguf", "/abs.gguf", "sub\\..\\x.gguf", "a/../../b.gguf"]
    for name in names:
        hub.add_file(REPO, name, b"x")
    api = HfApi(endpoint=hub.url)
    assert sorted(s.rfilename for s in api.model_info(REPO, files_metadata=True).siblings or []) == sorted(names)
    assert sorted(e.path for e in api.list_repo_tree(REPO, recursive=True)) == sorted(names)
    assert sorted(e.path for e in api.list_repo_tree(REPO)) == sorted(names)


def test_file_metadata_like_the_hub(filled: FakeHub) -> None:
    lfs = get_hf_file_metadata(hf_hub_url(REPO, "qwen-q4_k_m.gguf", endpoint=filled.url))
    commit = filled.repos[REPO].sha
    assert (lfs.etag, lfs.size, lfs.commit_hash) == (SHA, len(DATA), commit)
    assert lfs.location.startswith(filled.cdn_url + "/cdn/" + SHA)  # another origin: the client stops there
    small = get_hf_file_metadata(hf_hub_url(REPO, "README.md", endpoint=filled.url))
    assert small.commit_hash == commit and small.size == len(README) and len(small.etag or "") == 40
    assert [(r.method, r.status) for r in filled.requests] == [("HEAD", 302), ("HEAD", 200)]


def test_hf_hub_download_small_and_lfs(filled: FakeHub, tmp_path: Path) -> None:
    path = hf_hub_download(REPO, "qwen-q4_k_m.gguf", local_dir=tmp_path, endpoint=filled.url)
    assert Path(path) == tmp_path / "qwen-q4_k_m.gguf" and file_sha256(Path(path)) == SHA
    readme = hf_hub_download(REPO, "README.md", local_dir=tmp_path, endpoint=filled.url)
    assert Path(readme).read_bytes() == README
    nested = hf_hub_download(REPO, "big/qwen-q8_0-00001-of-00002.gguf", cache_dir=tmp_path / "c", endpoint=filled.url)
    assert Path(nested).read_bytes() == DATA[:1000]
    assert filled.bytes_sent("qwen-q4_k_m.gguf") == len(DATA)
    assert not list(tmp_path.rglob("*.incomplete"))


def test_hf_hub_download_real_smollm2(smollm2_hub: FakeHub, smollm2_path: Path, tmp_path: Path) -> None:
    smollm2_hub.drop_after(SMOLLM2_FILE, 25 << 20)
    start = time.monotonic()
    path = hf_hub_download(SMOLLM2_REPO, SMOLLM2_FILE, local_dir=tmp_path, endpoint=smollm2_hub.url)
    assert time.monotonic() - start < 30
    assert file_sha256(Path(path)) == file_sha256(smollm2_path)
    size = smollm2_path.stat().st_size
    gets = [(r.range, r.status) for r in smollm2_hub.requests if r.method == "GET"]
    assert gets == [(None, 200), (f"bytes={20 << 20}-", 206)]  # resumed after the last whole 10 MiB chunk
    assert smollm2_hub.bytes_sent(SMOLLM2_FILE) == (25 << 20) + size - (20 << 20)


def test_plain_http_copy_is_fast(smollm2_hub: FakeHub, smollm2_path: Path) -> None:
    url = get_hf_file_metadata(hf_hub_url(SMOLLM2_REPO, SMOLLM2_FILE, endpoint=smollm2_hub.url)).location
    digest, start = hashlib.sha256(), time.monotonic()
    with httpx2.stream("GET", url) as response:
        for chunk in response.iter_raw(1 << 20):
            digest.update(chunk)
    rate = smollm2_path.stat().st_size / (time.monotonic() - start) / 1e6
    assert digest.hexdigest() == file_sha256(smollm2_path)
    assert rate > 50, f"{rate:.0f} MB/s"


def test_range_requests(filled: FakeHub) -> None:
    url = hf_hub_url(REPO, "qwen-q4_k_m.gguf", endpoint=filled.url)
    with httpx2.Client(follow_redirects=True) as client:
        r = client.get(url, headers={"Range": "bytes=1000-1999"})
        assert r.status_code == 206 and r.content == DATA[1000:2000]
        assert r.headers["Content-Range"] == f"bytes 1000-1999/{len(DATA)}" and r.headers["Accept-Ranges"] == "bytes"
        r = client.get(url, headers={"Range": f"bytes={len(DATA) - 10}-"})
        assert r.status_code == 206 and r.content == DATA[-10:]
        r = client.get(url, headers={"Range": "bytes=-5"})
        assert r.status_code == 206 and r.content == DATA[-5:]
        assert client.get(url, headers={"Range": f"bytes={len(DATA)}-"}).status_code == 416
        small = client.get(hf_hub_url(REPO, "README.md", endpoint=filled.url), headers={"Range": "bytes=4-"})
        assert small.status_code == 206 and small.content == README[4:]
    ranges = [r.range for r in filled.requests if r.path.startswith("/cdn/")]
    assert ranges[:2] == ["bytes=1000-1999", f"bytes={len(DATA) - 10}-"]


def test_drop_after_truncates_once(filled: FakeHub) -> None:
    filled.drop_after("qwen-q4_k_m.gguf", 5000)
    url = hf_hub_url(REPO, "qwen-q4_k_m.gguf", endpoint=filled.url)
    got = bytearray()
    with pytest.raises(httpx2.RemoteProtocolError):
        with httpx2.stream("GET", url, follow_redirects=True) as response:
            for chunk in response.iter_bytes():
                got += chunk
    assert bytes(got) == DATA[:5000] and filled.bytes_sent("qwen-q4_k_m.gguf") == 5000
    assert httpx2.get(url, follow_redirects=True).content == DATA  # the fault was used up


def test_drop_after_retried_by_hf_hub_download(filled: FakeHub, tmp_path: Path) -> None:
    filled.drop_after("qwen-q4_k_m.gguf", 300_000)
    path = hf_hub_download(REPO, "qwen-q4_k_m.gguf", local_dir=tmp_path, endpoint=filled.url)
    assert file_sha256(Path(path)) == SHA
    gets = [r for r in filled.requests if r.method == "GET" and r.path.startswith("/cdn/")]
    # http_get keeps only whole 10 MiB chunks (DOWNLOAD_CHUNK_SIZE): a 1 MiB file restarts from 0
    assert [(g.range, g.status) for g in gets] == [(None, 200), (None, 200)]


def test_stall_trips_read_timeout(filled: FakeHub) -> None:
    filled.stall_after("qwen-q4_k_m.gguf", 100, seconds=5)
    url = hf_hub_url(REPO, "qwen-q4_k_m.gguf", endpoint=filled.url)
    start = time.monotonic()
    with pytest.raises(httpx2.ReadTimeout):
        with httpx2.stream("GET", url, follow_redirects=True, timeout=httpx2.Timeout(5, read=0.3)) as response:
            for _ in response.iter_bytes():
                pass
    assert time.monotonic() - start < 3


def test_corrupt_same_length_other_bytes(filled: FakeHub) -> None:
    filled.corrupt("qwen-q4_k_m.gguf")
    url = hf_hub_url(REPO, "qwen-q4_k_m.gguf", endpoint=filled.url)
    bad = httpx2.get(url, follow_redirects=True).content
    assert len(bad) == len(DATA) and hashlib.sha256(bad).hexdigest() != SHA
    assert all(a != b for a, b in zip(bad[:4096], DATA[:4096]))
    assert get_hf_file_metadata(url).etag == SHA  # metadata still claims the true hash
    assert httpx2.get(url, follow_redirects=True).content == DATA


def test_faults_with_times(filled: FakeHub) -> None:
    filled.corrupt("README.md", times=2)
    url = hf_hub_url(REPO, "README.md", endpoint=filled.url)
    contents = [httpx2.get(url).content for _ in range(3)]
    assert contents[0] == contents[1] != contents[2] == README


def test_not_found_errors(filled: FakeHub, tmp_path: Path) -> None:
    api = HfApi(endpoint=filled.url)
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("nobody/nothing")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("nobody/nothing", "x.gguf", local_dir=tmp_path, endpoint=filled.url)
    with pytest.raises(RemoteEntryNotFoundError):
        hf_hub_download(REPO, "missing.gguf", local_dir=tmp_path, endpoint=filled.url)
    with pytest.raises(RevisionNotFoundError):
        api.model_info(REPO, revision="v9")
    filled.add_repo("meta/Gated-GGUF", gated="manual")
    filled.add_file("meta/Gated-GGUF", "g.gguf", b"g")
    with pytest.raises(GatedRepoError):
        get_hf_file_metadata(hf_hub_url("meta/Gated-GGUF", "g.gguf", endpoint=filled.url))
    response = httpx2.get(filled.url + "/api/models/nobody/nothing")
    assert response.status_code == 404 and response.headers["X-Error-Code"] == "RepoNotFound"
    assert "error" in response.json()


def test_offline_is_a_quick_connection_error(filled: FakeHub) -> None:
    url = hf_hub_url(REPO, "qwen-q4_k_m.gguf", endpoint=filled.url)
    assert get_hf_file_metadata(url).etag == SHA  # leaves a keep-alive connection in the client's pool
    filled.set_offline(True)
    start = time.monotonic()
    with pytest.raises(httpx2.ConnectError):
        get_hf_file_metadata(url)
    with pytest.raises(httpx2.ConnectError):
        HfApi(endpoint=filled.url).model_info(REPO)
    assert time.monotonic() - start < 2
    filled.set_offline(False)
    assert get_hf_file_metadata(url).etag == SHA


def test_hangup_closes_without_response(filled: FakeHub) -> None:
    url = hf_hub_url(REPO, "README.md", endpoint=filled.url)
    filled.set_offline(True, hangup=True)
    with pytest.raises(httpx2.RemoteProtocolError):
        httpx2.get(url)
    filled.set_offline(False)
    assert httpx2.get(url).content == README


def test_snapshot_download(filled: FakeHub, tmp_path: Path) -> None:
    folder = snapshot_download(REPO, allow_patterns=["*.gguf"], local_dir=tmp_path, endpoint=filled.url)
    assert file_sha256(Path(folder) / "qwen-q4_k_m.gguf") == SHA
    assert (Path(folder) / "big" / "qwen-q8_0-00001-of-00002.gguf").read_bytes() == DATA[:1000]
    assert not (Path(folder) / "README.md").exists()
    assert [(r.path, r.status) for r in filled.gets("qwen-q4_k_m.gguf")] == [
        (f"/cdn/{SHA}/{REPO}/qwen-q4_k_m.gguf", 200)]


def test_client_hanging_up_early_does_not_hurt(filled: FakeHub) -> None:
    url = hf_hub_url(REPO, "qwen-q4_k_m.gguf", endpoint=filled.url)
    for _ in range(5):
        with httpx2.stream("GET", url, follow_redirects=True) as response:
            next(response.iter_bytes(1024))
    assert httpx2.get(url, follow_redirects=True).content == DATA
    assert filled.errors == []


def test_default_endpoint_follows_the_fixture(filled: FakeHub, tmp_path: Path) -> None:
    assert os.environ["HF_ENDPOINT"] == filled.url
    assert [m.id for m in HfApi().list_models(search="Tiny")] == [REPO]
    assert file_sha256(Path(hf_hub_download(REPO, "qwen-q4_k_m.gguf", local_dir=tmp_path))) == SHA


def test_hf_endpoint_env_in_a_fresh_process(filled: FakeHub, tmp_path: Path) -> None:
    script = (
        "import sys; from huggingface_hub import HfApi, hf_hub_download\n"
        "print([m.id for m in HfApi().list_models(search='qwen', filter='gguf', sort='downloads')])\n"
        f"print(hf_hub_download({REPO!r}, 'qwen-q4_k_m.gguf', local_dir=sys.argv[1]))\n"
    )
    env = {**os.environ, "HF_ENDPOINT": filled.url}
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path)], env=env, capture_output=True,
                         text=True, timeout=120, check=True).stdout.splitlines()
    assert out[0] == str(["TheBloke/Qwen-Old-GGUF", REPO])
    assert file_sha256(Path(out[1])) == SHA


def test_files_from_disk(hub: FakeHub, tmp_path: Path) -> None:
    (tmp_path / "config.json").write_bytes(b'{"a": 1}')
    (tmp_path / "w.gguf").write_bytes(DATA)
    hub.add_file(REPO, "config.json", tmp_path / "config.json", lfs=False)
    hub.add_file(REPO, "w.gguf", tmp_path / "w.gguf")
    meta = get_hf_file_metadata(hf_hub_url(REPO, "config.json", endpoint=hub.url))
    assert meta.etag == hashlib.sha1(b'blob 8\0{"a": 1}').hexdigest()  # git oid, like the Hub
    with httpx2.Client(follow_redirects=True) as client:
        assert client.get(hf_hub_url(REPO, "config.json", endpoint=hub.url)).content == b'{"a": 1}'
        part = client.get(hf_hub_url(REPO, "w.gguf", endpoint=hub.url), headers={"Range": "bytes=10-20"})
        assert part.status_code == 206 and part.content == DATA[10:21]
