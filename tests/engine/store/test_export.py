"""Exports mark a stopped reply as stopped, and a conversation's title gives a clean file name."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.store import Store
from engine.store.export import file_name


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "hearth.db") as opened:
        yield opened


def test_a_stopped_reply_is_marked_stopped_in_markdown_and_json(store: Store) -> None:
    conv = store.create_conversation(title="Kettles")
    asked = store.add_message(conv.id, "user", "Tell me about kettles.", parent_id=None)
    stopped = store.add_message(conv.id, "assistant", "Kettles were first", parent_id=asked.id,
                                status="interrupted")
    again = store.add_message(conv.id, "user", "Go on.", parent_id=stopped.id)
    whole = store.add_message(conv.id, "assistant", "They boil water.", parent_id=again.id)
    md = store.export_markdown(conv.id)
    assert md.count("*(stopped before the end)*") == 1
    assert md.index("Kettles were first") < md.index("*(stopped before the end)*") < md.index("Go on.")
    data = json.loads(json.dumps(store.export_json(conv.id)))
    marks = {m["id"]: (m["status"], m["stopped"]) for m in data["messages"]}
    assert marks == {asked.id: ("complete", False), stopped.id: ("interrupted", True),
                     again.id: ("complete", False), whole.id: ("complete", False)}


def test_a_reply_cut_by_a_crash_says_why(store: Store) -> None:
    conv = store.create_conversation()
    asked = store.add_message(conv.id, "user", "Hi", parent_id=None)
    store.add_message(conv.id, "assistant", "Hel", parent_id=asked.id, status="interrupted",
                      error="The model's process stopped.")
    assert "*(stopped before the end: The model's process stopped.)*" in store.export_markdown(conv.id)


@pytest.mark.parametrize(("title", "name"), [
    ("Read these lines.", "Read these lines.md"),
    ("Explain these lines...", "Explain these lines.md"),
    ("Summarize this…", "Summarize this.md"),
    ("翻译这段话。", "翻译这段话.md"),
    ("a/b\\c: what? <now> | \"x\" *", "a b c what now x.md"),
    ("tabs\tand\nnew lines\u202e\x1b[2J", "tabs and new lines [2J.md"),
    (".hidden", "hidden.md"),
    ("...", "chat.md"),
    ("", "chat.md"),
    ("   ", "chat.md"),
])
def test_file_names_are_clean(title: str, name: str) -> None:
    assert file_name(title, ".md") == name


def test_long_titles_are_cut_and_json_gets_its_own_suffix() -> None:
    assert file_name("word " * 40, ".json") == ("word " * 16).strip() + ".json"
    assert len(file_name("x" * 500, ".md")) == 80 + len(".md")
