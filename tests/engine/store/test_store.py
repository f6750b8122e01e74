"""The store on real SQLite files: schema, conversations, the message tree,
crash recovery, search and export."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from engine.errors import ConversationNotFound, MessageNotFound, StoreError
from engine.store import Store
from engine.store.migrations import MIGRATIONS
from engine.store.transactions import BUSY_TIMEOUT_MS

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "hearth.db"


@pytest.fixture
def store(db_path: Path):
    s = Store(db_path)
    yield s
    s.close()


def dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# --- schema -------------------------------------------------------------------

def test_migrations_applied_once(db_path: Path) -> None:
    s = Store(db_path)
    assert s.schema_version == len(MIGRATIONS) >= 1
    s.create_conversation(title="kept")
    s.close()
    s = Store(db_path)
    assert s.schema_version == len(MIGRATIONS)
    names = [r[0] for r in s.conn.execute("SELECT name FROM _migrations")]
    assert names == [m.__name__ for m in MIGRATIONS]
    assert [c.title for c in s.conversations()] == ["kept"]
    s.close()


def test_pragmas(store: Store) -> None:
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS == 30_000
    assert store.conn.isolation_level == "IMMEDIATE"  # implicit transactions take the write lock first
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert store.integrity_check() == "ok"


def test_open_default_uses_hearth_home(hearth_home: Path) -> None:
    s = Store.open_default()
    try:
        assert s.path == hearth_home / "hearth.db"
        assert s.path.exists()
    finally:
        s.close()


def test_not_a_database(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError):
        Store(bad)


def test_connection_belongs_to_its_thread(store: Store) -> None:
    import threading

    errors: list[BaseException] = []

    def use() -> None:
        try:
            store.conversations()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    t = threading.Thread(target=use)
    t.start()
    t.join()
    assert errors and isinstance(errors[0], sqlite3.ProgrammingError)


# --- conversations ------------------------------------------------------------

def test_create_and_read_conversation(store: Store) -> None:
    c = store.create_conversation(
        title="Plan", model_path="/m/a.gguf", system_prompt="Be brief.",
        sampling={"temperature": 0.7, "seed": 42}, context_policy="refuse", ctx_size=4096,
    )
    again = store.conversation(c.id)
    assert again == c
    assert again.sampling == {"temperature": 0.7, "seed": 42}
    assert (again.context_policy, again.ctx_size, again.current_leaf_id, again.deleted_at) == ("refuse", 4096, None, None)
    assert again.created_at == again.updated_at > 0


def test_bad_policy_and_unknown_fields(store: Store) -> None:
    with pytest.raises(ValueError):
        store.create_conversation(context_policy="truncate")
    c = store.create_conversation()
    with pytest.raises(ValueError):
        store.update_conversation(c.id, context_policy="nope")
    with pytest.raises(TypeError):
        store.update_conversation(c.id, colour="red")


def test_list_newest_updated_first(store: Store) -> None:
    a = store.create_conversation(title="a")
    b = store.create_conversation(title="b")
    c = store.create_conversation(title="c")
    assert [x.title for x in store.conversations()] == ["c", "b", "a"]
    time.sleep(0.01)
    store.add_message(a.id, "user", "bump", parent_id=None)
    assert [x.title for x in store.conversations()] == ["a", "c", "b"]
    assert [x.title for x in store.conversations(limit=1, offset=1)] == ["c"]
    time.sleep(0.01)
    updated = store.update_conversation(b.id, title="B", sampling={"top_k": 40}, ctx_size=2048)
    assert (updated.title, updated.sampling, updated.ctx_size) == ("B", {"top_k": 40}, 2048)
    assert updated.updated_at > b.updated_at
    assert store.conversations()[0].id == b.id
    assert c.id in [x.id for x in store.conversations()]


def test_soft_delete_restore_purge(store: Store) -> None:
    keep = store.create_conversation(title="keep")
    gone = store.create_conversation(title="gone")
    u = store.add_message(gone.id, "user", "hello", parent_id=None)
    store.add_message(gone.id, "assistant", "hi", parent_id=u.id)
    store.add_message(keep.id, "user", "stay", parent_id=None)

    store.delete_conversation(gone.id)
    assert [c.title for c in store.conversations()] == ["keep"]
    assert store.conversation(gone.id).deleted_at is not None
    assert len(store.thread(gone.id)) == 2  # still there, for undo

    store.restore_conversation(gone.id)
    assert {c.title for c in store.conversations()} == {"keep", "gone"}
    assert store.conversation(gone.id).deleted_at is None

    store.delete_conversation(gone.id)
    assert store.purge_deleted(older_than_s=3600) == 0  # too recent
    assert store.purge_deleted() == 1
    with pytest.raises(ConversationNotFound):
        store.conversation(gone.id)
    with pytest.raises(MessageNotFound):
        store.message(u.id)
    assert store.conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 1
    assert store.search("hello") == []
    assert [h.message_id for h in store.search("stay")]
    assert store.integrity_check() == "ok"


def test_not_found_errors(store: Store) -> None:
    with pytest.raises(ConversationNotFound):
        store.conversation(999)
    with pytest.raises(ConversationNotFound):
        store.update_conversation(999, title="x")
    with pytest.raises(ConversationNotFound):
        store.delete_conversation(999)
    with pytest.raises(ConversationNotFound):
        store.add_message(999, "user", "x", parent_id=None)
    with pytest.raises(ConversationNotFound):
        store.thread(999)
    with pytest.raises(MessageNotFound):
        store.message(999)
    with pytest.raises(MessageNotFound):
        store.update_message(999, content="x")
    with pytest.raises(MessageNotFound):
        store.siblings(999)
    with pytest.raises(MessageNotFound):
        store.leaf_of(999)
    c = store.create_conversation()
    with pytest.raises(MessageNotFound):
        store.add_message(c.id, "user", "x", parent_id=999)
    # a KeyError too, for callers that treat the store like a mapping
    with pytest.raises(KeyError):
        store.message(999)


def test_message_validation(store: Store) -> None:
    c = store.create_conversation()
    with pytest.raises(ValueError):
        store.add_message(c.id, "tool", "x", parent_id=None)
    with pytest.raises(ValueError):
        store.add_message(c.id, "user", "x", parent_id=None, status="done")
    other = store.create_conversation()
    m = store.add_message(other.id, "user", "x", parent_id=None)
    with pytest.raises(MessageNotFound):
        store.add_message(c.id, "assistant", "y", parent_id=m.id)  # parent in another conversation
    with pytest.raises(MessageNotFound):
        store.update_conversation(c.id, current_leaf_id=m.id)


# --- the message tree ---------------------------------------------------------

def test_tree_regenerate_and_edit(store: Store) -> None:
    c = store.create_conversation(title="tree")
    u1 = store.add_message(c.id, "user", "What is 2+2?", parent_id=None)
    a1 = store.add_message(c.id, "assistant", "5", parent_id=u1.id)
    assert store.conversation(c.id).current_leaf_id == a1.id
    assert [m.id for m in store.thread(c.id)] == [u1.id, a1.id]
    assert a1.is_reply and not u1.is_reply

    # regenerate: a sibling reply
    a2 = store.add_message(c.id, "assistant", "4", parent_id=u1.id)
    assert [m.id for m in store.thread(c.id)] == [u1.id, a2.id]
    assert [m.id for m in store.siblings(a1.id)] == [a1.id, a2.id]
    assert [m.id for m in store.siblings(a2.id)] == [a1.id, a2.id]

    # continue, then edit the first user message: a sibling root with its own reply
    u2 = store.add_message(c.id, "user", "And 3+3?", parent_id=a2.id)
    a3 = store.add_message(c.id, "assistant", "6", parent_id=u2.id)
    e1 = store.add_message(c.id, "user", "What is 2*2?", parent_id=None)
    ea = store.add_message(c.id, "assistant", "4 again", parent_id=e1.id)
    assert [m.id for m in store.thread(c.id)] == [e1.id, ea.id]
    assert [m.id for m in store.siblings(u1.id)] == [u1.id, e1.id]
    assert [m.content for m in store.siblings(e1.id)] == ["What is 2+2?", "What is 2*2?"]

    # explicit leaves and leaf_of
    assert [m.id for m in store.thread(c.id, a1.id)] == [u1.id, a1.id]
    assert store.leaf_of(u1.id) == a3.id  # newest child (a2), then down
    assert store.leaf_of(a1.id) == a1.id
    assert store.leaf_of(e1.id) == ea.id
    store.update_conversation(c.id, current_leaf_id=store.leaf_of(u1.id))
    assert [m.content for m in store.thread(c.id)] == ["What is 2+2?", "4", "And 3+3?", "6"]

    # nothing was erased
    assert len(store.messages(c.id)) == 7


def test_thread_without_current_leaf(store: Store) -> None:
    c = store.create_conversation()
    assert store.thread(c.id) == []
    u = store.add_message(c.id, "user", "a", parent_id=None)
    r = store.add_message(c.id, "assistant", "b", parent_id=u.id)
    store.update_conversation(c.id, current_leaf_id=None)
    assert store.conversation(c.id).current_leaf_id is None
    assert [m.id for m in store.thread(c.id)] == [u.id, r.id]
    other = store.create_conversation()
    with pytest.raises(MessageNotFound):
        store.thread(other.id, r.id)


def test_update_message_fields(store: Store) -> None:
    c = store.create_conversation()
    u = store.add_message(c.id, "user", "hi", parent_id=None)
    r = store.add_message(c.id, "assistant", "", parent_id=u.id, status="streaming")
    assert r.writer_pid == os.getpid()
    record = {"seed": 7, "model_sha256": "ab" * 32, "dropped": [1, 2], "template_name": "chatml"}
    store.update_message(
        r.id, content="Hello!", reasoning="think", status="complete", prompt_tokens=12,
        completion_tokens=3, prompt_evaluated=4, ttft_ms=85.5, tokens_per_s=31.2, record=record,
    )
    got = store.message(r.id)
    assert (got.content, got.reasoning, got.status) == ("Hello!", "think", "complete")
    assert (got.prompt_tokens, got.completion_tokens, got.prompt_evaluated) == (12, 3, 4)
    assert (got.ttft_ms, got.tokens_per_s) == (85.5, 31.2)
    assert got.record == record
    assert got.updated_at >= got.created_at
    store.update_message(r.id, status="error", error="worker crashed")
    assert (store.message(r.id).status, store.message(r.id).error) == ("error", "worker crashed")
    with pytest.raises(ValueError):
        store.update_message(r.id, status="bogus")
    with pytest.raises(TypeError):
        store.update_message(r.id, role="user")


# --- crash recovery -----------------------------------------------------------

def test_streaming_recovery(db_path: Path) -> None:
    s = Store(db_path)
    c = s.create_conversation()
    u = s.add_message(c.id, "user", "q", parent_id=None)
    dead = s.add_message(c.id, "assistant", "partial", parent_id=u.id, status="streaming")
    s.update_message(dead.id, writer_pid=dead_pid())
    orphan = s.add_message(c.id, "assistant", "no pid", parent_id=u.id, status="streaming", writer_pid=None)
    live = s.add_message(c.id, "assistant", "mine", parent_id=u.id, status="streaming")
    s.close()

    s = Store(db_path)
    assert s.message(dead.id).status == "interrupted"
    assert s.message(dead.id).content == "partial"
    assert s.message(orphan.id).status == "interrupted"
    assert s.message(live.id).status == "streaming"
    assert s.message(live.id).writer_pid == os.getpid()
    s.close()


CHILD = textwrap.dedent(
    """
    import sys
    from engine.store import Store
    store = Store(sys.argv[1])
    c = store.create_conversation(title="crash " + sys.argv[2])
    parent = None
    for i in range(5):
        m = store.add_message(c.id, "user" if i % 2 == 0 else "assistant", f"msg {i}", parent_id=parent)
        parent = m.id
    reply = store.add_message(c.id, "assistant", "", parent_id=parent, status="streaming")
    print(f"ready {c.id} {reply.id}", flush=True)
    i = 0
    while True:
        store.update_message(reply.id, content="".join(f"tok{k} " for k in range(i + 1)))
        print(f"saved {i}", flush=True)
        i += 1
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX-only")
def test_crash_mid_stream_is_recovered(db_path: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    rounds: list[tuple[int, int, int]] = []
    for round_no in range(3):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(db_path), str(round_no)],
            stdout=subprocess.PIPE, text=True, env=env, cwd=REPO,
        )
        assert child.stdout is not None
        first = child.stdout.readline().split()
        assert first and first[0] == "ready", first
        conversation_id, reply_id = int(first[1]), int(first[2])
        last_saved = -1
        while last_saved < 30 + 10 * round_no:
            line = child.stdout.readline()
            assert line.startswith("saved"), line
            last_saved = int(line.split()[1])
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        assert child.returncode == -signal.SIGKILL
        rounds.append((conversation_id, reply_id, last_saved))

        s = Store(db_path)
        try:
            assert s.integrity_check() == "ok"
            for cid, rid, saved in rounds:
                thread = s.thread(cid)
                assert [m.content for m in thread[:5]] == [f"msg {i}" for i in range(5)]
                assert all(m.status == "complete" for m in thread[:5])
                reply = s.message(rid)
                assert thread[-1].id == rid
                assert reply.status == "interrupted"
                # the last committed update: at least the last one reported
                assert reply.content.startswith("".join(f"tok{k} " for k in range(saved + 1)))
                assert reply.content.split() == [f"tok{k}" for k in range(len(reply.content.split()))]
            assert len(s.conversations()) == round_no + 1
        finally:
            s.close()


# --- search -------------------------------------------------------------------

@pytest.fixture
def corpus(store: Store) -> dict[str, int]:
    a = store.create_conversation(title="Physics")
    u = store.add_message(a.id, "user", "我们今天讨论量子计算", parent_id=None)
    r = store.add_message(a.id, "assistant", "The Quantum computer uses qubits.",
                          parent_id=u.id, reasoning="Recall superposition basics")
    b = store.create_conversation(title="Cooking")
    p = store.add_message(b.id, "user", "How long should pasta boil? 100% of the time_taken", parent_id=None)
    return {"a": a.id, "b": b.id, "u": u.id, "r": r.id, "p": p.id}


def test_search_english_case_insensitive(store: Store, corpus: dict[str, int]) -> None:
    hits = store.search("quantum")
    assert [h.message_id for h in hits] == [corpus["r"]]
    hit = hits[0]
    assert (hit.conversation_id, hit.conversation_title, hit.role) == (corpus["a"], "Physics", "assistant")
    assert "[Quantum]" in hit.snippet
    assert [h.message_id for h in store.search("QUBITS")] == [corpus["r"]]
    assert [h.message_id for h in store.search("quantum qubits")] == [corpus["r"]]
    assert store.search("quantum pasta") == []
    # reasoning is searched too
    hits = store.search("superposition")
    assert [h.message_id for h in hits] == [corpus["r"]]
    assert "[superposition]" in hits[0].snippet


def test_search_chinese(store: Store, corpus: dict[str, int]) -> None:
    hits = store.search("量子计算")
    assert [h.message_id for h in hits] == [corpus["u"]]
    assert "[量子计算]" in hits[0].snippet
    hits = store.search("量子")  # two characters: the LIKE fallback
    assert [h.message_id for h in hits] == [corpus["u"]]
    assert "[量子]" in hits[0].snippet
    assert store.search("经济") == []


def test_search_short_query_escapes_wildcards(store: Store, corpus: dict[str, int]) -> None:
    assert [h.message_id for h in store.search("0%")] == [corpus["p"]]
    assert [h.message_id for h in store.search("e_")] == [corpus["p"]]
    assert store.search("%") != [] and all(h.message_id == corpus["p"] for h in store.search("%"))
    assert store.search("_") != [] and all(h.message_id == corpus["p"] for h in store.search("_"))
    assert store.search("z%") == []


def test_search_prefers_whole_words_in_latin_script(store: Store) -> None:
    """"basil" is a herb, not the start of "basilicas": messages with the whole word come first, however
    bm25 or age would order them; the substring matches still follow, and the snippet shows the word."""
    c = store.create_conversation()
    churches = [store.add_message(c.id, "user", f"Basilicas of Rome, part {i}: basilicas basilicas.", parent_id=None)
                for i in range(30)]
    herb = store.add_message(c.id, "assistant", "The basilicas can wait. First, a long note on the sauce: " + "tomato "
                             * 80 + "and fresh basil leaves torn at the end.", parent_id=None)
    chinese = store.add_message(c.id, "user", "我喜欢basil酱", parent_id=None)
    hits = store.search("basil", limit=10)
    assert {h.message_id for h in hits[:2]} == {herb.id, chinese.id}, [h.snippet for h in hits]
    assert [h.message_id for h in hits[2:]] and {h.message_id for h in hits[2:]} <= {m.id for m in churches}
    assert "[basil]" in next(h.snippet for h in hits if h.message_id == herb.id)
    assert len(hits) == 10
    # two words: both whole beat one whole
    both = store.add_message(c.id, "user", "Rome has basil in every market", parent_id=None)
    assert store.search("basil rome", limit=3)[0].message_id == both.id
    # Chinese keeps substring matching: 罗勒 inside 罗勒叶 is found first like any other
    leaf = store.add_message(c.id, "user", "罗勒叶和番茄", parent_id=None)
    assert [h.message_id for h in store.search("罗勒")] == [leaf.id]


@pytest.mark.parametrize(
    "query", ['"', '""', '"""', "AND", "OR", "NOT", "*", "a:b", "NEAR(", "NEAR(a b)", "content:qu",
              "(", ")", "^", "-", "quantum OR", "'; DROP TABLE messages; --", "\x00", "", "   ", "\\"],
)
def test_search_hostile_queries_never_raise(store: Store, corpus: dict[str, int], query: str) -> None:
    hits = store.search(query)
    assert isinstance(hits, list)
    assert store.integrity_check() == "ok"
    assert store.conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 3


def test_search_operators_are_literal(store: Store) -> None:
    c = store.create_conversation()
    m = store.add_message(c.id, "user", 'say "AND" NEAR(x) a:b*', parent_id=None)
    store.add_message(c.id, "user", "and near ab", parent_id=None)
    assert [h.message_id for h in store.search('"AND"')] == [m.id]
    assert [h.message_id for h in store.search("NEAR(")] == [m.id]
    assert [h.message_id for h in store.search("a:b*")] == [m.id]


def test_search_excludes_deleted_and_follows_edits(store: Store, corpus: dict[str, int]) -> None:
    store.delete_conversation(corpus["a"])
    assert store.search("quantum") == []
    assert store.search("量子") == []
    store.restore_conversation(corpus["a"])
    assert len(store.search("quantum")) == 1
    store.update_message(corpus["r"], content="Classical bits only.")
    assert store.search("quantum") == []
    assert [h.message_id for h in store.search("classical")] == [corpus["r"]]
    assert store.integrity_check() == "ok"


def test_search_snippet_is_short_and_limit(store: Store) -> None:
    c = store.create_conversation()
    text = "lorem ipsum " * 40 + "needle" + " dolor sit" * 40
    for _ in range(5):
        store.add_message(c.id, "user", text, parent_id=None)
    hits = store.search("needle", limit=3)
    assert len(hits) == 3
    snippet = hits[0].snippet
    assert "[needle]" in snippet
    assert len(snippet) <= 70
    assert snippet.startswith("…") and snippet.endswith("…")


# --- export -------------------------------------------------------------------

def _branchy(store: Store) -> tuple[int, dict[str, int]]:
    c = store.create_conversation(title="Export me", model_path="/models/smol.gguf", system_prompt="You are terse.")
    u = store.add_message(c.id, "user", "Name a colour.", parent_id=None)
    a1 = store.add_message(c.id, "assistant", "Red.", parent_id=u.id, reasoning="Pick a primary colour.",
                           record={"seed": 1})
    a2 = store.add_message(c.id, "assistant", "Blue.", parent_id=u.id)
    return c.id, {"u": u.id, "a1": a1.id, "a2": a2.id}


def test_export_markdown(store: Store) -> None:
    cid, ids = _branchy(store)
    md = store.export_markdown(cid)
    assert md.startswith("# Export me")
    assert "/models/smol.gguf" in md and "You are terse." in md
    assert "## User" in md and "## Assistant" in md
    assert "Name a colour." in md and "Blue." in md and "Red." not in md
    md1 = store.export_markdown(cid, ids["a1"])
    assert "Red." in md1 and "Blue." not in md1
    assert "<details>" in md1 and "Pick a primary colour." in md1
    assert md1.index("<details>") < md1.index("Pick a primary colour.") < md1.index("</details>") < md1.index("Red.")
    assert md1.index("## User") < md1.index("## Assistant")


def test_export_json_round_trip(store: Store) -> None:
    cid, ids = _branchy(store)
    data = store.export_json(cid, ids["a1"])
    back = json.loads(json.dumps(data))
    assert back == data
    assert (back["format"], back["version"]) == ("hearth.conversation", 1)
    assert back["conversation"]["title"] == "Export me"
    assert [m["id"] for m in back["messages"]] == [ids["u"], ids["a1"], ids["a2"]]  # creation order
    parents = {m["id"]: m["parent_id"] for m in back["messages"]}
    assert parents == {ids["u"]: None, ids["a1"]: ids["u"], ids["a2"]: ids["u"]}
    assert back["thread"] == [ids["u"], ids["a1"]]
    assert next(m for m in back["messages"] if m["id"] == ids["a1"])["record"] == {"seed": 1}
    assert store.export_json(cid)["thread"] == [ids["u"], ids["a2"]]
    with pytest.raises(ConversationNotFound):
        store.export_json(999)
