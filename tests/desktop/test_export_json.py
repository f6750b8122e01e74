"""File → Export chat… in the real window: Markdown or JSON as the save dialog's filter says, a clean
default file name, and a stopped reply marked as stopped in the saved file.

The save dialog is the one thing replaced: it records what the window offered and answers as the person
would (a path, and the filter they picked).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QFileDialog

from engine import Store, paths
from tests.window_helpers import close_app, make_app, wait_database


@pytest.fixture
def stopped_chat() -> int:
    """A conversation titled "Read these lines." whose reply the person stopped."""
    with Store(paths().database) as store:
        conv = store.create_conversation(title="Read these lines.")
        asked = store.add_message(conv.id, "user", "Read these lines: one, two.", parent_id=None)
        store.add_message(conv.id, "assistant", "One, t", parent_id=asked.id, status="interrupted")
        return conv.id


class SaveDialog:
    """Stands in for QFileDialog.getSaveFileName."""

    def __init__(self, answer: Path, pick: str) -> None:
        self.answer, self.pick, self.calls = answer, pick, []

    def __call__(self, parent: Any, caption: str, directory: str, filters: str, selected: str = "") -> tuple[str, str]:
        self.calls.append((caption, directory, filters, selected))
        chosen = next(f for f in filters.split(";;") if self.pick in f)
        return str(self.answer), chosen


def _export(qtbot: Any, monkeypatch: pytest.MonkeyPatch, conversation_id: int, answer: Path, pick: str,
            saved: Path) -> SaveDialog:
    dialog = SaveDialog(answer, pick)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    app = make_app(qtbot, None)
    try:
        app.window.open_conversation(conversation_id)
        wait_database(qtbot, app)
        assert app.window.conversation is not None and app.window.conversation.id == conversation_id
        app.window.menus.export.trigger()
        qtbot.waitUntil(saved.exists, timeout=10_000)
        wait_database(qtbot, app)
        assert str(saved) in app.window.statusBar().currentMessage()
    finally:
        close_app(app)
    return dialog


def test_export_offers_json_and_writes_it(qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                          stopped_chat: int) -> None:
    # The person keeps the suggested name and picks the JSON filter: the file is JSON, named .json.
    dialog = _export(qtbot, monkeypatch, stopped_chat, tmp_path / "Read these lines.md", "JSON",
                     tmp_path / "Read these lines.json")
    (_caption, directory, filters, selected), = dialog.calls
    assert Path(directory).name == "Read these lines.md"
    assert "*.md" in filters and "*.json" in filters and "*.md" in selected
    assert not (tmp_path / "Read these lines.md").exists()
    data = json.loads((tmp_path / "Read these lines.json").read_text(encoding="utf-8"))
    assert data["format"] == "hearth.conversation" and data["conversation"]["title"] == "Read these lines."
    reply = data["messages"][-1]
    assert reply["content"] == "One, t" and reply["status"] == "interrupted" and reply["stopped"] is True


def test_export_as_markdown_marks_the_stopped_reply(qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                    stopped_chat: int) -> None:
    target = tmp_path / "lines"   # typed without an ending: Markdown, the default filter, adds ".md"
    _export(qtbot, monkeypatch, stopped_chat, target, "Markdown", tmp_path / "lines.md")
    md = (tmp_path / "lines.md").read_text(encoding="utf-8")
    assert md.startswith("# Read these lines.\n")
    assert md.index("One, t") < md.index("*(stopped before the end)*")
