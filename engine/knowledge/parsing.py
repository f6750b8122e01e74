"""Parsing files in worker processes, each file under a time and a memory limit.

A hostile or broken document (a PDF that keeps the parser busy for hours, a
zip bomb, a reader that segfaults) fails alone: ``ParsePool`` kills the worker
reading it, reports the file as a ``ParseResult`` with an error, starts a
fresh worker and goes on with the other files.

The workers are persistent "spawn" children that import only this package's
extract/chunking/records and ``engine.errors`` (``engine`` itself loads its
parts lazily): no numpy, no llama.cpp, no database. On Linux each sets
RLIMIT_AS to the memory limit and dies with its parent (PR_SET_PDEATHSIG).

Each file is opened once, through ``extract.open_document`` (a regular file;
with ``roots``, one whose real path lies in the folders the user chose), and
hashed and read from that descriptor. The time limit is enforced by a
watchdog thread in the parent that kills a worker past its deadline whatever
the consumer of ``parse()`` is doing (embedding, for instance).

``parse_one`` runs the same steps in the calling process, without time or memory limits.
"""
from __future__ import annotations

import hashlib
import importlib
import logging
import multiprocessing as mp
import os
import signal
import threading
import time
import warnings
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from engine.errors import DocumentError
from engine.childproc import die_with_parent, limit_memory, start_child
from engine.knowledge import chunking
from engine.knowledge import extract
from engine.knowledge.extract.text import SNIFF_BYTES
from engine.knowledge.records import ParseResult

MEMORY_EXIT = 75  # a worker's exit status when it ran out of memory outside a document
STARTUP_LIMIT = 60.0  # seconds a fresh worker may take to start, before its file's own time limit

Report = Callable[[str, int, "str | None"], None]


def _sha256(fh: Any) -> tuple[str, int]:
    """The open file's sha256 and size; leaves it at its start."""
    digest, size = hashlib.sha256(), 0
    for block in iter(lambda: fh.read(4 << 20), b""):
        digest.update(block)
        size += len(block)
    fh.seek(0)
    return digest.hexdigest(), size


def _parse(path: str, target: int, overlap: int, limit: int, max_chars: int | None = None,
           max_chunks: int | None = None, roots: tuple[str, ...] | None = None,
           report: Report | None = None) -> ParseResult:
    """Open (checked), hash, extract and chunk one file; every failure becomes a ParseResult with ``error`` set."""
    started = time.monotonic()
    name = Path(path).name
    sha: str | None = None
    size = 0
    kind: str | None = None
    try:
        with extract.open_document(path, roots) as fh:
            head = fh.read(SNIFF_BYTES)
            fh.seek(0)
            kind = extract.kind_of(path, head=head)
            if kind is None:  # before a pointless hash
                raise extract.unsupported(path, head)
            sha, size = _sha256(fh)
            if report is not None:
                report(sha, size, kind)
            doc = extract.extract(path, fh=fh, max_chars=max_chars)
        chunks = chunking.chunk(doc, target_tokens=target, overlap_tokens=overlap, max_tokens=limit,
                                max_chunks=None if max_chunks is None else max_chunks + 1)
        notes = [doc.note] if doc.note else []
        if max_chunks is not None and len(chunks) > max_chunks:
            chunks = chunks[:max_chunks]
            notes.append(f"indexed the first {max_chunks:,} chunks (limit)")
        return ParseResult(path, sha, size, kind, chunks, doc.pages, seconds=time.monotonic() - started,
                           note="; ".join(notes))
    except DocumentError as exc:
        error, reason = type(exc).__name__, str(exc)
    except MemoryError:
        error, reason = "DocumentTooLarge", f"{name} needed more memory than allowed to read."
    except RecursionError:
        error, reason = "DocumentUnreadable", f"{name} is nested too deeply to read."
    except Exception as exc:  # a reader's bug or a library's surprise: this file fails, not the others
        error, reason = "DocumentUnreadable", f"{name} could not be read ({type(exc).__name__}: {exc})."
    return ParseResult(path, sha, size, kind, error=error, reason=reason, seconds=time.monotonic() - started)


def parse_one(path: str | os.PathLike[str], *, target_tokens: int = 200, overlap_tokens: int = 40,
              max_tokens: int = 400, max_chars: int | None = None, max_chunks: int | None = None,
              roots: tuple[str, ...] | None = None) -> ParseResult:
    """Parse one file here, in this process and thread, with no time or memory limit."""
    return _parse(os.fspath(path), target_tokens, overlap_tokens, max_tokens, max_chars, max_chunks, roots)


# --- the worker process --------------------------------------------------------

def _worker(conn: Connection, memory_limit: int, settings: tuple[Any, ...], began: Any) -> None:
    """Say ("ready",), then parse the paths that arrive on ``conn`` until it closes,
    answering ("hash", sha256, size, kind) and then ("done", ParseResult) for each.

    ``began`` (shared with the parent's watchdog) holds when the current file's parse
    began (monotonic clock), and -1 once its result is made (sending it may wait on the parent)."""
    die_with_parent()
    logging.getLogger().addHandler(logging.NullHandler())  # readers' warnings are not for the terminal
    logging.getLogger().setLevel(logging.CRITICAL)
    warnings.simplefilter("ignore")
    try:  # loaded before the limit, so that a small limit is left for the documents themselves
        importlib.import_module("pypdf")
    except ImportError:
        pass
    limit_memory(memory_limit)
    try:
        conn.send(("ready",))
    except (EOFError, OSError):
        return

    def report(sha: str, size: int, kind: str | None) -> None:
        conn.send(("hash", sha, size, kind))

    while True:
        try:
            path = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        began.value = time.monotonic()
        try:
            result = _parse(path, *settings, report=report)
            began.value = -1.0
            conn.send(("done", result))
        except MemoryError:
            os._exit(MEMORY_EXIT)
        except (EOFError, OSError):
            return


# --- the pool ------------------------------------------------------------------

WATCH_INTERVAL = 0.1  # seconds between the watchdog's looks at the workers


class _Slot:
    """One worker process and the file it is reading."""

    def __init__(self) -> None:
        self.proc: Any = None
        self.conn: Connection | None = None
        self.began: Any = None          # shared with the worker: when its current parse began (see _worker)
        self.path: str | None = None
        self.deadline = 0.0             # before the worker says when it began: assignment + limit (+ startup)
        self.started = 0.0
        self.timed_out = 0.0            # when the watchdog killed its worker (0: it did not)
        self.sha: str | None = None
        self.size = 0
        self.kind: str | None = None

    def overdue(self, now: float, time_limit: float) -> bool:
        """Whether the file in hand has run past its time limit (a finished parse never is)."""
        if self.path is None or self.proc is None:
            return False
        began = self.began.value if self.began is not None else 0.0
        if began < 0:
            return False
        return now >= (began + time_limit if began > 0 else self.deadline)

    def result(self, error: str, reason: str) -> ParseResult:
        assert self.path is not None
        return ParseResult(self.path, self.sha, self.size, self.kind, error=error, reason=reason,
                           seconds=(self.timed_out or time.monotonic()) - self.started)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "an unknown cause"
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


class ParsePool:
    """Worker processes that parse files, ``workers`` at a time, under per-file limits.

    Use from one thread; ``close()`` may be called from any thread to stop at once
    (files in flight are then not reported). Use as a context manager.
    """

    def __init__(self, workers: int = 2, time_limit: float = 60.0, memory_limit: int = 2 << 30,
                 target_tokens: int = 200, overlap_tokens: int = 40, max_tokens: int = 400, *,
                 max_chars: int | None = None, max_chunks: int | None = None,
                 roots: Iterable[str] | None = None) -> None:
        """``max_chars``/``max_chunks``: what one file may become at most (None: no limit; the indexer
        passes ``extract.MAX_CHARS``/``chunking.MAX_CHUNKS``); a result cut there says so in ``note``.
        ``roots``: the folders (and files) the user chose; a file whose real path is outside all of
        them is refused at open (DocumentOutsideFolder). None: no such check."""
        self.time_limit = time_limit
        self.memory_limit = memory_limit
        self._settings = (target_tokens, overlap_tokens, max_tokens, max_chars, max_chunks,
                          tuple(os.path.realpath(r) for r in roots) if roots is not None else None)
        self._ctx = mp.get_context("spawn")
        self._slots = [_Slot() for _ in range(max(1, workers))]
        self._lock = threading.Lock()
        self._closed = False
        self._watchdog: threading.Thread | None = None
        self._wake = threading.Event()

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def worker_pids(self) -> list[int]:
        return [s.proc.pid for s in self._slots if s.proc is not None and s.proc.is_alive()]

    # --- workers ------------------------------------------------------------------
    def _start(self, slot: _Slot) -> None:
        parent, child = self._ctx.Pipe(duplex=True)
        slot.began = self._ctx.Value("d", 0.0, lock=False)
        slot.proc = self._ctx.Process(target=_worker, args=(child, self.memory_limit, self._settings, slot.began),
                                      name="hearth-parse", daemon=True)
        start_child(slot.proc)   # ignores Ctrl+C: this process stops it
        child.close()
        slot.conn = parent
        if self._watchdog is None:
            self._watchdog = threading.Thread(target=self._watch, name="hearth-parse-watchdog", daemon=True)
            self._watchdog.start()

    def _watch(self) -> None:
        """Kill a worker whose file ran past its time limit, whatever the consumer of parse() is doing."""
        while not self._wake.wait(WATCH_INTERVAL):
            with self._lock:
                if self._closed:
                    return
                now = time.monotonic()
                for slot in self._slots:
                    if not slot.timed_out and slot.overdue(now, self.time_limit):
                        slot.timed_out = now
                        slot.proc.kill()

    def _stop(self, slot: _Slot) -> int | None:
        """Kill the slot's worker (if alive) and return its exit status."""
        code = None
        if slot.proc is not None:
            if slot.proc.is_alive():
                slot.proc.kill()
            slot.proc.join(timeout=5)
            code = slot.proc.exitcode
        if slot.conn is not None:
            slot.conn.close()
        slot.proc = slot.conn = None
        return code

    def _assign(self, slot: _Slot, path: str) -> bool:
        with self._lock:
            if self._closed:
                return False
            fresh = slot.proc is None or not slot.proc.is_alive()
            if fresh:
                self._stop(slot)
                self._start(slot)
            slot.path, slot.sha, slot.size, slot.kind = path, None, 0, None
            slot.timed_out = 0.0
            slot.began.value = 0.0
            slot.started = time.monotonic()
            # a fresh worker's clock starts when it says it is ready (see _collect)
            slot.deadline = slot.started + self.time_limit + (STARTUP_LIMIT if fresh else 0.0)
            try:
                slot.conn.send(path)  # type: ignore[union-attr]
            except (BrokenPipeError, OSError):
                pass  # the worker died already: its sentinel will say so
        return True

    def _collect(self, slot: _Slot) -> ParseResult | None:
        """The slot's result if it has one now: an answer, a crash, or a timeout."""
        conn, name = slot.conn, Path(slot.path or "").name
        try:
            while conn is not None and conn.poll():
                message = conn.recv()
                if message[0] == "ready":
                    slot.started = time.monotonic()
                    slot.deadline = slot.started + self.time_limit
                elif message[0] == "hash":
                    slot.sha, slot.size, slot.kind = message[1:]
                else:
                    slot.path = None
                    return message[1]
        except (EOFError, OSError):
            pass  # the worker died while answering
        if slot.timed_out or (slot.proc is not None and slot.proc.is_alive()
                              and slot.overdue(time.monotonic(), self.time_limit)):
            with self._lock:
                self._stop(slot)
            result = slot.result("DocumentTimeout", f"{name} took longer than {self.time_limit:g} s to read.")
            slot.path = None
            return result
        if slot.proc is not None and not slot.proc.is_alive():
            with self._lock:
                code = self._stop(slot)
            if code in (MEMORY_EXIT, -signal.SIGKILL):  # ran out of memory, or the kernel's OOM killer
                result = slot.result("DocumentTooLarge", f"{name} needed more memory than allowed to read.")
            else:
                result = slot.result("DocumentUnreadable",
                                     f"{name} could not be read: the reader stopped ({_describe_exit(code)}).")
            slot.path = None
            return result
        return None

    # --- the public part --------------------------------------------------------------
    def parse(self, paths: Iterable[str | os.PathLike[str]], *,
              stop: Callable[[], bool] | None = None) -> Iterator[ParseResult]:
        """Parse ``paths``; yield one ParseResult per file, in the order they finish.

        ``stop`` is asked a few times a second while waiting: when it says True, the files in
        hand are abandoned and the iteration ends (a pause or a cancel, within a second)."""
        if self._closed:
            raise RuntimeError("this ParsePool is closed")
        todo = iter(paths)
        more = True
        try:
            while True:
                for slot in self._slots:
                    if more and slot.path is None:
                        path = next(todo, None)
                        if path is None:
                            more = False
                        elif not self._assign(slot, os.fspath(path)):
                            return
                busy = [s for s in self._slots if s.path is not None]
                if not busy:
                    return
                if stop is not None and stop():
                    return
                timeout = WATCH_INTERVAL * 2
                waitables: list[Any] = [s.conn for s in busy if s.conn is not None]
                waitables += [s.proc.sentinel for s in busy if s.proc is not None]
                wait(waitables, timeout)
                for slot in busy:
                    if self._closed:
                        return
                    result = self._collect(slot)
                    if result is not None:
                        yield result
        finally:
            for slot in self._slots:  # abandoned work would answer into the next parse()
                if slot.path is not None:
                    with self._lock:
                        self._stop(slot)
                    slot.path = None

    def close(self) -> None:
        """Kill the workers now (a pause or a cancel); the pool cannot be used afterwards."""
        self._wake.set()
        with self._lock:
            self._closed = True
            procs = [s.proc for s in self._slots if s.proc is not None]
            idle = [s for s in self._slots if s.path is None]
            for proc in procs:
                if proc.is_alive():
                    proc.kill()
        for proc in procs:
            proc.join(timeout=5)
        for slot in idle:  # a busy slot's pipe is closed by the parse() that is waiting on it
            if slot.conn is not None:
                slot.conn.close()
                slot.conn = None
