"""What the person does to whole conversations: rename, delete (with undo), restore, search, export,
use one's settings for new chats.

``ConversationActions`` is owned by the main window: it runs each action on
the database thread it is given and tells the window by signals, which
updates what it shows. Strings are translated in the main window's context
("MainWindow").
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from engine import Conversation, Sampling
from engine.store import export

from desktop.background.database import DbThread
from desktop.main.conversation_list import ConversationList
from desktop.main.settings_panel import SettingsPanel
from desktop.prefs import Prefs
from desktop.main.status_bar import StatusBar


class ConversationActions(QObject):
    """Rename, delete, restore, search and export, from the conversation list and the File menu."""

    renamed = Signal(object)      # the Conversation, stored with its new title
    deleted = Signal(int)         # a conversation was deleted (its undo is offered)
    restored = Signal(int)        # a deleted conversation is back
    list_changed = Signal()       # the conversation list must be read again

    def __init__(self, *, window: QWidget, conversations: ConversationList, db: DbThread, status: StatusBar,
                 settings: SettingsPanel, prefs: Prefs, show_error: Callable[[object], Any],
                 replying_in: Callable[[int], bool]) -> None:
        """``window``: the parent of the file dialog; ``replying_in(id)``: a reply is being written there."""
        super().__init__(window)
        self.dialog_parent, self.conversations, self.db, self.status = window, conversations, db, status
        self.settings, self.prefs = settings, prefs
        self._show_error, self._replying_in = show_error, replying_in

    def rename(self, conversation_id: int, title: str) -> None:
        self.db.submit(lambda store: store.update_conversation(conversation_id, title=title), self.renamed.emit,
                       self._show_error)

    def delete(self, conversation_id: int) -> None:
        if self._replying_in(conversation_id):
            self.status.showMessage(
                QCoreApplication.translate("MainWindow", "Stop the reply before deleting this conversation."), 5000)
            return

        def work(store: Any) -> Conversation:
            conv = store.conversation(conversation_id)
            store.delete_conversation(conversation_id)
            return conv

        def done(conv: Conversation) -> None:
            self.conversations.show_undo(conv.id, conv.title)
            self.deleted.emit(conv.id)
        self.db.submit(work, done, self._show_error)

    def restore(self, conversation_id: int) -> None:
        self.db.submit(lambda store: store.restore_conversation(conversation_id),
                       lambda _none: self.restored.emit(conversation_id), self._show_error)

    def search(self, query: str) -> None:
        if not query:
            self.list_changed.emit()
            return
        self.db.submit(lambda store: store.search(query),
                       lambda hits: self.conversations.set_search_results(query, hits), self._show_error)

    def clear_search(self) -> None:
        """Empty the search box without searching (the list shows every conversation again)."""
        box = self.conversations.search_box
        if box.text():
            box.blockSignals(True)
            box.clear()
            box.blockSignals(False)

    def export(self, conv: Conversation | None) -> None:
        """Save ``conv``'s current branch as Markdown, or all of it as JSON: the dialog's filter (or the
        name's ending) chooses."""
        if conv is None:
            return
        markdown = QCoreApplication.translate("MainWindow", "Markdown (*.md)")
        json_filter = QCoreApplication.translate("MainWindow", "JSON, every branch (*.json)")
        path, chosen = QFileDialog.getSaveFileName(
            self.dialog_parent, QCoreApplication.translate("MainWindow", "Export conversation"),
            str(Path.home() / export.file_name(conv.title, ".md")), ";;".join((markdown, json_filter)), markdown)
        if not path:
            return
        as_json = chosen == json_filter or path.lower().endswith(".json")
        suffix = ".json" if as_json else ".md"
        if Path(path).suffix.lower() in (".md", ".json"):   # the default name's ".md" follows the chosen format
            path = str(Path(path).with_suffix(suffix))
        elif not path.lower().endswith(suffix):
            path += suffix
        saved = QCoreApplication.translate("MainWindow", "Saved %1").replace("%1", path)

        def work(store: Any) -> None:
            text = json.dumps(store.export_json(conv.id), ensure_ascii=False, indent=2) if as_json else \
                store.export_markdown(conv.id)
            Path(path).write_text(text, encoding="utf-8")
        self.db.submit(work, lambda _n: self.status.showMessage(saved, 5000), self._show_error)

    def use_as_defaults(self, conv: Conversation | None) -> None:
        """New chats start with ``conv``'s model, context, system prompt and sampling."""
        if conv is None:
            return
        conv = replace(conv, **self.settings.current(conv.id))   # edits not stored yet included
        self.settings.flush()
        self.prefs.default_sampling = Sampling.from_dict(conv.sampling).to_dict()
        self.prefs.default_system_prompt = conv.system_prompt
        self.prefs.default_ctx_size = conv.ctx_size
        if conv.model_path:
            self.prefs.default_model = conv.model_path
        self.status.showMessage(
            QCoreApplication.translate("MainWindow", "New chats will start with these settings."), 5000)
