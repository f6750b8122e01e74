"""Resumable, verified downloads (engine.hub.download) against the FakeHub on loopback.

Real HTTP, the real huggingface_hub client for metadata, real files: small valid
GGUFs written with gguf's GGUFWriter, and the real SmolLM2 file for one full
download. Faults (dropped connections, stalls, corrupt bytes, a file that changes,
offline) come from the FakeHub; the disk-space cases run in a subprocess on a
small tmpfs mounted in a private mount namespace (``unshare``).
"""
from __future__ import annotations

import hashlib
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from functools import lru_cache
from pathlib import Path

import gguf
import numpy as np
import pytest

from engine.errors import (ChecksumMismatch, DownloadCancelled, DownloadError, DownloadIncomplete, HubOffline,
                           NotEnoughDisk, RemoteFileNotFound, RepoNotFound, UnsafeFileName)
from engine.hub import download as dl
from engine.hub.download import DownloadProgress, discard_partial, download_model, list_partial_downloads, model_folder
from engine.models.names import local_target, unsafe_reason
from engine.paths import paths
from engine.sampling import CancelToken
from tests.hub_repos import Request, file_sha256
from tests.hub_server import SMOLLM2_FILE, SMOLLM2_REPO, FakeHub, hub, smollm2_hub  # noqa: F401

REPO = "hearth-test/Tiny-GGUF"
FILE = "tiny-Q4_K_M.gguf"
ROOT = Path(__file__).resolve().parents[3]


@lru_cache(maxsize=None)
def gguf_bytes(mb: float, seed: int = 0) -> bytes:
    """A valid GGUF of about ``mb`` MB: one random float32 tensor (random, so corruption shows)."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.gguf"
        writer = gguf.GGUFWriter(str(path), "llama")
        writer.add_name(f"Tiny {seed}")
        rng = np.random.default_rng(seed)
        writer.add_tensor("w", rng.random(int(mb * 1e6) // 4, dtype=np.float32))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        return path.read_bytes()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short backoff and a progress report for every received block, so tests are fast and deterministic."""
    monkeypatch.setattr(dl, "BACKOFF_BASE_S", 0.01)
    monkeypatch.setattr(dl, "BACKOFF_CAP_S", 0.05)
    monkeypatch.setattr(dl, "PROGRESS_INTERVAL_S", 0.0)


def cdn_gets(hub: FakeHub, at_least: int = 0, filename: str = FILE) -> list[Request]:
    """The CDN GETs for filename; waits (up to 5 s) for ``at_least`` of them, as the hub logs a request
    only once it is done with it, which can be a moment after the client has moved on."""
    deadline = time.monotonic() + 5
    while True:
        found = [r for r in hub.gets(filename) if r.path.startswith("/cdn/")]
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def ranges(hub: FakeHub, at_least: int) -> list[str | None]:
    return [r.range for r in cdn_gets(hub, at_least)]


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def cancel_at(fraction: float, token: CancelToken, seen: list[DownloadProgress]):  # noqa: ANN201
    def progress(p: DownloadProgress) -> None:
        seen.append(p)
        if p.state == "downloading" and p.done_bytes >= fraction * p.total_bytes:
            token.cancel()
    return progress


# --- the happy path ----------------------------------------------------------------------------

def test_full_download_with_progress(hub: FakeHub, capfd: pytest.CaptureFixture[str]) -> None:
    data = gguf_bytes(6)
    hub.add_file(REPO, FILE, data)
    seen: list[DownloadProgress] = []
    [path] = download_model(REPO, [FILE], progress=seen.append)
    assert path == paths().models / "hearth-test__Tiny-GGUF" / FILE == model_folder(REPO) / FILE
    assert path.read_bytes() == data
    assert files_under(path.parent) == [FILE]  # no .part, no sidecar
    assert [p.done_bytes for p in seen] == sorted(p.done_bytes for p in seen)
    assert {p.total_bytes for p in seen} == {len(data)} and {p.filename for p in seen} == {FILE}
    assert seen[-1].state == "done" and seen[-1].done_bytes == len(data)
    assert [s for s in dict.fromkeys(p.state for p in seen)] == ["downloading", "verifying", "done"]
    assert any(p.bytes_per_s > 0 and p.eta_s is not None for p in seen if p.state == "downloading")
    assert ranges(hub, 1) == [None]
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # no tqdm, no prints: progress only through the callback
    # a second call finds the verified file and fetches nothing
    again: list[DownloadProgress] = []
    assert download_model(REPO, [FILE], progress=again.append) == [path]
    assert len(cdn_gets(hub, 1)) == 1 and [p.state for p in again] == ["checking", "done"]


def test_split_model_with_projector_in_folders(hub: FakeHub, tmp_path: Path) -> None:
    names = ["Q4_K_M/tiny-00001-of-00002.gguf", "Q4_K_M/tiny-00002-of-00002.gguf", "mmproj-tiny-F16.gguf"]
    blobs = [gguf_bytes(1.5, seed=i) for i in range(3)]
    for name, blob in zip(names, blobs):
        hub.add_file(REPO, name, blob)
    paths_ = download_model(REPO, names, dest=tmp_path / "mine",
                            expected_sha256={"tiny-00002-of-00002.gguf": sha(blobs[1])})
    assert [p.name for p in paths_] == ["tiny-00001-of-00002.gguf", "tiny-00002-of-00002.gguf", "mmproj-tiny-F16.gguf"]
    assert [p.read_bytes() for p in paths_] == blobs
    assert files_under(tmp_path / "mine") == sorted(p.name for p in paths_)


def test_split_model_resumed_as_a_whole(hub: FakeHub) -> None:
    names = ["tiny-00001-of-00002.gguf", "tiny-00002-of-00002.gguf"]
    blobs = [gguf_bytes(2, seed=10), gguf_bytes(2, seed=11)]
    for name, blob in zip(names, blobs):
        hub.add_file(REPO, name, blob)
    token = CancelToken()
    with pytest.raises(DownloadCancelled, match=names[0]):
        download_model(REPO, names, cancel=token, progress=cancel_at(0.5, token, []))
    [partial] = list_partial_downloads()  # only the first part was started; the sidecar knows the rest
    assert partial.filename == names[0] and partial.group == tuple(names)
    done = download_model(partial.repo_id, partial.group, dest=partial.folder)
    assert [p.read_bytes() for p in done] == blobs and list_partial_downloads() == []


def test_catalog_hash_is_kept_across_a_resume(hub: FakeHub) -> None:
    hub.add_file(REPO, FILE, gguf_bytes(2))
    token = CancelToken()
    with pytest.raises(DownloadCancelled):
        download_model(REPO, [FILE], cancel=token, progress=cancel_at(0.5, token, []),
                       expected_sha256={FILE: "cd" * 32})
    with pytest.raises(ChecksumMismatch, match="catalog"):  # resumed without a hash: the sidecar's still counts
        download_model(REPO, [FILE])
    assert files_under(model_folder(REPO)) == []


def test_real_smollm2(smollm2_hub: FakeHub, smollm2_path: Path) -> None:
    real = file_sha256(smollm2_path)
    start = time.monotonic()
    [path] = download_model(SMOLLM2_REPO, [SMOLLM2_FILE], expected_sha256={SMOLLM2_FILE: real})
    assert time.monotonic() - start < 30
    assert path.stat().st_size == smollm2_path.stat().st_size and file_sha256(path) == real
    assert path.parent.name == "HuggingFaceTB__SmolLM2-135M-Instruct-GGUF"


# --- interrupted transfers ---------------------------------------------------------------------

@pytest.mark.parametrize("fraction", [0.5, 0.99])
def test_dropped_connection_resumes_with_range(hub: FakeHub, fraction: float) -> None:
    data = gguf_bytes(4)
    hub.add_file(REPO, FILE, data)
    cut = int(len(data) * fraction)
    hub.drop_after(FILE, cut)
    seen: list[DownloadProgress] = []
    [path] = download_model(REPO, [FILE], progress=seen.append)
    assert path.read_bytes() == data
    first, second = cdn_gets(hub, 2)
    assert first.range is None and first.status == 200
    assert second.range == f"bytes={cut}-" and second.status == 206  # every byte that arrived was kept
    assert "retrying" in [p.state for p in seen]
    assert hub.bytes_sent(FILE) == len(data)


def test_server_ignoring_range_restarts_from_zero(hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy that strips Range: the answer is a 200 with the whole file, so the part starts over."""
    data = gguf_bytes(3)
    hub.add_file(REPO, FILE, data)
    hub.drop_after(FILE, len(data) // 2)
    stream = dl.httpx2.Client.stream

    def no_range(self, method, url, *, headers=None, **kw):  # noqa: ANN001, ANN202
        return stream(self, method, url, headers={k: v for k, v in (headers or {}).items() if k != "Range"}, **kw)
    monkeypatch.setattr(dl.httpx2.Client, "stream", no_range)
    [path] = download_model(REPO, [FILE])
    assert path.read_bytes() == data
    assert [(r.range, r.status) for r in cdn_gets(hub, 2)] == [(None, 200), (None, 200)]
    assert hub.bytes_sent(FILE) == len(data) + len(data) // 2


def test_stall_is_retried(hub: FakeHub) -> None:
    data = gguf_bytes(3)
    hub.add_file(REPO, FILE, data)
    hub.stall_after(FILE, len(data) // 2, seconds=20)
    start = time.monotonic()
    [path] = download_model(REPO, [FILE], stall_timeout_s=0.5)
    assert time.monotonic() - start < 5
    assert path.read_bytes() == data
    # (the stalled GET is logged only when the server gives up on it, so only the resumed one is there yet)
    assert ranges(hub, 1)[-1] == f"bytes={len(data) // 2}-"


def test_retries_exhausted_keeps_the_part(hub: FakeHub) -> None:
    data = gguf_bytes(3)
    hub.add_file(REPO, FILE, data)
    half = len(data) // 2
    hub.drop_after(FILE, half)
    hub.drop_after(FILE, 0, times=2)  # then two attempts that bring nothing
    with pytest.raises(DownloadIncomplete) as info:
        download_model(REPO, [FILE], max_retries=2)
    assert FILE in str(info.value) and "resumed" in str(info.value) and "3 failed attempts" in str(info.value)
    assert len(cdn_gets(hub, 3)) == 3
    [partial] = list_partial_downloads()
    assert (partial.repo_id, partial.filename, partial.done_bytes, partial.total_bytes) == (REPO, FILE, half, len(data))
    assert partial.path == model_folder(REPO) / (FILE + ".part")
    [path] = download_model(REPO, [FILE], dest=partial.folder)  # the network is back: resume
    assert path.read_bytes() == data and f"bytes={half}-" in ranges(hub, 4)
    assert list_partial_downloads() == []


def test_network_lost_midway_then_back(hub: FakeHub) -> None:
    data = gguf_bytes(4)
    hub.add_file(REPO, FILE, data)
    hub.stall_after(FILE, len(data) // 2, seconds=30)  # (else the whole file may already sit in socket buffers)

    def progress(p: DownloadProgress) -> None:
        if p.state == "downloading" and p.done_bytes >= len(data) // 2 and not hub.offline:
            hub.set_offline(True)  # the hub stops listening and cuts the transfer
    with pytest.raises(DownloadIncomplete, match="resumed"):
        download_model(REPO, [FILE], progress=progress, max_retries=2)
    [partial] = list_partial_downloads()
    assert len(data) // 2 <= partial.done_bytes < len(data)
    hub.set_offline(False)
    [path] = download_model(REPO, [FILE])
    assert path.read_bytes() == data and ranges(hub, 1)[-1] == f"bytes={partial.done_bytes}-"


def test_cancel_then_restart_resumes(hub: FakeHub) -> None:
    data = gguf_bytes(6)
    hub.add_file(REPO, FILE, data)
    token, seen = CancelToken(), []
    with pytest.raises(DownloadCancelled) as info:
        download_model(REPO, [FILE], cancel=token, progress=cancel_at(0.5, token, seen))
    assert FILE in str(info.value) and info.value.hint
    folder = model_folder(REPO)
    assert files_under(folder) == [FILE + ".part", FILE + ".part.json"]
    [partial] = list_partial_downloads()
    done = partial.done_bytes
    assert len(data) // 2 <= done < len(data) and partial.total_bytes == len(data)
    side = json.loads((folder / (FILE + ".part.json")).read_text())
    assert side["repo_id"] == REPO and side["filename"] == FILE and side["size"] == len(data)
    assert side["sha256"] == side["etag"] == sha(data) and side["commit"] == hub.repos[REPO].sha
    assert side["group"] == [FILE] and partial.group == (FILE,) and side["expected_sha256"] is None
    # "after a restart": a fresh call, no state shared but the files
    seen2: list[DownloadProgress] = []
    [path] = download_model(REPO, [FILE], progress=seen2.append)
    assert path.read_bytes() == data
    assert set(ranges(hub, 2)) == {None, f"bytes={done}-"}
    assert seen2[0].state == "checking" and max(p.done_bytes for p in seen2 if p.state == "checking") == done
    assert list_partial_downloads() == [] and files_under(folder) == [FILE]


_KILLED_SCRIPT = """
import sys
from engine.hub.download import download_model
download_model(sys.argv[1], [sys.argv[2]])
"""


def test_killed_process_then_resume(hub: FakeHub) -> None:
    """A real app restart: the downloading process is SIGKILLed mid-file; a new one resumes."""
    data = gguf_bytes(4)
    hub.add_file(REPO, FILE, data)
    half = len(data) // 2
    hub.stall_after(FILE, half, seconds=60)
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_SCRIPT, REPO, FILE], cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found = list_partial_downloads()
            if found and found[0].done_bytes >= half:
                break
            time.sleep(0.05)
        else:
            proc.kill()
            pytest.fail(f"the download never reached half way: {list_partial_downloads()} {hub.requests} "
                        f"{proc.communicate(timeout=10)[0]!r}")
        with pytest.raises(DownloadError, match="another Hearth process"):  # one writer per part file
            download_model(REPO, [FILE])
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert list_partial_downloads()[0].done_bytes == half
    [path] = download_model(REPO, [FILE])
    assert path.read_bytes() == data and ranges(hub, 2) == [None, f"bytes={half}-"]  # killed GET, then the resume


def test_cancel_during_a_stall_is_prompt(hub: FakeHub) -> None:
    data = gguf_bytes(3)
    hub.add_file(REPO, FILE, data)
    hub.stall_after(FILE, 1 << 20, seconds=30)
    token = CancelToken()
    timer = threading.Timer(0.5, token.cancel)
    timer.start()
    start = time.monotonic()
    with pytest.raises(DownloadCancelled):
        download_model(REPO, [FILE], cancel=token, stall_timeout_s=30)
    assert time.monotonic() - start < 3
    assert list_partial_downloads()[0].done_bytes == 1 << 20


def test_discard_partial(hub: FakeHub) -> None:
    data = gguf_bytes(3)
    hub.add_file(REPO, FILE, data)
    token = CancelToken()
    with pytest.raises(DownloadCancelled):
        download_model(REPO, [FILE], cancel=token, progress=cancel_at(0.3, token, []))
    [partial] = list_partial_downloads()
    discard_partial(partial)
    assert list_partial_downloads() == [] and files_under(model_folder(REPO)) == []


# --- wrong bytes, changed files ------------------------------------------------------------------

def test_corrupt_bytes_are_refused_and_deleted(hub: FakeHub) -> None:
    data = gguf_bytes(3)
    hub.add_file(REPO, FILE, data)
    hub.corrupt(FILE)
    with pytest.raises(ChecksumMismatch) as info:
        download_model(REPO, [FILE])
    bad = sha(data.translate(bytes(b ^ 0xFF for b in range(256))))
    assert FILE in str(info.value) and sha(data) in str(info.value) and bad in str(info.value)
    assert files_under(model_folder(REPO)) == []


def test_catalog_checksum_is_checked_too(hub: FakeHub) -> None:
    hub.add_file(REPO, FILE, gguf_bytes(1))
    with pytest.raises(ChecksumMismatch, match="catalog") as info:
        download_model(REPO, [FILE], expected_sha256={FILE: "ab" * 32})
    assert "ab" * 32 in str(info.value) and files_under(model_folder(REPO)) == []


def test_not_a_gguf_is_refused(hub: FakeHub) -> None:
    hub.add_file(REPO, FILE, b"<html>not a model</html>" * 1000)
    with pytest.raises(DownloadError, match=FILE):
        download_model(REPO, [FILE])
    assert files_under(model_folder(REPO)) == []


def test_changed_remote_file_restarts_from_zero(hub: FakeHub) -> None:
    old, new = gguf_bytes(4, seed=1), gguf_bytes(4, seed=2)
    hub.add_file(REPO, FILE, old)
    token = CancelToken()
    with pytest.raises(DownloadCancelled):
        download_model(REPO, [FILE], cancel=token, progress=cancel_at(0.5, token, []))
    assert list_partial_downloads()[0].done_bytes >= len(old) // 2
    hub.add_file(REPO, FILE, new)  # a new upload under the same name: another etag
    [path] = download_model(REPO, [FILE])
    assert path.read_bytes() == new and ranges(hub, 2) == [None, None]


def test_file_changing_during_retries_restarts_from_zero(hub: FakeHub) -> None:
    old, new = gguf_bytes(3, seed=3), gguf_bytes(3.5, seed=4)
    hub.add_file(REPO, FILE, old)
    hub.drop_after(FILE, len(old) // 2)

    def progress(p: DownloadProgress) -> None:
        if p.state == "retrying":
            hub.add_file(REPO, FILE, new)
    [path] = download_model(REPO, [FILE], progress=progress)
    assert path.read_bytes() == new


# --- names -----------------------------------------------------------------------------------

HOSTILE = ["../evil.gguf", "/etc/x.gguf", "a\\..\\b.gguf", "C:x.gguf", "sub/../../evil.gguf", "a//b.gguf",
           "nul.gguf", "evil.gguf.", "tab\t.gguf", "nul\x00.gguf", "rtl\u202egguf.exe", "model.bin", ""]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_file_names(hub: FakeHub, tmp_path: Path, name: str) -> None:
    if "\x00" not in name and name:
        hub.add_file(REPO, name, gguf_bytes(1))
    before = files_under(tmp_path)
    with pytest.raises(UnsafeFileName) as info:
        download_model(REPO, ["ok.gguf", name], dest=tmp_path / "dest")
    assert repr(name) in str(info.value)
    assert hub.requests == [] and files_under(tmp_path) == before and not (tmp_path / "dest").exists()
    assert unsafe_reason(name) is not None


@pytest.mark.parametrize("repo_id", ["../x", "a/b/c", "a/..", "/abs", "a\\b", "", "a/b\n", "C:/x"])
def test_hostile_repo_ids(hub: FakeHub, repo_id: str) -> None:
    with pytest.raises(UnsafeFileName):
        download_model(repo_id, [FILE])
    assert hub.requests == []


def test_symlink_in_the_folder_cannot_redirect_writes(hub: FakeHub, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / FILE).symlink_to(tmp_path / "outside.gguf")
    with pytest.raises(UnsafeFileName, match=FILE):
        download_model(REPO, [FILE], dest=dest)
    assert not (tmp_path / "outside.gguf").exists() and hub.requests == []


def test_same_basename_twice_is_refused(hub: FakeHub, tmp_path: Path) -> None:
    with pytest.raises(UnsafeFileName):
        download_model(REPO, ["a/x.gguf", "b/x.gguf"], dest=tmp_path)


def test_safe_names_pass() -> None:
    for name in ["Q4_K_M/model-00001-of-00003.gguf", "mmproj-F16.gguf", "Modèle-中文.Q8_0.gguf"]:
        assert unsafe_reason(name) is None
    assert local_target(Path("/m"), "deep/er/x.gguf") == Path("/m/x.gguf").resolve()


# --- the hub unreachable or wrong ----------------------------------------------------------------

def test_offline_is_reported_fast(hub: FakeHub) -> None:
    hub.add_file(REPO, FILE, gguf_bytes(1))
    hub.set_offline(True)
    start = time.monotonic()
    with pytest.raises(HubOffline, match=FILE):
        download_model(REPO, [FILE])
    assert time.monotonic() - start < 5
    assert not model_folder(REPO).exists()


def test_unknown_file_and_repo(hub: FakeHub) -> None:
    hub.add_file(REPO, FILE, gguf_bytes(1))
    with pytest.raises(RemoteFileNotFound, match="missing.gguf"):
        download_model(REPO, [FILE, "missing.gguf"])
    with pytest.raises(RepoNotFound):
        download_model("nobody/nothing", [FILE])
    assert not model_folder(REPO).exists()


# --- disk space: a small tmpfs in a private mount namespace ---------------------------------------

_DISK_SCRIPT = r"""
import json, os, subprocess, sys
from pathlib import Path
mount, mb, mode = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={mb}m", "tmpfs", str(mount)]).returncode:
    sys.exit("mount(8) refused")
from engine.hub import checks, download as dl
checks.DISK_MARGIN_MIN = 64 * 1024
dest = mount / "models"
filled = []

def progress(p):
    if mode == "fill" and p.state == "downloading" and not filled:  # another program eats the space meanwhile
        filled.append(1)
        fd = os.open(mount / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"\0" * 65536):
                pass
        except OSError:  # full
            pass
        finally:
            os.close(fd)

result = {}
try:
    dl.download_model(sys.argv[4], [sys.argv[5]], dest=dest, progress=progress)
    result["error"] = None
except Exception as exc:
    result.update(error=type(exc).__name__, message=str(exc), hint=getattr(exc, "hint", ""))
result["files"] = sorted(str(p.relative_to(mount)) for p in mount.rglob("*") if p.is_file())
print("RESULT " + json.dumps(result))
"""


def run_on_small_disk(tmp_path: Path, mb: int, mode: str) -> dict[str, object]:
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1) to mount a small tmpfs privately")
    mount = tmp_path / "small"
    mount.mkdir()
    proc = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", sys.executable, "-c", _DISK_SCRIPT,
                           str(mount), str(mb), mode, REPO, FILE], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if not lines and "Traceback" not in proc.stderr:  # unshare(1) or mount(8) refused: not Hearth's fault
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()[-300:]}")
    assert lines, proc.stdout + proc.stderr
    return json.loads(lines[-1][len("RESULT "):])


def test_too_small_disk_is_refused_before_starting(hub: FakeHub, tmp_path: Path) -> None:
    hub.add_file(REPO, FILE, gguf_bytes(6))
    result = run_on_small_disk(tmp_path, 4, "plain")
    assert result["error"] == "NotEnoughDisk" and FILE in result["message"] and "MB" in result["message"]
    assert result["files"] == [] and cdn_gets(hub) == []  # not one byte asked for, none written


def test_disk_filling_up_midway(hub: FakeHub, tmp_path: Path) -> None:
    data = gguf_bytes(3)
    hub.add_file(REPO, FILE, data)
    result = run_on_small_disk(tmp_path, 6, "fill")
    assert result["error"] == "NotEnoughDisk" and FILE in result["message"], result
    assert result["files"] == ["filler"]  # the part and its sidecar are gone
    assert 0 < hub.bytes_sent(FILE) <= len(data)


def test_not_enough_disk_message_in_process(hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    data = gguf_bytes(2)
    hub.add_file(REPO, FILE, data)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**9, 10**9 - 50_000_000, 50_000_000))
    with pytest.raises(NotEnoughDisk) as info:
        download_model(REPO, [FILE])
    assert "50.0 MB is free" in str(info.value) or "50 MB is free" in str(info.value), str(info.value)
    assert FILE in str(info.value) and not model_folder(REPO).exists()


# --- the benchmark ------------------------------------------------------------------------------

def test_download_bench(smollm2_hub: FakeHub, tmp_path: Path) -> None:
    from engine.bench.hub import run_download_bench
    out = tmp_path / "bench" / "download.json"
    result = run_download_bench(out, repo_id=SMOLLM2_REPO, filename=SMOLLM2_FILE, endpoint=smollm2_hub.url,
                                repeats=2)
    assert json.loads(out.read_text()) == result
    assert result["size_bytes"] > 90_000_000 and result["hearth_mb_s"] > 0 and result["plain_mb_s"] > 0
    assert 0.05 < result["ratio"] < 20  # loose: the point is the number in the JSON, not a timing gate here
    assert [p.name for p in out.parent.iterdir()] == ["download.json"]  # its temporary files are gone
