"""A hostile database: damaged pages, not a database, truncated, read-only, a full disk, an undecodable schema.

Every store call raises one of engine.errors' store errors naming the way out
(never a sqlite3 error or a UnicodeDecodeError); `hearth history list` prints
it with exit code 1 and no traceback; recovery.check finds the damage;
backups are taken before a schema change and daily (7 kept); set_aside and
restore never delete anything.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.errors import DatabaseCorrupt, DatabaseReadOnly, DiskFull, StoreError
from engine.store import Store, migrations, recovery
from engine.store.transactions import WriteDatabase

ROOT = Path(__file__).resolve().parents[3]
PAGE = 4096


def filled(path: Path, conversations: int = 30, messages: int = 12) -> dict[int, list[str]]:
    """A real database with conversations; closed (the WAL checkpointed into the file). Returns the contents."""
    contents: dict[int, list[str]] = {}
    with Store(path) as store:
        for c in range(conversations):
            conv = store.create_conversation(title=f"conversation {c}")
            parent = None
            texts = []
            for m in range(messages):
                text = f"message {m} of {c}: " + "lorem ipsum dolor sit amet " * 20
                parent = store.add_message(conv.id, "user" if m % 2 == 0 else "assistant", text,
                                           parent_id=parent).id
                texts.append(text)
            contents[conv.id] = texts
    assert not Path(f"{path}-wal").exists()
    return contents


def cli(home: Path, *args: str, user: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HEARTH_HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "desktop.cli.main", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, user=user)


def assert_way_out(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "hearth: The database" in proc.stderr, proc.stderr
    for word in words:
        assert word in proc.stderr, proc.stderr


def root_page(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0])
    finally:
        conn.close()


def damage(path: Path, offsets: list[int], length: int = 16, seed: int = 1) -> None:
    rng = random.Random(seed)
    data = bytearray(path.read_bytes())
    for offset in offsets:
        data[offset:offset + length] = bytes(rng.randrange(256) for _ in range(length))
    path.write_bytes(bytes(data))


def every_call(store: Store, ids: list[int]) -> list[BaseException]:
    """Use the store everywhere; only store errors may come out."""
    seen: list[BaseException] = []
    calls = [store.conversations, lambda: store.search("lorem"), store.integrity_check]
    for cid in ids:
        calls += [lambda cid=cid: store.thread(cid), lambda cid=cid: store.export_json(cid),
                  lambda cid=cid: store.add_message(cid, "user", "more", parent_id=None)]
    for call in calls:
        try:
            call()
        except StoreError as exc:
            seen.append(exc)
    return seen


# --- damaged pages ----------------------------------------------------------------------------------

def test_flipped_bytes_in_the_middle_are_detected_and_only_store_errors_come_out(hearth_home: Path) -> None:
    """As SQLite's corruptC.test: random bytes written over the middle of a real database."""
    db = hearth_home / "hearth.db"
    contents = filled(db)
    assert recovery.check(db).ok
    pages = db.stat().st_size // PAGE
    middle = range(pages // 3, 2 * pages // 3)
    for seed in range(8):
        shutil.copy(db, hearth_home / "good.db")
        damage(db, [page * PAGE + off for page in middle for off in (0, 100, 1000)], length=8, seed=seed)
        health = recovery.check(db)
        assert not health.ok and health.problem
        try:
            store = Store(db)
        except DatabaseCorrupt as exc:
            assert "backup" in exc.hint and "aside" in exc.hint
        else:
            with store:
                seen = every_call(store, list(contents))
            assert seen and all(isinstance(e, DatabaseCorrupt) for e in seen), seen
            assert all(str(db) in e.hint for e in seen)
        shutil.copy(hearth_home / "good.db", db)


def test_history_list_on_damaged_pages_prints_the_way_out(hearth_home: Path) -> None:
    db = hearth_home / "hearth.db"
    filled(db)
    damage(db, [(root_page(db, "conversations") - 1) * PAGE])
    with Store(db) as store, pytest.raises(DatabaseCorrupt) as caught:
        store.conversations()
    assert "malformed" in str(caught.value) and "backup" in caught.value.hint
    assert_way_out(cli(hearth_home, "history", "list"), "damaged", "backup", "aside", str(db))


def test_not_a_database(hearth_home: Path) -> None:
    db = hearth_home / "hearth.db"
    hearth_home.mkdir(parents=True)
    db.write_bytes(random.Random(3).randbytes(64 * 1024))
    assert not recovery.check(db).ok
    with pytest.raises(DatabaseCorrupt, match="not a database"):
        Store(db)
    assert_way_out(cli(hearth_home, "history", "list"), "damaged", "backup")
    assert db.read_bytes() == random.Random(3).randbytes(64 * 1024)   # nothing was changed


def test_truncated_file(hearth_home: Path) -> None:
    db = hearth_home / "hearth.db"
    contents = filled(db)
    with open(db, "r+b") as f:
        f.truncate(db.stat().st_size // 2)
    health = recovery.check(db)
    assert not health.ok
    try:
        store = Store(db)
    except DatabaseCorrupt:
        pass
    else:
        with store:
            assert every_call(store, list(contents))
    for args in (("history", "list"), ("history", "show", str(max(contents)))):
        proc = cli(hearth_home, *args)
        assert "Traceback" not in proc.stderr
    assert_way_out(proc, "damaged", "backup")


def test_undecodable_schema_name_breaks_nothing(hearth_home: Path) -> None:
    """Bytes that are not UTF-8 in sqlite_master: SQLite quotes them in its error message, and Python
    failed to decode that message (a UnicodeDecodeError from the first PRAGMA journal_mode)."""
    db = hearth_home / "hearth.db"
    filled(db)
    data = bytearray(db.read_bytes())
    at = data.find(b"messages_status")
    assert at > 0
    data[at:at + 4] = b"\xff\xfe\xc3\x28"
    db.write_bytes(bytes(data))
    conn = sqlite3.connect(db)
    with pytest.raises(UnicodeDecodeError):       # what Hearth used to let through
        conn.execute("PRAGMA journal_mode")
    conn.close()
    assert not recovery.check(db).ok
    with pytest.raises(DatabaseCorrupt) as caught:
        Store(db)
    assert "schema" in str(caught.value) and str(db) in caught.value.hint
    assert_way_out(cli(hearth_home, "history", "list"), "damaged", "backup")


# --- read-only --------------------------------------------------------------------------------------

_READ_ONLY_SCRIPT = r"""
import json, sys
from engine.errors import DatabaseReadOnly
from engine.store import Store
store = Store(sys.argv[1])
out = {"titles": sorted(c.title for c in store.conversations())}
try:
    store.create_conversation(title="new")
except DatabaseReadOnly as exc:
    out["error"] = [type(exc).__name__, str(exc), exc.hint]
print(json.dumps(out))
"""


def test_read_only_file(hearth_home: Path) -> None:
    """A database that cannot be written: reading works, a write says to check the permissions of the file.

    As a normal user that is chmod 0444 on the file. Root ignores file modes, and the venv's Python lives
    under /root (0700), out of reach of an unprivileged child; so as root the file (not its folder: the
    -shm can be made, as beside a 0444 file) is bind-mounted read-only in a private user+mount namespace:
    the kernel refuses every write (EROFS) and SQLite falls
    back to a read-only open exactly as for a 0444 file (SQLITE_READONLY on the first write)."""
    db = hearth_home / "hearth.db"
    filled(db, conversations=3, messages=2)
    Store(db).close()                               # today's backup exists: the open itself writes nothing
    env = {**os.environ, "HEARTH_HOME": str(hearth_home), "PYTHONDONTWRITEBYTECODE": "1"}
    script = [sys.executable, "-c", _READ_ONLY_SCRIPT, str(db)]
    listing = [sys.executable, "-m", "desktop.cli.main", "history", "list"]
    if os.geteuid() != 0:
        os.chmod(db, 0o444)
        runs = [subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
                for cmd in (script, listing)]
    else:
        if not shutil.which("unshare"):
            pytest.skip("needs unshare(1) for a read-only bind mount")
        shell = (f'mount --bind "{db}" "{db}" && mount -o remount,ro,bind "{db}" "{db}" '
                 '|| { echo "mount(8) refused" >&2; exit 3; }; "$@"')
        runs = [subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", shell, "sh", *cmd],
                               cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
                for cmd in (script, listing)]
        if runs[0].returncode == 3:
            pytest.skip(f"cannot bind-mount read-only here: {runs[0].stderr[-300:]}")
    assert runs[0].returncode == 0, runs[0].stderr
    out = json.loads(runs[0].stdout)
    assert out["titles"] == ["conversation 0", "conversation 1", "conversation 2"]   # reading still works
    kind, message, hint = out["error"]
    assert kind == "DatabaseReadOnly" and "read-only" in message
    assert f"Check the permissions of {db}" in hint
    listed = runs[1]
    assert listed.returncode == 0 and "conversation 2" in listed.stdout and "Traceback" not in listed.stderr


# --- a full disk --------------------------------------------------------------------------------------

_DISK_SCRIPT = r"""
import json, logging, os, subprocess, sys
from pathlib import Path
mount = Path(sys.argv[1])
if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)]).returncode:
    sys.exit("mount(8) refused")
from engine.errors import DiskFull
from engine.store import Store, recovery
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
db = mount / "home" / "hearth.db"
out = {}
store = Store(db)
conv = store.create_conversation(title="full")
user = store.add_message(conv.id, "user", "hello", parent_id=None)
gone = subprocess.Popen(["true"]); gone.wait()      # a writer that has died, as after a restart
reply = store.add_message(conv.id, "assistant", "", parent_id=user.id, status="streaming", writer_pid=gone.pid)
with open(mount / "filler", "wb") as f:               # fill the disk
    try:
        while True:
            f.write(b"\0" * 65536); f.flush()
    except OSError:
        f.truncate(f.tell() - 256 * 1024)           # then leave a little room: the reply fills it
text, saved = "", ""
try:
    for i in range(100000):
        text += f"token {i} " * 50
        store.update_message(reply.id, content=text)
        saved = text
except DiskFull as exc:
    out["error"] = [type(exc).__name__, str(exc), exc.hint]
out["saved_len"] = len(saved)
store.close()
store = Store(db)                  # still full: opens, and the daily backup is skipped with a warning
out["backups_when_full"] = [b.path.name for b in recovery.backups(db.parent)]
store.close()
os.remove(mount / "filler")        # space freed
store = Store(db)
m = store.message(reply.id)
out["after"] = [m.status, m.content == saved, store.message(user.id).content]
store.update_message(reply.id, content=saved + " more")
out["writes_again"] = store.message(reply.id).content.endswith(" more")
out["backups_after"] = [b.path.name for b in recovery.backups(db.parent)]
store.close()
print(json.dumps(out))
"""


def test_disk_full_mid_reply(tmp_path: Path) -> None:
    if not shutil.which("unshare"):
        pytest.skip("needs unshare(1) to mount a small tmpfs privately")
    mount = tmp_path / "small"
    mount.mkdir()
    proc = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", sys.executable, "-c", _DISK_SCRIPT,
                           str(mount)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    if "mount(8) refused" in proc.stderr or "unshare:" in proc.stderr:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()[-300:]}")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    kind, message, hint = out["error"]
    assert kind == "DiskFull" and "disk is full" in message and "Free some disk space" in hint
    assert out["saved_len"] > 0
    assert out["backups_when_full"] == [] and "No backup" in proc.stderr and "disk is full" in proc.stderr
    assert out["after"] == ["interrupted", True, "hello"]     # the partial reply kept, as interrupted
    assert out["writes_again"]
    assert len(out["backups_after"]) == 1


# --- backups, set aside, restore --------------------------------------------------------------------

def test_backup_before_a_migration_changes_the_schema(hearth_home: Path) -> None:
    db = hearth_home / "hearth.db"
    hearth_home.mkdir(parents=True)
    old = WriteDatabase(sqlite3.connect(db))
    migrations.apply(old, migrations.MIGRATIONS[:-1])
    old.conn.execute("INSERT INTO conversations (title, created_at, updated_at) VALUES ('kept', 0, 0)")
    old.conn.commit()
    old.conn.close()
    with Store(db) as store:
        assert store.schema_version == len(migrations.MIGRATIONS)
    last = migrations.MIGRATIONS[-1].__name__
    found = recovery.backups(hearth_home)
    assert [b.path.name for b in found] == [f"hearth-{datetime.date.today()}-before-{last}.db"]
    copy = sqlite3.connect(found[0].path)
    assert copy.execute("SELECT title FROM conversations").fetchall() == [("kept",)]
    assert len(copy.execute("SELECT name FROM _migrations").fetchall()) == len(migrations.MIGRATIONS) - 1
    copy.close()


def test_daily_backup_once_a_day_and_seven_kept(hearth_home: Path) -> None:
    db = hearth_home / "hearth.db"
    filled(db, conversations=2, messages=2)
    assert recovery.backups(hearth_home) == []      # a new database has nothing to protect yet
    folder = hearth_home / "backups"
    folder.mkdir()
    now = time.time()
    for day in range(1, 10):                        # nine older days
        old = folder / f"hearth-2020-01-{day:02d}.db"
        shutil.copy(db, old)
        os.utime(old, (now - (20 - day) * 86400, now - (20 - day) * 86400))
    Store(db).close()
    Store(db).close()                               # the same day: no second backup
    names = [b.path.name for b in recovery.backups(hearth_home)]
    assert names == [f"hearth-{datetime.date.today()}.db"] + [f"hearth-2020-01-{d:02d}.db" for d in range(9, 3, -1)]
    assert not list(folder.glob(".*"))              # no temporary file left
    copy = sqlite3.connect(folder / names[0])
    assert copy.execute("SELECT count(*) FROM messages").fetchone()[0] == 4
    copy.close()


def test_no_daily_backup_of_a_damaged_database(hearth_home: Path) -> None:
    db = hearth_home / "hearth.db"
    contents = filled(db)
    damage(db, [(root_page(db, "messages") - 1) * PAGE])
    try:
        Store(db).close()
    except DatabaseCorrupt:
        pass
    assert recovery.backups(hearth_home) == []
    assert contents


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_set_aside_never_deletes(hearth_home: Path) -> None:
    db = hearth_home / "hearth.db"
    filled(db, conversations=2, messages=2)
    store = Store(db)                                # open: the -wal and -shm exist
    store.create_conversation(title="in the wal")
    sums = {suffix: digest(Path(f"{db}{suffix}")) for suffix in ("", "-wal", "-shm")}
    aside = recovery.set_aside(db)
    store.close()
    assert not db.exists() and aside.name.startswith("hearth.db.corrupt-")
    assert {suffix: digest(Path(f"{aside}{suffix}")) for suffix in ("", "-wal")} == \
        {k: v for k, v in sums.items() if k != "-shm"}
    shutil.copy(aside, db)
    again = recovery.set_aside(db)                   # the same second: another name, the first kept
    assert again != aside and aside.exists() and again.exists()
    conn = sqlite3.connect(aside)                    # the pair still opens, the WAL's commit included
    assert ("in the wal",) in conn.execute("SELECT title FROM conversations").fetchall()
    conn.close()


def test_restore_brings_the_rows_back_and_keeps_the_damaged_file(hearth_home: Path) -> None:
    db = hearth_home / "hearth.db"
    contents = filled(db)
    Store(db).close()
    (backup,) = recovery.backups(hearth_home)        # today's
    damage(db, [(root_page(db, "conversations") - 1) * PAGE])
    damaged = digest(db)
    assert not recovery.check(db).ok
    aside = recovery.restore(backup, db)
    assert aside is not None and digest(aside) == damaged
    assert recovery.check(db).ok
    with Store(db) as store:
        assert {c.id: [m.content for m in store.messages(c.id)] for c in store.conversations()} == contents


def test_a_damaged_backup_is_refused_and_nothing_moves(hearth_home: Path) -> None:
    db = hearth_home / "hearth.db"
    filled(db, conversations=2, messages=2)
    bad = hearth_home / "backups" / "hearth-2020-01-01.db"
    bad.parent.mkdir()
    bad.write_bytes(b"not a database" * 100)
    before = digest(db)
    with pytest.raises(DatabaseCorrupt):
        recovery.restore(bad, db)
    assert digest(db) == before and list(hearth_home.glob("hearth.db.corrupt-*")) == []


def test_figures_on_ten_thousand_messages(hearth_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = hearth_home / "hearth.db"
    with Store(db) as store:
        with store.write():
            for c in range(100):
                conv = store.create_conversation(title=f"c{c}")
                parent = None
                for m in range(100):
                    parent = store.add_message(conv.id, "user", f"message {m} " + "text " * 60,
                                               parent_id=parent).id
        conn = store.conn
        start = time.perf_counter()
        rows = conn.execute("PRAGMA quick_check").fetchall()
        quick = time.perf_counter() - start
        start = time.perf_counter()
        written = recovery.backup_now(conn, db)
        backup = time.perf_counter() - start
    health = recovery.check(db)
    assert [tuple(r) for r in rows] == [("ok",)] and health.ok and written is not None
    with capsys.disabled():
        print(f"\n[figures] 10,000 messages, {db.stat().st_size / 1e6:.1f} MB: quick_check {quick * 1000:.0f} ms "
              f"(recovery.check {health.seconds * 1000:.0f} ms), VACUUM INTO backup {backup * 1000:.0f} ms "
              f"({written.stat().st_size / 1e6:.1f} MB)")
    assert quick < 10 and backup < 30
