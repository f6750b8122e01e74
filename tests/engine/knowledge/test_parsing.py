"""The parse pool: real worker processes, real hostile files, time and memory limits."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engine.knowledge.extract import kind_of
from engine.knowledge.parsing import ParsePool, parse_one
from tests import docs_factory

ZH = "知识库把文档切成小块，再用向量检索找出与问题最相关的段落。"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc are Linux's")
# the hanging PDF takes half an hour to read: a pool that fails to stop it must fail, not hang the suite
pytestmark = pytest.mark.timeout(120)


def corpus(folder: Path) -> list[Path]:
    folder.mkdir(exist_ok=True)
    (folder / "notes.txt").write_text("First paragraph.\n\nSecond paragraph.\n", encoding="utf-8")
    (folder / "中文.md").write_text(f"# 标题\n\n{ZH}\n", encoding="utf-8")
    (folder / "page.html").write_text("<h1>Title</h1><p>Body text.</p>")
    (folder / "data.csv").write_text("k,v\na,1\nb,2\n")
    (folder / "tool.py").write_text("import os\n\n\ndef main():\n    return os.getcwd()\n")
    docs_factory.make_pdf(folder / "report.pdf", ["Page one text.", "Page two text."])
    docs_factory.make_pdf_cjk(folder / "中文.pdf", [ZH])
    docs_factory.make_docx(folder / "memo.docx", [("Heading1", "备忘"), (None, ZH)])
    return sorted(folder.iterdir())


def test_the_pool_parses_every_kind_and_hashes_it(tmp_path: Path) -> None:
    files = corpus(tmp_path / "docs")
    with ParsePool(workers=2) as pool:
        results = {r.path: r for r in pool.parse(str(p) for p in files)}
    assert set(results) == {str(p) for p in files}
    for p in files:
        r = results[str(p)]
        assert r.ok, r.reason
        assert r.sha256 == hashlib.sha256(p.read_bytes()).hexdigest() and r.size == p.stat().st_size
        assert r.kind == kind_of(p) and r.chunks and r.seconds > 0
    report = results[str(tmp_path / "docs" / "report.pdf")]
    assert report.pages == 2 and [(c.page, c.text) for c in report.chunks] == [(1, "Page one text."),
                                                                             (2, "Page two text.")]
    assert results[str(tmp_path / "docs" / "中文.pdf")].chunks[0].text == ZH
    memo = results[str(tmp_path / "docs" / "memo.docx")].chunks
    assert [(c.heading, c.text) for c in memo] == [("备忘", f"备忘\n\n{ZH}")]
    assert results[str(tmp_path / "docs" / "中文.md")].chunks[0].heading == "标题"


def test_a_hanging_pdf_is_cut_off_while_the_other_files_parse(tmp_path: Path) -> None:
    hanging = docs_factory.make_hanging_pdf(tmp_path / "trap.pdf")
    assert hanging.stat().st_size < 4096
    files = corpus(tmp_path / "docs")
    started = time.monotonic()
    with ParsePool(workers=2, time_limit=3) as pool:
        results = list(pool.parse([str(hanging), *map(str, files)]))
        elapsed = time.monotonic() - started
        assert [r.ok for r in pool.parse([str(files[0])])] == [True]   # a fresh worker took over
    by_path = {r.path: r for r in results}
    trap = by_path.pop(str(hanging))
    assert trap.error == "DocumentTimeout" and trap.reason == "trap.pdf took longer than 3 s to read."
    assert trap.sha256 == hashlib.sha256(hanging.read_bytes()).hexdigest() and trap.kind == "pdf"
    assert 3 <= trap.seconds < 10
    assert len(by_path) == len(files) and all(r.ok for r in by_path.values())
    assert results[-1].path == str(hanging)   # in completion order: everything else finished first
    assert elapsed < 20


def test_close_from_another_thread_stops_at_once(tmp_path: Path) -> None:
    traps = [str(docs_factory.make_hanging_pdf(tmp_path / f"trap{i}.pdf")) for i in range(2)]
    with ParsePool(workers=2, time_limit=120) as pool:
        timer = threading.Timer(1.5, pool.close)
        timer.start()
        started = time.monotonic()
        results = list(pool.parse(traps))
        assert results == [] and time.monotonic() - started < 10
        assert pool.worker_pids == []
        with pytest.raises(RuntimeError):
            list(pool.parse(traps))


def test_abandoning_a_parse_kills_its_busy_workers(tmp_path: Path) -> None:
    trap = str(docs_factory.make_hanging_pdf(tmp_path / "trap.pdf"))
    quick = tmp_path / "quick.txt"
    quick.write_text("Quick file.")
    with ParsePool(workers=2, time_limit=120) as pool:
        results = pool.parse([trap, str(quick)])
        assert next(results).path == str(quick)
        busy = pool.worker_pids
        results.close()                                   # e.g. the indexer was paused
        assert len(pool.worker_pids) == 1 and len(busy) == 2
        started = time.monotonic()
        assert [r.ok for r in pool.parse([str(quick)])] == [True]
        assert time.monotonic() - started < 10


@linux_only
def test_memory_bloat_is_too_large_and_the_pool_goes_on(tmp_path: Path) -> None:
    bomb = docs_factory.make_docx_bomb(tmp_path / "bomb.docx", megabytes=120)
    assert bomb.stat().st_size < 1_000_000
    fine = tmp_path / "fine.txt"
    fine.write_text("Still readable.")
    with ParsePool(workers=1, time_limit=60, memory_limit=200 << 20) as pool:
        results = list(pool.parse([str(bomb), str(fine)]))
    assert [r.path for r in results] == [str(bomb), str(fine)]
    assert results[0].error == "DocumentTooLarge" and "bomb.docx" in results[0].reason
    assert results[0].sha256 is not None and results[1].ok and results[1].chunks[0].text == "Still readable."


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_crashed_worker_is_reported_and_replaced(tmp_path: Path) -> None:
    trap = str(docs_factory.make_hanging_pdf(tmp_path / "trap.pdf"))
    fine = tmp_path / "fine.txt"
    fine.write_text("After the crash.")
    with ParsePool(workers=1, time_limit=60) as pool:
        results = pool.parse([trap, str(fine)])
        threading.Timer(2.0, lambda: os.kill(pool.worker_pids[0], signal.SIGSEGV)).start()
        crashed, after = list(results)
    assert crashed.error == "DocumentUnreadable"
    assert crashed.reason == "trap.pdf could not be read: the reader stopped (signal SIGSEGV)."
    assert after.ok and after.chunks[0].text == "After the crash."


def test_bad_and_unsupported_files_fail_alone(tmp_path: Path) -> None:
    corrupt = docs_factory.make_corrupt_docx(tmp_path / "cut.docx")
    sheet = tmp_path / "sheet.xlsx"
    sheet.write_bytes(b"PK\x03\x04 not really")
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    paths = [str(corrupt), str(sheet), str(tmp_path / "gone.txt"), str(empty)]
    with ParsePool(workers=2) as pool:
        results = {r.path: r for r in pool.parse(paths)}
    assert results[str(corrupt)].error == "DocumentUnreadable"
    assert results[str(corrupt)].reason.startswith("cut.docx is damaged")
    assert results[str(sheet)].error == "DocumentUnsupported" and ".xlsx" in results[str(sheet)].reason
    assert results[str(tmp_path / "gone.txt")].error == "DocumentUnreadable"
    assert results[str(empty)].ok and results[str(empty)].chunks == [] and results[str(empty)].size == 0


def test_parse_one_runs_in_process(tmp_path: Path) -> None:
    good = tmp_path / "a.md"
    good.write_text("# Hi\n\nThere.\n")
    result = parse_one(good)
    assert result.ok and [(c.heading, c.text, c.line_start, c.line_end) for c in result.chunks] == [
        ("Hi", "Hi\n\nThere.", 1, 3)]
    bad = parse_one(docs_factory.make_corrupt_docx(tmp_path / "b.docx"))
    assert bad.error == "DocumentUnreadable" and "b.docx" in bad.reason and bad.chunks == []


def test_fifty_megabytes_of_text_through_the_pool(tmp_path: Path) -> None:
    big = docs_factory.make_big_text(tmp_path / "big.txt", 50)
    with ParsePool(workers=1, time_limit=120) as pool:
        list(pool.parse([]))  # nothing to do: no worker is started
        assert pool.worker_pids == []
        started = time.monotonic()
        (result,) = pool.parse([str(big)])
        seconds = time.monotonic() - started
    print(f"\n50 MB text through the pool: {seconds:.1f} s ({result.seconds:.1f} s in the worker), "
          f"{len(result.chunks)} chunks")
    assert result.ok and len(result.chunks) > 50_000 and seconds < 60


@linux_only
def test_workers_load_no_numpy_llama_or_gui(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    with ParsePool(workers=1) as pool:
        list(pool.parse([str(tmp_path / "a.txt")]))
        maps = Path(f"/proc/{pool.worker_pids[0]}/maps").read_text()
    assert not [lib for lib in ("numpy", "llama", "PySide6", "Qt6", "sqlite3") if lib in maps]
    heavy = ("numpy", "llama_cpp", "sqlite_utils", "engine.store", "engine.runtime", "huggingface_hub", "PySide6")
    probe = f"import sys, engine.knowledge.parsing\nprint([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
