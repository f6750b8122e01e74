"""A home made by the build before the tree was regrouped opens in today's build with no data change.

The old build is commit a84dd73 (the last one before the restructuring), taken from this
repository's git history with ``git archive``; it runs in its own interpreter and fills a home:
conversations with a branch, a deleted one and one in Chinese, messages with a document and an
image attached, a registered model, a knowledge collection indexed with the real MiniLM embedder (one
file failing) and used by a conversation, documents only. Today's ``engine.home`` then opens that
home, reads everything through the engine (search included), and every row of every table, the
schema and the attached files must be exactly as the old build left them.

CI runs on a full clone: without the git history this test fails (it never skips).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from engine.home import open_home
from engine.knowledge import collections as library
from engine.store import migrations

ROOT = Path(__file__).resolve().parents[3]
OLD_BUILD = "a84dd73cec3dd19e5bc42dfb2da5f2e0f9e6d47e"   # "Review of the knowledge-base and attachments change"
NEW_MIGRATIONS = ["m005_terms", "m006_collection_embedder", "m007_remote_backends"]   # applied since: each checked below

OLD_SCRIPT = r"""
import json, sys
from pathlib import Path

import engine
from engine.attachments import prepare
from engine.kb import library
from engine.kb.knowledge import KnowledgeBase
from engine.models import import_model
from engine.paths import paths
from engine.runtime.client import Runtime
from engine.store import Store

old_tree, docs, embedder, model, image = (Path(a) for a in sys.argv[1:6])
assert Path(engine.__file__).resolve().is_relative_to(old_tree.resolve()), engine.__file__
home = paths()
store = Store(home.database)

kettle = store.create_conversation(title="Kettle notes", system_prompt="Answer briefly.", model_path=str(model),
                                   sampling={"temperature": 0.2, "seed": 7}, ctx_size=2048)
question = store.add_message(kettle.id, "user", "What is in these files?", parent_id=None)
store.add_attachments(question.id, [prepare(docs / "kettle.md"), prepare(image)], tokens=[40, 64])
store.add_message(kettle.id, "assistant", "A note about the **Zephyr** kettle and a picture.", parent_id=question.id,
                  reasoning="The user attached two files.", prompt_tokens=120, completion_tokens=14,
                  tokens_per_s=31.5, ttft_ms=210.0,
                  record={"model": {"name": "SmolLM2"}, "sampling": {"seed": 7}, "finish_reason": "stop"})
edited = store.add_message(kettle.id, "user", "How fast does it boil?", parent_id=None)   # an edit: a branch
store.add_message(kettle.id, "assistant", "In 97 seconds.", parent_id=edited.id)

gone = store.create_conversation(title="Deleted one")
store.add_message(gone.id, "user", "forget this", parent_id=None)
store.delete_conversation(gone.id)
chinese = store.create_conversation(title="茶壶")
hello = store.add_message(chinese.id, "user", "泽菲尔水壶烧开一升水需要多久？", parent_id=None)
store.add_message(chinese.id, "assistant", "九十七秒。", parent_id=hello.id, status="interrupted")

import_model(store, model)

with Runtime(log_path=home.runtime_log, cache_dir=home.cache) as runtime:
    kb = KnowledgeBase(store, runtime, embedder=embedder)
    kb.create("Notes")
    kb.add("Notes", [docs])
    states = [p.state for p in kb.index("Notes")]
    kb.close()
notes = library.get(store.conn, "Notes")
library.use_collections(store.conn, kettle.id, [notes.id], documents_only=True)
print(json.dumps({"schema_version": store.schema_version, "state": states[-1],
                  "status": kb.status("Notes").files}))
store.close()
"""


def _old_build(into: Path) -> Path:
    """The old build's ``engine`` package, from git history (a loud failure when there is none)."""
    try:
        tar = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", OLD_BUILD, "engine"],
                             capture_output=True, timeout=120)
    except OSError as exc:
        pytest.fail(f"this test needs git and the repository's history (a full clone): {exc}")
    if tar.returncode != 0:
        pytest.fail(f"this test builds its old database with the build at {OLD_BUILD} from the git history, "
                    f"which is not available here (a shallow clone?): run it in a full clone. "
                    f"git said: {tar.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(tar.stdout)) as archive:
        archive.extractall(into, filter="data")
    return into


def _dump(database: Path) -> dict[str, Any]:
    """Every row of every table (shadow tables of the full-text indexes too), the schema, the version."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        schema = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        tables = [name for kind, name, _, _ in schema if kind == "table"]
        rows = {name: sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in tables}
        return {"schema": schema, "rows": rows, "user_version": conn.execute("PRAGMA user_version").fetchone()[0]}
    finally:
        conn.close()


def _files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_database_from_the_build_before_the_regrouping_opens_unchanged(
        tmp_path: Path, minilm_path: Path, smollm2_path: Path) -> None:
    from PIL import Image

    old_tree = _old_build(tmp_path / "old-build")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "kettle.md").write_text("# The Zephyr kettle\n\nThe Zephyr kettle boils one litre of water in "
                                    "exactly 97 seconds and switches itself off.\n", encoding="utf-8")
    (docs / "tea.txt").write_text("Green tea wants water at 80 degrees, black tea at a full boil.\n",
                                  encoding="utf-8")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.7\nthis is not really a PDF\n")
    image = tmp_path / "kettle.png"
    Image.new("RGB", (48, 32), (200, 80, 40)).save(image)
    home = tmp_path / "old-home"
    env = {**os.environ, "HEARTH_HOME": str(home), "PYTHONPATH": str(old_tree)}
    made = subprocess.run([sys.executable, "-c", OLD_SCRIPT, str(old_tree), str(docs), str(minilm_path),
                           str(smollm2_path), str(image)], cwd=old_tree, env=env, capture_output=True, text=True,
                          timeout=300)
    assert made.returncode == 0, made.stdout + made.stderr
    old = json.loads(made.stdout.strip().splitlines()[-1])
    assert old["state"] == "done" and old["status"]["indexed"] == 2 and old["status"]["failed"] == 1, old

    before, files_before = _dump(home / "hearth.db"), _files(home / "attachments")
    assert before["rows"]["kb_chunks"] and before["rows"]["attachments"] and before["rows"]["models"]

    with open_home(home, embedder=minilm_path).engine() as eng:   # today's wiring, as the window opens a home
        store = eng.store
        assert migrations.applied(store.db)[old["schema_version"]:] == NEW_MIGRATIONS, \
            "today's build adds a migration: check what it changes in an old database and update this test"
        titles = {c.title for c in store.conversations()}
        assert {"Kettle notes", "茶壶"} <= titles and "Deleted one" not in titles
        kettle = next(c for c in store.conversations() if c.title == "Kettle notes")
        first = store.thread(kettle.id, store.siblings(store.thread(kettle.id)[0].id)[0].id)
        atts = store.attachments(first[0].id)
        assert [(a.kind, a.name) for a in atts] == [("document", "kettle.md"), ("image", "kettle.png")]
        assert all(a.stored.is_file() and a.stored.is_relative_to(home) for a in atts)
        assert "97 seconds" in atts[0].text
        assert [m.content for m in store.thread(kettle.id)] == ["How fast does it boil?", "In 97 seconds."]
        assert store.export_json(kettle.id)["messages"]
        assert store.search("泽菲尔") and store.search("Zephyr")
        assert [c.name for c in library.conversation_collections(store.db.conn, kettle.id)] == ["Notes"]
        assert library.documents_only(store.db.conn, kettle.id)
        status = eng.knowledge.status("Notes")
        assert status.files["indexed"] == 2 and status.files["failed"] == 1
        hits = eng.knowledge.search(["Notes"], "how long does the Zephyr kettle take to boil", k=3)
        assert Path(hits[0].path).name == "kettle.md" and eng.knowledge.relevant(hits[:1])

    after = _dump(home / "hearth.db")
    assert after["user_version"] == before["user_version"]
    # m005 adds the terms index (a table, its shadow tables, a trigger), filled from the chunks;
    # m006 adds kb_collections.embedder, NULL for every collection made before; m007 the (empty) remote
    # backends table. Nothing else changes.
    added = {"kb_terms_fts", "kb_terms_fts_config", "kb_terms_fts_content", "kb_terms_fts_data",
             "kb_terms_fts_docsize", "kb_terms_fts_idx", "kb_terms_fts_delete", "remote_backends",
             "sqlite_autoindex_remote_backends_1"}
    changed = {"_migrations", "kb_collections"}
    kept = [entry for entry in before["schema"] if entry[1] not in changed]
    assert [entry for entry in after["schema"] if entry[1] not in added | changed] == kept
    assert {entry[1] for entry in after["schema"]} - {entry[1] for entry in before["schema"]} == added
    assert len(after["rows"]["kb_terms_fts"]) == len(before["rows"]["kb_chunks"])
    assert [row[0] for row in after["rows"]["_migrations"] if row not in before["rows"]["_migrations"]] == \
        NEW_MIGRATIONS
    assert [row[:-1] for row in after["rows"]["kb_collections"]] == before["rows"]["kb_collections"]
    assert all(row[-1] is None for row in after["rows"]["kb_collections"])
    for table, rows in before["rows"].items():
        if table not in changed:
            assert after["rows"][table] == rows, f"table {table} changed when today's build opened the old database"
    assert after["rows"].keys() - before["rows"].keys() == added - {"kb_terms_fts_delete",
                                                                     "sqlite_autoindex_remote_backends_1"}
    assert _files(home / "attachments") == files_before
    shutil.rmtree(old_tree)
