"""Conversations end to end: real llama.cpp, real SQLite, the context budget."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine import (CancelToken, Chat, ContextTrimmed, Piece, ReplyFinished, ReplyStarted, Runtime, Sampling,
                    Store, UserSaved, errors, paths)


def _run(events: object) -> list[object]:
    return list(events)  # type: ignore[call-overload]


def test_send_streams_and_stores(store: Store, smol_runtime: Runtime) -> None:
    conv = store.create_conversation(system_prompt="You are a helpful assistant.")
    events = _run(Chat(store, smol_runtime).send(conv.id, "What is the capital of France?",
                                                 sampling=Sampling(temperature=0, max_tokens=32)))
    assert isinstance(events[0], UserSaved) and isinstance(events[1], ReplyStarted)
    assert isinstance(events[-1], ReplyFinished)
    streamed = "".join(e.text for e in events if isinstance(e, Piece) and e.kind == "answer")
    reply = events[-1].message
    assert reply.content == streamed and "Paris" in reply.content
    assert reply.status == "complete"
    assert reply.completion_tokens and reply.tokens_per_s and reply.ttft_ms
    rec = reply.record
    assert rec["sampling"]["seed"] is not None
    assert rec["model"]["sha256"] == smol_runtime.info.sha256
    assert rec["template"]["hash"] == smol_runtime.info.template.hash
    thread = store.thread(conv.id)
    assert [m.role for m in thread] == ["user", "assistant"]
    assert store.conversation(conv.id).title.startswith("What is the capital")


def test_user_message_saved_before_generation(store: Store, smol_runtime: Runtime) -> None:
    conv = store.create_conversation()
    stream = Chat(store, smol_runtime).send(conv.id, "Hello there", sampling=Sampling(max_tokens=8))
    first = next(stream)
    assert isinstance(first, UserSaved)
    other = sqlite3.connect(paths().database)  # another connection sees it committed
    assert other.execute("select content from messages where id=?", (first.message.id,)).fetchone()[0] == "Hello there"
    other.close()
    _run(stream)


def test_cancel_keeps_partial_reply(store: Store, smol_runtime: Runtime) -> None:
    conv = store.create_conversation()
    cancel = CancelToken()
    pieces = []
    for e in Chat(store, smol_runtime).send(conv.id, "Write a long poem about the sea.",
                                            sampling=Sampling(temperature=0.7, seed=5, max_tokens=400), cancel=cancel):
        if isinstance(e, Piece):
            pieces.append(e.text)
            if len(pieces) == 6:
                cancel.cancel()
        if isinstance(e, ReplyFinished):
            reply = e.message
    assert reply.status == "interrupted"
    assert reply.content == "".join(pieces) and reply.content
    assert reply.record["finish_reason"] == "cancelled"
    assert store.message(reply.id).content == reply.content


def test_regenerate_with_same_seed_reproduces_as_sibling(store: Store, smol_runtime: Runtime) -> None:
    conv = store.create_conversation()
    chat = Chat(store, smol_runtime)
    first = _run(chat.send(conv.id, "Invent a fruit and describe its taste.",
                           sampling=Sampling(temperature=0.9, max_tokens=40)))[-1].message
    seed = first.record["sampling"]["seed"]
    again = _run(chat.regenerate(first.id, sampling=Sampling.from_dict(first.record["sampling"])))[-1].message
    other = _run(chat.regenerate(first.id, sampling=Sampling(temperature=0.9, max_tokens=40, seed=seed + 1)))[-1].message
    assert again.content == first.content
    assert again.record["sampling"]["seed"] == seed
    assert other.content != first.content
    assert [m.id for m in store.siblings(first.id)] == [first.id, again.id, other.id]
    assert store.message(first.id).content == first.content  # nothing erased


def test_edit_creates_a_branch(store: Store, smol_runtime: Runtime) -> None:
    conv = store.create_conversation()
    chat = Chat(store, smol_runtime)
    s = Sampling(temperature=0, max_tokens=12)
    a = _run(chat.send(conv.id, "Say one word.", sampling=s))
    user1 = a[0].message
    b = _run(chat.edit(user1.id, "Say two words.", sampling=s))
    user2 = b[0].message
    assert user2.parent_id == user1.parent_id
    assert [m.id for m in store.thread(conv.id)][0] == user2.id
    assert {m.id for m in store.siblings(user1.id)} == {user1.id, user2.id}


def test_second_turn_evaluates_only_new_tokens(store: Store, smol_runtime: Runtime) -> None:
    conv = store.create_conversation(system_prompt="You are concise.")
    chat = Chat(store, smol_runtime)
    s = Sampling(temperature=0, max_tokens=24)
    _run(chat.send(conv.id, "Name a planet.", sampling=s))
    turn2 = _run(chat.send(conv.id, "Name another one.", sampling=s))[-1].message
    assert turn2.prompt_evaluated is not None
    assert turn2.prompt_evaluated < 20 < turn2.prompt_tokens


def test_context_overflow_drops_oldest_turns_and_reports(store: Store, smollm2_path: Path) -> None:
    with Runtime() as runtime:
        runtime.load(smollm2_path, n_ctx=512)
        conv = store.create_conversation(system_prompt="You are a helpful assistant.")
        chat = Chat(store, runtime)
        s = Sampling(temperature=0, max_tokens=64)
        filler = "Here is a fact about rivers: " + "water flows downhill to the sea. " * 12
        for _ in range(4):
            _run(chat.send(conv.id, filler, sampling=s))
        events = _run(chat.send(conv.id, "What did I tell you about?", sampling=s))
        trimmed = [e for e in events if isinstance(e, ContextTrimmed)]
        assert len(trimmed) == 1
        thread = store.thread(conv.id)
        dropped = trimmed[0].dropped_ids
        assert dropped and dropped == tuple(m.id for m in thread[:len(dropped)])  # the oldest, in order
        assert trimmed[0].dropped_tokens > 0
        started = next(e for e in events if isinstance(e, ReplyStarted))
        assert started.prompt_tokens + started.reserve <= 512
        assert events[-1].message.record["dropped"] == list(dropped)
        assert events[-1].message.status == "complete"


def test_refuse_policy_and_oversized_message(store: Store, smollm2_path: Path) -> None:
    with Runtime() as runtime:
        runtime.load(smollm2_path, n_ctx=512)
        chat = Chat(store, runtime)
        conv = store.create_conversation()
        huge = "word " * 2000
        with pytest.raises(errors.MessageTooLong) as info:
            _run(chat.send(conv.id, huge, sampling=Sampling(max_tokens=64)))
        assert "512" in str(info.value)
        saved = store.thread(conv.id)
        assert saved[-1].content == huge and saved[-1].status == "error"  # kept, never truncated
        strict = store.create_conversation(context_policy="refuse")
        _run(chat.send(strict.id, "ocean " * 240, sampling=Sampling(temperature=0, max_tokens=32)))
        with pytest.raises(errors.ContextFull):
            _run(chat.send(strict.id, "ocean " * 240, sampling=Sampling(temperature=0, max_tokens=32)))


def test_gemma_without_template_answers_sensibly(store: Store, gemma3_path: Path) -> None:
    with Runtime() as runtime:
        info = runtime.load(gemma3_path, n_ctx=1024)
        # no template and no fine-tune in its name: a base model, given a plain transcript
        assert info.template.name == "transcript"
        assert "base model" in info.template.fallback_reason and "gemma3" in info.template.fallback_reason
        assert gemma3_path.name in info.template.fallback_reason
        conv = store.create_conversation()
        reply = _run(Chat(store, runtime).send(conv.id, "What is the capital of France?",
                                               sampling=Sampling(temperature=0, max_tokens=32)))[-1].message
        assert "Paris" in reply.content
        assert "User:" not in reply.content  # the transcript's stop string ended the reply
        assert reply.status == "complete"


def test_worker_crash_marks_reply_interrupted_and_next_works(store: Store, smol_runtime: Runtime) -> None:
    conv = store.create_conversation()
    chat = Chat(store, smol_runtime)
    n = 0
    with pytest.raises(errors.ModelCrashed):
        for e in chat.send(conv.id, "Tell me a long story about a lighthouse.",
                           sampling=Sampling(temperature=0.8, seed=2, max_tokens=400)):
            if isinstance(e, Piece):
                n += 1
                if n == 5:
                    os.kill(smol_runtime.worker_pid, signal.SIGKILL)
    user, reply = store.thread(conv.id)
    assert user.status == "complete"
    assert reply.status == "interrupted" and reply.content and "stopped unexpectedly" in reply.error
    after = _run(chat.send(conv.id, "What is 2+2?", sampling=Sampling(temperature=0, max_tokens=8)))
    assert after[-1].message.status == "complete"


def test_kill_dash_nine_of_hearth_chat_loses_nothing(smollm2_path: Path, hearth_home: Path) -> None:
    db = hearth_home / "hearth.db"
    env = {**os.environ, "HEARTH_HOME": str(hearth_home)}
    base = [sys.executable, "-m", "desktop.cli.main", "chat", "--model", str(smollm2_path), "--ctx", "4096",
            "--temperature", "0", "--repeat-penalty", "1.0", "--max-tokens", "2000"]
    first = subprocess.run(base + ["--max-tokens", "16", "Hello!"], env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    for round_ in range(3):
        before = sqlite3.connect(db).execute("select id, content, status from messages order by id").fetchall()
        # a prompt SmolLM2 answers at length (greedy, so the same every time)
        proc = subprocess.Popen(base + ["Write a very long essay about the history of Rome."], env=env,
                                stdout=subprocess.DEVNULL, stderr=open(hearth_home / "cli.err", "w"))
        newest = max(mid for mid, _, _ in before)
        deadline = time.monotonic() + 60
        partial = ""
        while time.monotonic() < deadline and len(partial) < 40:
            row = sqlite3.connect(db).execute(
                "select content from messages where role='assistant' and status='streaming' and id > ?",
                (newest,)).fetchone()
            partial = row[0] if row and row[0] else ""
            time.sleep(0.05)
        assert len(partial) >= 40, (proc.poll(), (hearth_home / "cli.err").read_text()[-3000:])
        proc.kill()
        proc.wait()
        store = Store(db)
        assert store.integrity_check() == "ok"
        for mid, content, status in before:  # every earlier message is intact
            kept = store.message(mid)
            assert (kept.content, kept.status) == (content, status)
        user, reply = store.thread(store.conversations()[0].id)
        assert user.content.startswith("Write a very long essay") and user.status == "complete"
        assert reply.status == "interrupted"
        assert reply.content.startswith(partial)
        store.close()
