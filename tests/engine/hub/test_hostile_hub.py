"""A hostile or broken Hub: every reply is bounded in bytes, JSON depth and time; malformed items are
skipped and counted; Ctrl+C propagates; files without a sha256 are verified by their git blob id;
downloads ask for the file's own bytes; a header without a context length gets a clear result;
full-width look-alike names are normalised before any check and never recommended.

The real huggingface_hub client talks to the FakeHub on 127.0.0.1. Replies that could eat memory run
in a child process limited to ~1.5 GB of address space (RLIMIT_AS), so a regression fails instead of
taking the machine down; the slow ones in a child with a wall-clock limit. Each case prints its time
and peak RSS (``pytest -s`` shows them as ``FIGURE ...``).
"""
from __future__ import annotations

import _thread
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engine.errors import ChecksumMismatch, HearthError, HubError, UnsafeFileName
from engine.hub import fit, search
from engine.hub.download import download_model
from engine.hub.search import list_model_files, search_repos
from engine.machine import MachineMemory
from engine.models import names
from tests.gguf_tools import DROP, tiny_gguf
from tests.hub_server import FakeHub, hub  # noqa: F401

ROOT = Path(__file__).resolve().parents[3]
AS_LIMIT = 1536 * 1024 * 1024
REPO = "o/x-GGUF"

_CHILD = r"""
import json, os, resource, sys, time
setup, call, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
sys.path.insert(0, os.getcwd())
from tests.hub_repos import gzip_bomb
from tests.hub_server import FakeHub
from engine.errors import HearthError
from engine.hub import fit, search
try:
    from engine.hub import replies
except ImportError:  # so the same test runs (and fails) against code without the bounds
    replies = None
hub = FakeHub().start()
os.environ["HF_ENDPOINT"] = hub.url
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
from huggingface_hub import constants
constants.ENDPOINT = hub.url
constants.HUGGINGFACE_CO_URL_TEMPLATE = hub.url + "/{repo_id}/resolve/{revision}/{filename}"
exec(setup)
started = time.monotonic()
try:
    result = eval(call)
    out = {"result": repr(result)[:300], "skipped": getattr(result, "skipped", None)}
except HearthError as exc:
    out = {"error": type(exc).__name__, "message": str(exc), "hint": exc.hint}
except BaseException as exc:
    out = {"crash": type(exc).__name__, "message": str(exc)[:300]}
out["seconds"] = time.monotonic() - started
# VmHWM, not ru_maxrss: Linux carries the forking parent's high-water mark across exec into ru_maxrss
out["peak_rss_mb"] = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
print("RESULT " + json.dumps(out), flush=True)
os._exit(0)
"""


def _in_child(name: str, setup: str, call: str, *, wall_s: float = 60) -> dict:
    """Run ``call`` against a FakeHub configured by ``setup`` in a child limited to AS_LIMIT bytes."""
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, setup, call, str(AS_LIMIT)], cwd=ROOT,
                              capture_output=True, text=True, timeout=wall_s)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{name}: no answer within {wall_s} s (no overall deadline?)")
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, f"{name}: the child died (rc {done.returncode}): {done.stderr[-2000:]}"
    out = json.loads(lines[-1][len("RESULT "):])
    print(f"FIGURE {name}: {out['seconds']:.2f} s, peak RSS {out['peak_rss_mb']:.0f} MB -> "
          f"{out.get('error') or out.get('crash') or 'ok'}")
    return out


def _refused(out: dict, cls: str, *words: str) -> None:
    assert out.get("error") == cls, out
    for word in words:
        assert word in out["message"], (word, out["message"])
    assert out["hint"] and "internet connection" not in out["hint"]


# --- bytes ---------------------------------------------------------------------------------------

def test_an_endless_search_reply_stops_at_the_byte_limit() -> None:
    out = _in_child("endless search JSON", 'hub.hostile("/api/models", "endless")', 'search.search_repos("x")')
    _refused(out, "HubReplyTooLarge", "/api/models", "16,777,216 bytes")
    assert out["seconds"] < 30


@pytest.mark.parametrize("path, call", [
    ("/api/models", 'search.search_repos("x")'),
    (f"/api/models/{REPO}", f'search.list_model_files("{REPO}")'),
])
def test_a_gzip_bomb_stops_at_the_byte_limit_after_decompression(path: str, call: str) -> None:
    setup = f'hub.hostile("{path}", "raw", body=gzip_bomb(2000), headers={{"Content-Encoding": "gzip"}})'
    out = _in_child(f"gzip bomb 2 MB -> 2 GB at {path}", setup, call)
    _refused(out, "HubReplyTooLarge", path, "after decompression")
    assert out["peak_rss_mb"] < 400


def test_a_gzip_bomb_on_a_header_range_read_is_refused() -> None:
    setup = (f'hub.add_file("{REPO}", "x-Q4_0.gguf", b"GGUF" * 100, lfs=False)\n'
             f'hub.hostile("/{REPO}/resolve/main/x-Q4_0.gguf", "raw", body=gzip_bomb(500), '
             f'headers={{"Content-Encoding": "gzip"}})')
    out = _in_child("gzip bomb on a GGUF range read", setup, f'fit.read_remote_header("{REPO}", "x-Q4_0.gguf")')
    _refused(out, "HubReplyMalformed", "x-Q4_0.gguf", "gzip")


# --- depth ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, call", [
    ("/api/models", 'search.search_repos("x")'),
    (f"/api/models/{REPO}", f'search.list_model_files("{REPO}")'),
])
def test_million_deep_json_is_refused_before_parsing(path: str, call: str) -> None:
    setup = f'hub.hostile("{path}", "raw", body=b"[" * 10**6 + b"]" * 10**6)'
    out = _in_child(f"10^6-deep JSON at {path}", setup, call)
    _refused(out, "HubReplyTooDeep", path, "64 levels")
    assert out["seconds"] < 10


# --- time ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, call, knob", [
    ("/api/models", 'search.search_repos("x")', "if replies: replies.JSON_DEADLINE_S = 2"),
    (f"/api/models/{REPO}", f'search.list_model_files("{REPO}")', "if replies: replies.JSON_DEADLINE_S = 2"),
    (f"/{REPO}/resolve/main/x-Q4_0.gguf", f'fit.read_remote_header("{REPO}", "x-Q4_0.gguf")',
     "fit.HEADER_DEADLINE_S = 2"),
])
def test_a_trickle_ends_at_the_overall_deadline(path: str, call: str, knob: str) -> None:
    setup = (f'{knob}\nhub.add_file("{REPO}", "x-Q4_0.gguf", b"GGUF" * 100, lfs=False)\n'
             f'hub.hostile("{path}", "trickle", body=b"[" + b" " * 200 + b"]", rate=1.0)')
    out = _in_child(f"1 byte/s trickle at {path}", setup, call, wall_s=40)
    _refused(out, "HubReplyTooSlow", path, "2 seconds")
    assert out["seconds"] < 5


def test_ctrl_c_during_a_hub_call_propagates(hub: FakeHub) -> None:  # noqa: F811
    hub.hostile("/api/models", "trickle", body=b"[" + b" " * 100 + b"]", rate=2.0)
    timer = threading.Timer(1.0, _thread.interrupt_main)
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):  # not wrapped in a HubError, not swallowed
        search_repos("x")
    assert time.monotonic() - started < 5
    time.sleep(0.2)
    left = [t for t in threading.enumerate() if isinstance(t, threading.Timer) and t is not timer and t.is_alive()]
    assert not left  # no watchdog outlives the call


# --- malformed items -----------------------------------------------------------------------------

def test_malformed_search_items_are_skipped_and_counted(hub: FakeHub) -> None:  # noqa: F811
    good = {"id": "o/good-GGUF", "downloads": 5, "likes": 1, "lastModified": "2024-06-01T12:00:00.000Z",
            "tags": ["gguf"], "gated": False}
    items = [good, {"id": 5}, {"id": "o/a", "downloads": "lots"}, {"id": "o/b", "lastModified": "not a date"},
             {"id": "o/c", "tags": "gguf"}, "text", {**good, "id": "o/also-good-GGUF"}]
    hub.hostile("/api/models", "raw", body=json.dumps(items))
    started = time.monotonic()
    found = search_repos("x")
    print(f"FIGURE malformed search items: {time.monotonic() - started:.2f} s")
    assert [r.repo_id for r in found] == ["o/good-GGUF", "o/also-good-GGUF"]
    assert found.skipped == 5


def test_malformed_file_entries_are_skipped_and_counted(hub: FakeHub) -> None:  # noqa: F811
    siblings = [{"rfilename": "x-Q4_0.gguf", "size": 10, "lfs": {"sha256": "a" * 64, "size": 10}},
                {"rfilename": 5}, {"rfilename": "y-Q8_0.gguf", "size": "big"},
                {"rfilename": "z-Q2_K.gguf", "lfs": "no"}, {"rfilename": "w-F16.gguf", "lfs": {"sha256": "nothex"}},
                "text"]
    hub.hostile(f"/api/models/{REPO}", "raw", body=json.dumps({"id": REPO, "siblings": siblings}))
    choices = list_model_files(REPO)
    assert [c.filename for c in choices] == ["x-Q4_0.gguf"]
    assert choices.skipped == 5


# --- downloads -----------------------------------------------------------------------------------

def _tiny_bytes(tmp_path: Path, name: str = "t.gguf", **kw: object) -> bytes:
    return tiny_gguf(tmp_path / name, **kw).read_bytes()  # type: ignore[arg-type]


def test_a_file_without_sha256_is_verified_by_its_git_blob_id(hub: FakeHub, tmp_path: Path) -> None:  # noqa: F811
    hub.add_file(REPO, "t-Q8_0.gguf", _tiny_bytes(tmp_path), lfs=False)
    hub.corrupt("t-Q8_0.gguf")
    dest = tmp_path / "models"
    with pytest.raises(ChecksumMismatch) as caught:
        download_model(REPO, ["t-Q8_0.gguf"], dest=dest, max_retries=0)
    assert "t-Q8_0.gguf" in str(caught.value) and "git blob id" in str(caught.value)
    assert not (dest / "t-Q8_0.gguf").exists()
    [path] = download_model(REPO, ["t-Q8_0.gguf"], dest=dest)
    gets = len(hub.gets("t-Q8_0.gguf"))
    assert download_model(REPO, ["t-Q8_0.gguf"], dest=dest) == [path]  # verified on disk: not fetched again
    assert len(hub.gets("t-Q8_0.gguf")) == gets


def test_downloads_ask_for_the_files_own_bytes(hub: FakeHub, tmp_path: Path) -> None:  # noqa: F811
    data = _tiny_bytes(tmp_path)
    hub.add_file(REPO, "t-Q8_0.gguf", data, lfs=False)
    hub.add_file(REPO, "u-Q8_0.gguf", data, lfs=True)
    hub.gzip_files = "negotiated"  # gzip for a client that accepts it
    paths = download_model(REPO, ["t-Q8_0.gguf", "u-Q8_0.gguf"], dest=tmp_path / "m", max_retries=1)
    assert all(p.read_bytes() == data for p in paths)
    hub.gzip_files = "always"      # a proxy that encodes anyway: refused at once, not retried
    started = time.monotonic()
    with pytest.raises(HubError) as caught:
        download_model(REPO, ["t-Q8_0.gguf"], dest=tmp_path / "n")
    print(f"FIGURE gzip-encoded file body: {time.monotonic() - started:.2f} s")
    assert "compressed" in str(caught.value) and "t-Q8_0.gguf" in str(caught.value) and caught.value.hint
    assert time.monotonic() - started < 5 and len(hub.gets("t-Q8_0.gguf")) == 2


# --- fit -----------------------------------------------------------------------------------------

def test_a_header_without_a_context_length_gets_a_default(hub: FakeHub, tmp_path: Path) -> None:  # noqa: F811
    hub.add_file(REPO, "t-Q8_0.gguf", _tiny_bytes(tmp_path, kv={"llama.context_length": DROP}))
    header = fit.read_remote_header(REPO, "t-Q8_0.gguf")
    assert (header.context_length, header.context_known) == (fit.DEFAULT_CONTEXT, False)
    assert f"{header.context_length:,}"  # what `models fit` prints
    estimate = fit.estimate_memory(header.info, file_size=header.file_size, n_ctx=None)
    assert estimate == fit.estimate_memory(header.info, file_size=header.file_size, n_ctx=fit.DEFAULT_CONTEXT)
    machine = MachineMemory(total_ram=64 << 30, available_ram=32 << 30)
    [row] = fit.plan_repo(REPO, n_ctx=2048, machine=machine)
    assert row.recommended and row.estimate.kv_cache_bytes > 0


def test_full_width_look_alikes_are_normalised_and_never_recommended(hub: FakeHub, tmp_path: Path) -> None:  # noqa: F811
    data = _tiny_bytes(tmp_path)
    for bad in ("．．／．．／x-Q4_0.gguf", "a／．．／．．／x.gguf"):
        with pytest.raises(UnsafeFileName) as caught:
            names.check_filename(bad)
        assert "NFKC" in str(caught.value)
        with pytest.raises(UnsafeFileName):
            names.local_target(tmp_path, bad)
    with pytest.raises(UnsafeFileName):
        names.check_repo_id("ｏ/x-GGUF")
    hub.add_file(REPO, "．．／．．／x-Q4_0.gguf", data)
    hub.add_file(REPO, "small-Q2_K.gguf", data)
    hub.add_file(REPO, "ｂig-Q8_0.gguf", data + b"\0" * 100)  # safe once normalised, the biggest: not starred
    choices = list_model_files(REPO)
    assert sorted(c.filename for c in choices) == ["small-Q2_K.gguf", "ｂig-Q8_0.gguf"]
    assert choices.skipped == 1
    machine = MachineMemory(total_ram=64 << 30, available_ram=32 << 30)
    rows = fit.plan_repo(REPO, n_ctx=512, machine=machine)
    assert [r.choice.filename for r in rows if r.recommended] == ["small-Q2_K.gguf"]
    assert names.local_target(tmp_path, "ｂig-Q8_0.gguf") == tmp_path.resolve() / "big-Q8_0.gguf"
    before = len(hub.requests)
    with pytest.raises(UnsafeFileName):
        download_model(REPO, ["．．／．．／x-Q4_0.gguf"], dest=tmp_path / "m")
    assert len(hub.requests) == before  # refused before any request


def test_errors_are_hearth_errors() -> None:
    from engine.errors import HubReplyMalformed, HubReplyRefused, HubReplyTooDeep, HubReplyTooLarge, HubReplyTooSlow
    for cls in (HubReplyTooLarge, HubReplyTooDeep, HubReplyTooSlow, HubReplyMalformed):
        assert issubclass(cls, HubReplyRefused) and issubclass(cls, HubError) and issubclass(cls, HearthError)
        err = cls("m", endpoint="/api/models", limit=3)
        assert (err.endpoint, err.limit) == ("/api/models", 3) and err.hint
    assert search.Listing([1]).skipped == 0
