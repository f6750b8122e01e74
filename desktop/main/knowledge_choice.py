"""The settings panel's "Knowledge" group: which collections a conversation answers from.

One checkbox per collection, and "Answer only from documents". The list and
the conversation's choice are read through the database thread (on showing
a conversation, when the panel is shown, and when ``refresh()`` is called
because collections changed); a click saves the choice at once with
``engine.knowledge.collections.use_collections`` and emits ``changed`` once it is
stored. With no collections a hint says where to make one.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Protocol

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QVBoxLayout, QWidget

from engine.knowledge import collections as library
from engine.knowledge.collections import Collection

from desktop.plain import tip, visible

log = logging.getLogger(__name__)


class Submitter(Protocol):
    """The database thread (desktop.background.jobs.DbThread): runs ``work(store)``, calls back on the GUI thread."""

    def submit(self, work: Callable[[Any], Any], on_result: Callable[[Any], None] | None = ...,
               on_error: Callable[[Any], None] | None = ...) -> None: ...


def _read(store: Any, conversation_id: int | None) -> tuple[list[Collection], set[int], bool]:
    """Every collection, the ones the conversation uses, and its documents-only flag (database thread)."""
    conn = store.conn
    collections = library.all_collections(conn)
    if conversation_id is None:
        return collections, set(), False
    chosen = {c.id for c in library.conversation_collections(conn, conversation_id)}
    return collections, chosen, library.documents_only(conn, conversation_id)


class KnowledgeChoice(QWidget):
    """Checkboxes of the collections for one conversation; saves what the person ticks."""

    changed = Signal()   # a new choice was stored

    def __init__(self, db: Submitter | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self._conversation_id: int | None = None
        self._collections: list[Collection] = []
        self._boxes: dict[int, QCheckBox] = {}
        self._edits = 0       # bumped by every save: a read that started before it is stale
        self.hint = QLabel(objectName="knowledgeHint", wordWrap=True)
        self.only = QCheckBox(objectName="documentsOnly", toggled=self._only_toggled)
        self._list = QVBoxLayout()
        self._list.setContentsMargins(0, 0, 0, 0)
        self._list.setSpacing(2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(self._list)
        layout.addWidget(self.hint)
        layout.addWidget(self.only)
        self._update()
        self.retranslate()

    # --- public API ----------------------------------------------------------------
    def show_conversation(self, conversation_id: int | None) -> None:
        self._conversation_id = conversation_id
        self.refresh()

    def refresh(self) -> None:
        """Read the collections and the conversation's choice again (e.g. after collections changed)."""
        if self.db is None:
            return
        wanted, edits = self._conversation_id, self._edits

        def done(result: tuple[list[Collection], set[int], bool]) -> None:
            if wanted != self._conversation_id:
                return
            if edits != self._edits:   # a save was queued after this read: read again after it
                self.refresh()
                return
            self._show(*result)
        self.db.submit(lambda store: _read(store, wanted), done, lambda exc: log.warning("collections: %s", exc))

    def chosen_ids(self) -> list[int]:
        return sorted(cid for cid, box in self._boxes.items() if box.isChecked())

    def uses_knowledge(self) -> bool:
        return bool(self.chosen_ids())

    def boxes(self) -> dict[str, QCheckBox]:
        """The checkboxes by collection name."""
        names = {c.id: c.name for c in self._collections}
        return {names[cid]: box for cid, box in self._boxes.items()}

    # --- showing -------------------------------------------------------------------
    def _show(self, collections: list[Collection], chosen: set[int], only: bool) -> None:
        if collections == self._collections and chosen == set(self.chosen_ids()) and only == self.only.isChecked():
            return  # nothing changed (statuses arrive every few seconds while a collection indexes)
        for box in self._boxes.values():
            self._list.removeWidget(box)
            box.deleteLater()
        self._boxes = {}
        self._collections = collections
        for coll in collections:
            box = QCheckBox(visible(coll.name), objectName="collectionBox")
            box.setChecked(coll.id in chosen)
            box.toggled.connect(self._save)
            self._list.addWidget(box)
            self._boxes[coll.id] = box
        self.only.blockSignals(True)
        self.only.setChecked(only)
        self.only.blockSignals(False)
        self._update()
        self.retranslate()

    def _update(self) -> None:
        self.hint.setVisible(not self._boxes)
        self.only.setVisible(bool(self._boxes))
        self.only.setEnabled(self.uses_knowledge())

    # --- saving --------------------------------------------------------------------
    def _only_toggled(self, _on: bool) -> None:
        self._save()

    def _save(self) -> None:
        conversation_id = self._conversation_id
        if self.db is None or conversation_id is None:
            return
        self._edits += 1
        self._update()
        ids, only = self.chosen_ids(), self.only.isChecked()

        def work(store: Any) -> None:
            library.use_collections(store.conn, conversation_id, ids, documents_only=only)

        def failed(exc: object) -> None:
            log.warning("could not save the conversation's collections: %s", exc)
            self.refresh()
        self.db.submit(work, lambda _none: self.changed.emit(), failed)

    # --- text ----------------------------------------------------------------------
    def retranslate(self) -> None:
        self.hint.setText(self.tr("No collections yet. Create one in File → Knowledge…"))
        self.only.setText(self.tr("Answer only from documents"))
        self.only.setToolTip(self.tr(
            "When the documents hold nothing relevant, say so instead of answering from the model's memory."))
        for coll in self._collections:
            box = self._boxes.get(coll.id)
            if box is None:
                continue
            where = "\n".join(coll.sources) or self.tr("No folders or files added yet.")
            box.setToolTip(tip(where if coll.embed_dim else
                               self.tr("Not indexed yet: index it in File → Knowledge….") + "\n" + where))
        self.setToolTip(self.tr("Replies search the ticked collections and cite what they use."))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
