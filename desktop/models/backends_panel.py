"""The model manager's "Backends" tab: remote servers (llama-server, vLLM, Ollama…) Hearth chats through.

A table of the home's backends in failover order (name, kind, address, model, context, whether a key is
set: never the key) and Add…, Edit…, Test connection, Remove. The database is read and written on the
window's database thread (``db.submit``); the keychain is asked there too, next to the row it belongs
to. Connection tests and model lists go to the server on the panel's own network thread, so a slow or
dead server never blocks the window. ``changed`` is emitted after every add, edit and removal.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QMessageBox, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from engine import Store
from engine.remote import Backend, Backends, test_connection
from engine.remote import keys

from desktop.background.database import DbThread
from desktop.background.jobs import WorkThread
from desktop.models.backend_dialog import BackendDialog, BackendEdit
from desktop.models.backend_texts import error_text, report_text
from desktop.plain import plain_box, plain_label, tip, visible

COLUMNS = 6   # name, kind, address, model, context, key
KINDS = {"llama-server": "llama-server", "vllm": "vLLM", "sglang": "SGLang", "ollama": "Ollama",
         "lmstudio": "LM Studio", "openai-compatible": "OpenAI-compatible"}   # product names: not translated


@dataclass(frozen=True)
class BackendRow:
    """One backend as listed: the record without its key, and whether one is set."""

    backend: Backend
    key_set: bool


def list_rows(store: Store) -> list[BackendRow]:
    """The backends in failover order, each with whether its key is set (database thread)."""
    backends = Backends(store)
    return [BackendRow(b, backends.key_is_set(b.name)) for b in backends.list(with_keys=False)]


def save_backend(store: Store, edit: BackendEdit) -> bool:
    """Store what the form asked for (database thread); True when the key, if any, is in the keychain,
    False when it is kept for this session only. A renamed backend keeps its key and its place's data."""
    backends = Backends(store)
    backend = edit.backend
    if edit.key_action == "keep" and edit.original is not None:
        backend = backend.with_key(keys.get_key(str(store.path.parent), edit.original))
    elif edit.key_action == "remove":
        backend = backend.with_key(None)
    if edit.original is not None and edit.original != backend.name:
        in_keychain = backends.add(backend)   # refused when the new name is taken: nothing changes then
        backends.remove(edit.original)
        return in_keychain
    return backends.add(backend, replace=edit.original is not None)


class BackendsPanel(QWidget):
    """The tab; ``changed`` after each add, edit or removal (the chat's model picker lists backends)."""

    changed = Signal()

    def __init__(self, db: DbThread, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backendsPanel")
        self.db = db
        self.net = WorkThread("hearth-backends")
        self.rows: list[BackendRow] = []
        self.dialog: BackendDialog | None = None
        self.intro = plain_label(QLabel(objectName="backendsIntro"))
        self.intro.setWordWrap(True)
        self.table = QTableWidget(0, COLUMNS)
        self.table.setObjectName("backendsTable")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self.edit_selected())
        self.add_button = QPushButton(objectName="addBackend")
        self.edit_button = QPushButton(objectName="editBackend")
        self.test_button = QPushButton(objectName="testBackend")
        self.remove_button = QPushButton(objectName="removeBackend")
        self.add_button.clicked.connect(lambda: self.open_dialog(None))
        self.edit_button.clicked.connect(lambda: self.edit_selected())
        self.test_button.clicked.connect(lambda: self.test_selected())
        self.remove_button.clicked.connect(lambda: self.remove_selected())
        self.status = plain_label(QLabel(objectName="backendsStatus"))   # test results, errors, notes
        self.status.setWordWrap(True)
        self.status.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.status.setMinimumHeight(self.fontMetrics().lineSpacing() * 6)   # a test's report, warnings included
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.test_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.retranslate()
        self._update_buttons()
        self.refresh()

    # --- the list --------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.db.submit(list_rows, self._show_rows, lambda exc: self.status.setText(error_text(exc)))

    def _show_rows(self, rows: list[BackendRow]) -> None:
        chosen = self.selected()
        self.rows = rows
        self.table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            b = row.backend
            context = (self.tr("%1 tokens").replace("%1", f"{b.context_window:,}") if b.context_window
                       else self.tr("from the server"))
            cells = (visible(b.name), KINDS.get(b.preset, b.preset), visible(b.base_url), visible(b.model or "") or self.tr("(the first)"),
                     context, self.tr("key set") if row.key_set else self.tr("no key"))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(tip(text))
                self.table.setItem(index, column, item)
            if b.name == chosen:
                self.table.selectRow(index)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self._update_buttons()

    def selected(self) -> str | None:
        row = self.table.currentRow()
        if not self.table.selectedItems() or not 0 <= row < len(self.rows):
            return None
        return self.rows[row].backend.name

    def select(self, name: str) -> None:
        for index, row in enumerate(self.rows):
            if row.backend.name == name:
                self.table.selectRow(index)

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None
        for button in (self.edit_button, self.test_button, self.remove_button):
            button.setEnabled(chosen)

    # --- add and edit ------------------------------------------------------------------------------
    def edit_selected(self) -> None:
        name = self.selected()
        if name is not None:   # the stored key comes along for "List models"; the form never shows it
            self.db.submit(lambda store: Backends(store).get(name), self.open_dialog, self._failed)

    def open_dialog(self, backend: Backend | None) -> BackendDialog:
        dialog = BackendDialog(self.net, backend, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)   # with the stored key it held for "List models"
        dialog.accepted.connect(lambda: self._save(dialog.result_backend()))
        dialog.finished.connect(lambda _result: self._forget(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _forget(self, dialog: BackendDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def _save(self, edit: BackendEdit) -> None:
        def saved(in_keychain: bool) -> None:
            name = edit.backend.name
            if not in_keychain:
                self.status.setText(self.tr("Saved %1. This computer has no keychain: its key is kept only until "
                                            "Hearth quits; enter it again next time.").replace("%1", visible(name)))
            else:
                self.status.setText(self.tr("Saved %1.").replace("%1", visible(name)))
            self.db.submit(list_rows, lambda rows: (self._show_rows(rows), self.select(name)), self._failed)
            self.changed.emit()
        self.db.submit(lambda store: save_backend(store, edit), saved, self._failed)

    # --- test and remove ------------------------------------------------------------------------------
    def test_selected(self) -> None:
        name = self.selected()
        if name is None:
            return
        self.status.setText(self.tr("Testing %1…").replace("%1", visible(name)))
        self.test_button.setEnabled(False)
        # the record (with its key) is read on the database thread, then the server is asked on the network one
        self.db.submit(lambda store: Backends(store).get(name),
                       lambda backend: self.net.submit(lambda: test_connection(backend), self._tested, self._test_failed),
                       self._test_failed)

    def _tested(self, report: object) -> None:
        self._update_buttons()
        self.status.setText(report_text(report))   # type: ignore[arg-type]

    def _test_failed(self, exc: object) -> None:
        self._update_buttons()
        self.status.setText(error_text(exc))

    def remove_selected(self, *, confirm: bool = True) -> None:
        name = self.selected()
        if name is None:
            return
        if confirm:
            text = self.tr("Remove the backend %1 and its API key? Conversations that use its model keep their "
                           "messages.").replace("%1", visible(name))
            box = QMessageBox(QMessageBox.Icon.Question, self.tr("Remove backend"), text,
                              QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
            plain_box(box)
            box.setObjectName("confirmRemoveBackend")
            box.accepted.connect(lambda: self.remove_selected(confirm=False))
            box.open()
            return

        def removed(_none: object) -> None:
            self.status.setText(self.tr("Removed %1.").replace("%1", visible(name)))
            self.refresh()
            self.changed.emit()
        self.db.submit(lambda store: Backends(store).remove(name), removed, self._failed)

    def _failed(self, exc: object) -> None:
        self.status.setText(error_text(exc))
        self.refresh()

    # --- the rest ------------------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.intro.setText(self.tr("Servers on this or another computer that run models for Hearth: llama-server, "
                                   "vLLM, SGLang, Ollama, LM Studio or any OpenAI-compatible API. Their models "
                                   "appear in the chat's model picker; when several serve the same model, the "
                                   "first that answers is used, in this order. Keys are kept in the system's "
                                   "keychain."))
        self.table.setHorizontalHeaderLabels([self.tr("Name"), self.tr("Kind"), self.tr("Address"), self.tr("Model"),
                                              self.tr("Context"), self.tr("API key")])
        self.add_button.setText(self.tr("Add…"))
        self.edit_button.setText(self.tr("Edit…"))
        self.test_button.setText(self.tr("Test connection"))
        self.remove_button.setText(self.tr("Remove"))
        if self.rows:
            self._show_rows(self.rows)
        if self.dialog is not None:
            self.dialog.retranslate()

    def shutdown(self) -> None:
        self.net.stop(timeout=5)
