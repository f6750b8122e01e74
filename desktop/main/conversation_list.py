"""The left column: conversations newest first, full-text search, new / rename / delete with undo.

The list only shows what it is given; the main window fetches conversations
and search hits on the database thread and hands them over.
"""
from __future__ import annotations

from PySide6.QtCore import QDateTime, QEvent, QLocale, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QMenu,
                               QPushButton, QToolButton, QVBoxLayout, QWidget)

from engine import Conversation
from engine.store.records import SearchHit

from desktop.plain import plain_label, visible

ID_ROLE = Qt.ItemDataRole.UserRole
MESSAGE_ROLE = Qt.ItemDataRole.UserRole + 1
UNTITLED_ROLE = Qt.ItemDataRole.UserRole + 2   # a chat with no title yet: the "New chat" label it was given
SEARCH_DEBOUNCE_MS = 250
UNDO_SECONDS = 12


class ConversationList(QWidget):
    new_requested = Signal()
    selected = Signal(int)                 # conversation id
    message_selected = Signal(int, int)    # conversation id, message id (a search hit)
    rename_requested = Signal(int, str)
    delete_requested = Signal(int)
    undo_delete = Signal(int)
    search_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search_box = QLineEdit()
        self.search_box.setObjectName("searchBox")
        self.search_box.setClearButtonEnabled(True)
        self.new_button = QPushButton()
        self.new_button.setObjectName("newChat")
        self.list = QListWidget()
        self.list.setObjectName("conversationList")
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.setEditTriggers(QListWidget.EditTrigger.EditKeyPressed | QListWidget.EditTrigger.DoubleClicked)
        self.list.setWordWrap(True)
        self.results_label = plain_label(QLabel())
        self.results_label.setObjectName("searchResultsLabel")
        self.results_label.setVisible(False)
        self.undo_label = plain_label(QLabel())
        self.undo_label.setWordWrap(True)
        self.undo_button = QToolButton()
        self.undo_button.setObjectName("undoDelete")
        self.undo_bar = QFrame()
        self.undo_bar.setObjectName("undoBar")
        self.undo_bar.setFrameShape(QFrame.Shape.StyledPanel)
        undo_layout = QHBoxLayout(self.undo_bar)
        undo_layout.setContentsMargins(6, 4, 6, 4)
        undo_layout.addWidget(self.undo_label, 1)
        undo_layout.addWidget(self.undo_button)
        self.undo_bar.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 4, 8)
        layout.addWidget(self.new_button)
        layout.addWidget(self.search_box)
        layout.addWidget(self.results_label)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.undo_bar)

        self.rename_action = QAction(self)
        self.rename_action.setShortcut(QKeySequence(Qt.Key.Key_F2))
        self.rename_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.rename_action.triggered.connect(self.start_rename)
        self.delete_action = QAction(self)
        self.delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.delete_action.triggered.connect(self.delete_current)
        self.list.addActions([self.rename_action, self.delete_action])

        self._filling = False
        self._search_mode = False
        self._results: tuple[str, int] | None = None   # the shown search: its words and how many messages match
        self._undo_id: int | None = None
        self._undo_timer = QTimer(self)
        self._undo_timer.setSingleShot(True)
        self._undo_timer.timeout.connect(lambda: self.undo_bar.setVisible(False))
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(lambda: self.search_changed.emit(self.search_box.text().strip()))
        self.search_box.textChanged.connect(self._debounce.start)
        self.new_button.clicked.connect(self.new_requested)
        self.list.currentItemChanged.connect(self._current_changed)
        self.list.itemChanged.connect(self._item_edited)
        self.list.customContextMenuRequested.connect(self._menu)
        self.undo_button.clicked.connect(self._undo)
        self.retranslate()

    # --- contents --------------------------------------------------------------------
    @property
    def search_mode(self) -> bool:
        return self._search_mode

    def focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    def current_id(self) -> int | None:
        item = self.list.currentItem()
        return int(item.data(ID_ROLE)) if item is not None else None

    def set_conversations(self, conversations: list[Conversation], current: int | None) -> None:
        self._search_mode = False
        self._results = None
        self.results_label.setVisible(False)
        self._filling = True
        self.list.clear()
        for conv in conversations:
            item = QListWidgetItem(visible(conv.title) or self.tr("New chat"))
            item.setData(ID_ROLE, conv.id)
            item.setData(UNTITLED_ROLE, "" if visible(conv.title) else item.text())   # "New chat", as shown
            item.setToolTip(self._when(conv.updated_at))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.list.addItem(item)
            if conv.id == current:
                self.list.setCurrentItem(item)
        self._filling = False

    def set_search_results(self, query: str, hits: list[SearchHit]) -> None:
        self._search_mode = True
        self._filling = True
        self.list.clear()
        for hit in hits:
            title = visible(hit.conversation_title) or self.tr("New chat")
            item = QListWidgetItem(f"{title}\n{visible(hit.snippet, newlines=True)}")
            item.setData(ID_ROLE, hit.conversation_id)
            item.setData(MESSAGE_ROLE, hit.message_id)
            self.list.addItem(item)
        self._filling = False
        self._results = (query, len(hits))
        self._show_results_count()
        self.results_label.setVisible(True)

    def _show_results_count(self) -> None:
        """'5 messages match' in the current language (again on a language change)."""
        if self._results is None:
            return
        query, count = self._results
        self.results_label.setText(self.tr("%n message(s) match", "", count) if count
                                   else self.tr("Nothing matches “%1”").replace("%1", visible(query)))

    def select(self, conversation_id: int | None) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(ID_ROLE) == conversation_id and item.data(MESSAGE_ROLE) is None:
                self._filling = True
                self.list.setCurrentItem(item)
                self._filling = False
                return

    def _when(self, timestamp: float) -> str:
        return QLocale().toString(QDateTime.fromSecsSinceEpoch(int(timestamp)), QLocale.FormatType.ShortFormat)

    # --- actions ---------------------------------------------------------------------
    def _current_changed(self, item: QListWidgetItem | None, _previous: object) -> None:
        if self._filling or item is None:
            return
        message_id = item.data(MESSAGE_ROLE)
        if message_id is not None:
            self.message_selected.emit(int(item.data(ID_ROLE)), int(message_id))
        else:
            self.selected.emit(int(item.data(ID_ROLE)))

    def start_rename(self) -> None:
        item = self.list.currentItem()
        if item is not None and not self._search_mode:
            self.list.editItem(item)

    def _item_edited(self, item: QListWidgetItem) -> None:
        if self._filling or self._search_mode:
            return
        title = " ".join(item.text().split())
        if title:
            self.rename_requested.emit(int(item.data(ID_ROLE)), title)

    def delete_current(self) -> None:
        conversation_id = self.current_id()
        if conversation_id is not None and not self._search_mode:
            self.delete_requested.emit(conversation_id)

    def show_undo(self, conversation_id: int, title: str) -> None:
        self._undo_id = conversation_id
        self.undo_label.setText(self.tr("Deleted “%1”.").replace("%1", visible(title) or self.tr("New chat")))
        self.undo_bar.setVisible(True)
        self._undo_timer.start(UNDO_SECONDS * 1000)

    def _undo(self) -> None:
        if self._undo_id is not None:
            self.undo_delete.emit(self._undo_id)
        self._undo_id = None
        self.undo_bar.setVisible(False)

    def _menu(self, pos: object) -> None:
        if self.list.itemAt(pos) is None or self._search_mode:  # type: ignore[arg-type]
            return
        menu = QMenu(self)
        menu.addAction(self.rename_action)
        menu.addAction(self.delete_action)
        menu.exec(self.list.viewport().mapToGlobal(pos))  # type: ignore[arg-type]

    def retranslate(self) -> None:
        self.search_box.setPlaceholderText(self.tr("Search all chats (Ctrl+F)"))
        self.new_button.setText(self.tr("New chat"))
        self.new_button.setToolTip(self.tr("Start a new conversation (Ctrl+N)"))
        self.rename_action.setText(self.tr("Rename"))
        self.delete_action.setText(self.tr("Delete"))
        self.undo_button.setText(self.tr("Undo"))
        self._show_results_count()
        self._filling = True   # relabelling untitled chats is no rename
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(UNTITLED_ROLE) and item.text() == item.data(UNTITLED_ROLE):   # not renamed since
                item.setText(self.tr("New chat"))
                item.setData(UNTITLED_ROLE, item.text())
        self._filling = False

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
