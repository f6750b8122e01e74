"""Many writers on one database file: no write may fail with "database is locked" or be lost.

Like the app: the window's database thread, two engine threads streaming replies (add_message then
many update_message), the knowledge thread writing index batches, each with its own Store on one
WAL file, plus CLI processes adding messages in a loop, some killed with SIGKILL at random moments.
A writer only counts what its call returned (a CLI process what it printed), and all of it must be
in the database afterwards.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Callable

import numpy as np

from engine.knowledge import collections as library
from engine.knowledge import scan as kb_scan
from engine.knowledge.indexer import EmbedderIdentity, Indexer
from engine.knowledge.records import ChunkDraft, ParseResult
from engine.store import Store

REPO = Path(__file__).resolve().parents[3]
RUN_S = float(os.environ.get("HEARTH_HAMMER_S", "15"))   # how long the writers write
CLI_AT_ONCE = 2
CLI_MESSAGES = 300
DIM = 16

CLI_SCRIPT = textwrap.dedent("""
    import os, sys
    from engine.store import Store
    path, n = sys.argv[1], int(sys.argv[2])
    def say(*words):
        print(*words, flush=True)
    try:
        store = Store(path)
        conv = store.create_conversation(title=f"cli {os.getpid()}")
    except Exception as exc:
        say("error", type(exc).__name__, str(exc).replace("\\n", " "))
        raise SystemExit(1)
    parent = None
    for i in range(n):
        content = f"cli {os.getpid()} {i}"
        try:
            parent = store.add_message(conv.id, "user", content, parent_id=parent).id
        except Exception as exc:
            say("error", type(exc).__name__, str(exc).replace("\\n", " "))
            continue
        say("ok", parent, content)
""")


class Tally:
    """What every writer saw: writes that returned, the content they left, and every error."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.writes: dict[str, int] = defaultdict(int)
        self.expected: dict[int, tuple[str, str]] = {}     # message id -> (writer, content)
        self.errors: list[tuple[str, str]] = []

    def wrote(self, writer: str, n: int = 1) -> None:
        with self.lock:
            self.writes[writer] += n

    def message(self, writer: str, message_id: int, content: str) -> None:
        with self.lock:
            self.expected[message_id] = (writer, content)

    def error(self, writer: str, exc: BaseException | str) -> None:
        with self.lock:
            self.errors.append((writer, exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"))


def writer_thread(name: str, db: Path, stop: threading.Event, tally: Tally,
                  body: Callable[[Store, random.Random], None]) -> threading.Thread:
    """A thread with its own Store that runs ``body`` until told to stop, recording every error."""

    def run() -> None:
        rng = random.Random(name)
        try:
            store = Store(db)
        except Exception as exc:  # noqa: BLE001
            tally.error(name, exc)
            return
        try:
            while not stop.is_set():
                try:
                    body(store, rng)
                except Exception as exc:  # noqa: BLE001
                    tally.error(name, exc)
        finally:
            store.close()

    return threading.Thread(target=run, name=name, daemon=True)


def window(tally: Tally) -> Callable[[Store, random.Random], None]:
    """The window's database thread: new conversations, user messages, renames, the list."""
    state: dict[str, int | None] = {"conv": None, "parent": None, "n": 0}

    def step(store: Store, rng: random.Random) -> None:
        if state["conv"] is None or state["n"] % 25 == 0:
            state["conv"], state["parent"] = store.create_conversation(title="window").id, None
            tally.wrote("window")
        conv = int(state["conv"])  # type: ignore[arg-type]
        content = f"window {state['n']}"
        state["n"] = int(state["n"]) + 1  # type: ignore[arg-type]
        message = store.add_message(conv, "user", content, parent_id=state["parent"])
        state["parent"] = message.id
        tally.message("window", message.id, content)
        tally.wrote("window")
        store.update_conversation(conv, title=f"window {rng.random():.3f}")
        tally.wrote("window")
        store.conversations(limit=20)

    return step


def engine(name: str, tally: Tally) -> Callable[[Store, random.Random], None]:
    """An engine thread: save the user's message, then stream a reply into its row."""
    state: dict[str, int] = {"n": 0}

    def step(store: Store, rng: random.Random) -> None:
        if state["n"] % 10 == 0:
            state["conv"] = store.create_conversation(title=name).id
            state["parent"] = None  # type: ignore[assignment]
            tally.wrote(name)
        state["n"] += 1
        conv, n = state["conv"], state["n"]
        user = store.add_message(conv, "user", f"{name} asks {n}", parent_id=state.get("parent"))
        tally.message(name, user.id, user.content)
        reply = store.add_message(conv, "assistant", "", parent_id=user.id, status="streaming")
        tally.wrote(name, 2)
        text = ""
        for token in range(8):
            text += f" t{token}"
            store.update_message(reply.id, content=text)
            tally.message(name, reply.id, text)
            tally.wrote(name)
            time.sleep(rng.random() / 1000)
        store.update_message(reply.id, status="complete", completion_tokens=8)
        tally.wrote(name)
        state["parent"] = reply.id

    return step


def knowledge(folder: Path, tally: Tally) -> Callable[[Store, random.Random], None]:
    """The knowledge thread: scan a folder, then write index batches (chunks with vectors) per batch."""
    state: dict[str, object] = {}
    ident = EmbedderIdentity(name="fake", sha256="0" * 64, dim=DIM)

    def embed(texts: list[str]) -> np.ndarray:
        time.sleep(0.005)  # the model's time: outside any transaction
        return np.random.default_rng(len(texts)).random((len(texts), DIM), dtype=np.float32)

    def step(store: Store, rng: random.Random) -> None:
        conn = store.conn
        if not state:
            coll = library.create(conn, "papers")
            library.add_sources(conn, "papers", [folder])
            conv = store.create_conversation(title="with papers").id
            library.use_collections(conn, conv, [coll.id], documents_only=False)
            state["coll"] = library.get(conn, "papers")
            state["indexer"] = Indexer(conn, embed, ident)
            tally.wrote("knowledge", 4)
        coll = state["coll"]
        indexer: Indexer = state["indexer"]  # type: ignore[assignment]
        (folder / f"doc{rng.randrange(40)}.txt").write_text(f"changed {rng.random()}\n")
        kb_scan.scan(conn, coll)  # type: ignore[arg-type]
        library.set_state(conn, coll.id, "indexing")  # type: ignore[attr-defined]
        tally.wrote("knowledge", 2)
        rows = conn.execute("SELECT id, path, coalesce(size, 0) FROM kb_files WHERE collection_id = ? "
                            "ORDER BY random() LIMIT 8", (coll.id,)).fetchall()  # type: ignore[attr-defined]
        ids = {r[1]: (r[0], r[2]) for r in rows}
        batch = [ParseResult(path=r[1], sha256=uuid.uuid4().hex, size=r[2], kind="text",
                             chunks=[ChunkDraft(text=f"chunk {i} of {r[1]} {rng.random()}", line_start=i,
                                                line_end=i, tokens=5) for i in range(8)])
                 for r in rows]
        indexer._write(coll.id, batch, ids)  # type: ignore[attr-defined]
        library.set_state(conn, coll.id, "idle")  # type: ignore[attr-defined]
        tally.wrote("knowledge", 2)

    return step


def run_cli(db: Path, out: Path, kill_after: float | None) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    with out.open("wb") as sink:
        child = subprocess.Popen([sys.executable, "-c", CLI_SCRIPT, str(db), str(CLI_MESSAGES)],
                                 stdout=sink, stderr=subprocess.STDOUT, env=env)
    if kill_after is not None:
        timer = threading.Timer(kill_after, lambda: child.poll() is None and child.send_signal(signal.SIGKILL))
        timer.daemon = True
        timer.start()
    return child


def read_cli(out: Path, tally: Tally, name: str) -> None:
    text = out.read_text(errors="replace")
    lines = text.splitlines()
    if lines and not text.endswith("\n") and name.endswith("-killed"):
        lines.pop()   # SIGKILL cut the writer's last line short: it reported nothing whole there
    for line in lines:
        word, _, rest = line.partition(" ")
        if word == "ok":
            message_id, _, content = rest.partition(" ")
            tally.message(name, int(message_id), content)
            tally.wrote(name)
        elif word == "error" or "Error" in line:
            tally.error(name, rest or line)


def kind(writer: str) -> str:
    """'cli-12-killed' -> 'cli', 'engine-2' -> 'engine'."""
    return writer.split("-")[0]


def test_writers_never_see_locked_and_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "hearth.db"
    folder = tmp_path / "papers"
    folder.mkdir()
    for i in range(40):
        (folder / f"doc{i}.txt").write_text(f"document {i}\n")
    Store(db).close()  # the schema, as the app's first start makes it

    tally = Tally()
    stop = threading.Event()
    threads = [writer_thread("window", db, stop, tally, window(tally)),
               writer_thread("engine-1", db, stop, tally, engine("engine-1", tally)),
               writer_thread("engine-2", db, stop, tally, engine("engine-2", tally)),
               writer_thread("knowledge", db, stop, tally, knowledge(folder, tally))]
    started = time.monotonic()
    for thread in threads:
        thread.start()

    rng = random.Random(7)
    children: list[tuple[str, subprocess.Popen[bytes], Path]] = []
    killed = 0
    while time.monotonic() - started < RUN_S:
        alive = [c for _, c, _ in children if c.poll() is None]
        if len(alive) < CLI_AT_ONCE:
            k = len(children)
            kill_after = rng.uniform(0.2, 3.0) if k % 2 == 0 else None
            out = tmp_path / f"cli{k}.out"
            children.append((f"cli-{k}" + ("-killed" if kill_after else ""), run_cli(db, out, kill_after), out))
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), f"{thread.name} did not stop"
    for name, child, out in children:
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        killed += child.returncode == -signal.SIGKILL
        if child.returncode not in (0, -signal.SIGKILL):
            tally.error(name, f"exited with {child.returncode}")
        read_cli(out, tally, name)
    seconds = time.monotonic() - started

    with Store(db) as store:
        found = {row[0]: row[1] for row in store.conn.execute("SELECT id, content FROM messages")}
        integrity = store.integrity_check()
        uneven = store.conn.execute(
            "SELECT count(*) FROM kb_files f WHERE f.chunks != "
            "(SELECT count(*) FROM kb_chunks c WHERE c.file_id = f.id)").fetchone()[0]
    lost: dict[str, int] = defaultdict(int)
    for message_id, (writer, content) in tally.expected.items():
        if found.get(message_id) != content:
            lost[kind(writer)] += 1
    locked = [e for e in tally.errors if "locked" in e[1]]
    failed_by: dict[str, int] = defaultdict(int)
    for writer, _ in tally.errors:
        failed_by[kind(writer)] += 1
    summary = (f"{sum(tally.writes.values())} writes by {len(threads)} threads + {len(children)} CLI processes "
               f"({killed} killed) in {seconds:.1f} s; {len(locked)} 'database is locked', "
               f"{len(tally.errors)} failed writes {dict(failed_by)}, "
               f"{sum(lost.values())} of {len(tally.expected)} messages lost {dict(lost)}; "
               f"writes per writer {dict(tally.writes)}")
    print(summary)
    assert not locked, f"{summary}\nfirst: {locked[:3]}"
    assert not tally.errors, f"{summary}\nfirst: {tally.errors[:3]}"
    assert not lost, summary
    assert integrity == "ok"
    assert uneven == 0, "a file's chunks and its row were written in different transactions"
    assert killed >= 1 and len(children) >= 3, summary
    assert sum(tally.writes.values()) >= 2000, summary
