"""Hostile files given as attachments: pipes and devices behind image or text names, huge files, folders,
missing files. Each is refused with an engine error naming the file, fast, in bounded memory, and leaves
nothing in the attachments folder; a refused send leaves no copy behind either.

The cases that could hang or eat memory run ``prepare`` in a child process under a 1 GB address-space
limit and a timeout, so a regression fails the test instead of hanging or killing the suite. Each prints
its worst time and peak memory (``pytest -s`` shows them).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from engine import errors, paths
from engine.chat.attachments import MAX_TEXT_BYTES, prepare
from engine.chat.service import Chat
from engine.runtime.scripted import ScriptedRuntime
from engine.store import Store

MEMORY_LIMIT = 1 << 30     # the child's address space
SECONDS = 2.0              # a refusal takes less than this (after the imports)
ROOT = Path(__file__).resolve().parents[3]

_CHILD = r"""
import json, os, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), resource.getrlimit(resource.RLIMIT_AS)[1]))
from engine.chat.attachments import prepare
out = []
for path in sys.argv[2:]:
    started = time.monotonic()
    try:
        att = prepare(path)
        result = {"ok": att.name}
    except BaseException as exc:
        result = {"error": type(exc).__name__, "message": str(exc), "engine": type(exc).__module__ == "engine.errors"}
    result["seconds"] = time.monotonic() - started
    out.append(result)
# VmHWM, not ru_maxrss: Linux carries the forking parent's high-water mark across exec into ru_maxrss
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
usage = max(hwm, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"results": out, "peak_mb": usage / 1024}))
"""


def _in_child(*files: Path, timeout: float = 60) -> tuple[list[dict], float]:
    """``prepare`` each file in a child limited to 1 GB; its results and peak memory (MB)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, str(MEMORY_LIMIT), *map(str, files)], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"prepare() hung on {[f.name for f in files]} (no answer in {timeout:g} s)")
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return answer["results"], answer["peak_mb"]


def _report(case: str, results: list[dict], peak_mb: float) -> None:
    worst = max(r["seconds"] for r in results)
    print(f"\n[hostile attachments] {case}: worst {worst:.3f} s, peak {peak_mb:.0f} MB")


def _left(home: Path) -> list[str]:
    """Whatever is in the attachments folder (files or folders)."""
    folder = home / "attachments"
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def _refused(result: dict, name: str, *words: str) -> None:
    assert "error" in result, f"{name} was accepted: {result}"
    assert result["engine"] and result["error"].startswith(("Attachment", "Image")), result
    assert name in result["message"], result
    for word in words:
        assert word in result["message"], result
    assert result["seconds"] < SECONDS, result


@pytest.fixture
def png(tmp_path: Path) -> Path:
    path = tmp_path / "good.png"
    Image.new("RGB", (8, 8), (200, 30, 30)).save(path, "PNG")
    return path


# --- pipes and devices -----------------------------------------------------------------------------------------
def test_a_fifo_named_txt_or_png_is_refused_at_once_and_the_files_after_it_still_attach(
        tmp_path: Path, hearth_home: Path, png: Path) -> None:
    fifo_txt, fifo_png = tmp_path / "y.txt", tmp_path / "y.png"
    os.mkfifo(fifo_txt)
    os.mkfifo(fifo_png)
    results, peak = _in_child(fifo_txt, fifo_png, png, timeout=30)
    _report("FIFO as .txt/.png", results[:2], peak)
    _refused(results[0], "y.txt", "pipe")
    _refused(results[1], "y.png", "pipe")
    assert results[2].get("ok") == "good.png", results[2]   # one bad file does not stall the next
    left = _left(hearth_home)   # only the good file: its folder and its copy
    assert len(left) == 2 and left[1].endswith(".png") and ".part-" not in left[1]


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_symlink_to_dev_zero_named_png_or_txt_is_refused_in_bounded_memory(tmp_path: Path,
                                                                             hearth_home: Path) -> None:
    zero_png, zero_txt = tmp_path / "x.png", tmp_path / "x.txt"
    zero_png.symlink_to("/dev/zero")
    zero_txt.symlink_to("/dev/zero")
    results, peak = _in_child(zero_png, zero_txt, timeout=30)
    _report("symlink to /dev/zero as .png/.txt", results, peak)
    _refused(results[0], "x.png", "device")
    _refused(results[1], "x.txt", "device")
    assert peak < 400, f"peak memory {peak:.0f} MB"
    assert _left(hearth_home) == []


def test_a_device_is_refused_by_the_engine_error_in_process(tmp_path: Path, hearth_home: Path) -> None:
    link = tmp_path / "null.txt"
    link.symlink_to("/dev/null")
    with pytest.raises(errors.AttachmentNotAFile, match="null.txt is a device"):
        prepare(link)
    assert _left(hearth_home) == []


# --- too large -----------------------------------------------------------------------------------------------
def test_a_100_mb_sparse_text_file_is_refused_as_too_large_naming_the_limit(tmp_path: Path,
                                                                           hearth_home: Path) -> None:
    big = tmp_path / "huge.txt"
    with open(big, "wb") as fh:
        fh.truncate(100 * 1000 * 1000)
    picture = tmp_path / "huge.png"
    with open(picture, "wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n")
        fh.truncate(101 * 1024 * 1024)
    results, peak = _in_child(big, picture, timeout=30)
    _report("100 MB sparse .txt / 101 MB .png", results, peak)
    _refused(results[0], "huge.txt", "too large", "limit", "8 MB")
    _refused(results[1], "huge.png", "too large", "limit", "100 MB")
    assert peak < 400, f"peak memory {peak:.0f} MB"
    assert _left(hearth_home) == []
    with pytest.raises(errors.AttachmentFileTooLarge) as err:
        prepare(big)
    assert err.value.size == 100 * 1000 * 1000 and err.value.limit == MAX_TEXT_BYTES
    assert "knowledge base" in err.value.hint


def test_a_document_with_too_much_text_is_refused_after_extraction_and_nothing_is_stored(
        tmp_path: Path, hearth_home: Path) -> None:
    html = tmp_path / "long.html"      # 7 MB on disk, under the byte limit; 2.2 million characters of text
    html.write_text("<html><body>" + "<p>" + "word " * 440_000 + "</p>" + "<!-- -->" * 600_000 + "</body></html>")
    started = time.monotonic()
    with pytest.raises(errors.AttachmentFileTooLarge, match="long.html is too large.*characters") as err:
        prepare(html)
    print(f"\n[hostile attachments] 2.2 M characters of HTML: {time.monotonic() - started:.2f} s")
    assert err.value.limit == 2_000_000
    assert _left(hearth_home) == []


# --- not files at all ------------------------------------------------------------------------------------------
def test_a_folder_and_a_missing_file_are_refused_by_name(tmp_path: Path, hearth_home: Path) -> None:
    folder = tmp_path / "notes.txt"
    folder.mkdir()
    with pytest.raises(errors.AttachmentNotAFile, match="notes.txt is a folder"):
        prepare(folder)
    with pytest.raises(errors.AttachmentError, match="gone.png does not exist"):
        prepare(tmp_path / "gone.png")
    assert _left(hearth_home) == []


def test_refused_documents_leave_nothing_behind(tmp_path: Path, hearth_home: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 not really")
    for path in (empty, broken):
        with pytest.raises(errors.AttachmentError, match=path.name):
            prepare(path)
    assert _left(hearth_home) == []


# --- a refused send ------------------------------------------------------------------------------------------
@pytest.fixture
def chat(tmp_path: Path) -> Chat:
    store = Store(paths().database)
    runtime = ScriptedRuntime()
    runtime.load(str(tmp_path / "scripted.gguf"), n_ctx=512)
    yield Chat(store, runtime)
    store.close()


def test_a_refused_send_leaves_no_copy_and_sending_again_makes_it_again(chat: Chat, png: Path,
                                                                        hearth_home: Path, tmp_path: Path) -> None:
    conv = chat.store.create_conversation()
    image = prepare(png)
    report = tmp_path / "report.txt"
    report.write_text("Quarterly figures rose in every region we measured this year. " * 300)
    document = prepare(report)
    assert len(_left(hearth_home)) == 4          # two folders, two copies: the drafts
    with pytest.raises(errors.VisionUnsupported):
        list(chat.send(conv.id, "What is this?", attachments=[image]))
    with pytest.raises(errors.AttachmentTooLarge):
        list(chat.send(conv.id, "Summarise.", attachments=[document]))
    assert _left(hearth_home) == [] and chat.store.thread(conv.id) == []
    chat.runtime.load(str(tmp_path / "scripted.gguf"), n_ctx=512, mmproj="mm.gguf")
    events = list(chat.send(conv.id, "And now?", attachments=[image]))   # made again from the file
    (saved,) = events[0].attachments
    assert saved.stored.read_bytes() == png.read_bytes()


def test_a_refused_send_keeps_a_copy_a_saved_message_uses(chat: Chat, png: Path, tmp_path: Path) -> None:
    chat.runtime.load(str(tmp_path / "scripted.gguf"), n_ctx=512, mmproj="mm.gguf")
    conv = chat.store.create_conversation()
    image = prepare(png)
    list(chat.send(conv.id, "Look.", attachments=[image]))
    chat.runtime.load(str(tmp_path / "scripted.gguf"), n_ctx=512)
    with pytest.raises(errors.VisionUnsupported):
        list(chat.send(conv.id, "Again?", attachments=[prepare(png)]))
    assert image.stored.is_file()


def test_a_copy_gone_with_its_file_changed_is_refused_by_name(chat: Chat, png: Path, tmp_path: Path) -> None:
    chat.runtime.load(str(tmp_path / "scripted.gguf"), n_ctx=512, mmproj="mm.gguf")
    conv = chat.store.create_conversation()
    image = prepare(png)
    image.stored.unlink()
    Image.new("RGB", (8, 8), (0, 0, 255)).save(png, "PNG")
    with pytest.raises(errors.AttachmentError, match="good.png has changed"):
        list(chat.send(conv.id, "Look.", attachments=[image]))
    assert chat.store.thread(conv.id) == []
