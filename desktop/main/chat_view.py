"""The centre column: one conversation's current branch, streaming replies included.

``load_thread`` runs on the database thread and returns a ``ThreadData``;
``ChatView.show_thread`` turns it into widgets, reusing those whose message
is unchanged. While a reply streams, pieces are buffered and the reply is
re-rendered on a timer (at most ~30 times a second), never per token, and
the view sticks to the bottom only if the user has not scrolled up.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from engine import Conversation, Message, Store

from desktop.main.attachment_view import attachment_thumbnail
from desktop.main.message_widget import MessageWidget, ThreadItem

RENDER_INTERVAL_MS = 33


@dataclass(frozen=True)
class ThreadData:
    conversation: Conversation
    items: tuple[ThreadItem, ...]


def first_words(text: str, limit: int = 40) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def load_thread(store: Store, conversation_id: int) -> ThreadData:
    """The conversation's current branch with sibling ids, dropped-turn summaries and the user's attachments
    (database thread; image thumbnails are decoded here, not on the GUI thread)."""
    conversation = store.conversation(conversation_id)
    thread = store.thread(conversation_id)
    by_id = {m.id: m for m in thread}
    parents = [m.parent_id for m in thread]
    children = store.children(conversation_id)
    attached = store.attachments_of([m.id for m in thread if m.role == "user"])
    items = []
    for message, parent in zip(thread, parents):
        dropped_ids = (message.record.get("dropped") or []) if message.role == "assistant" else []
        dropped = tuple(first_words(by_id[i].content) for i in dropped_ids if i in by_id)
        attachments = tuple(attached.get(message.id, ()))
        for attachment in attachments:
            attachment_thumbnail(attachment)
        items.append(ThreadItem(message, tuple(children.get(parent, [message.id])), dropped, attachments))
    return ThreadData(conversation, tuple(items))


@dataclass
class LiveReply:
    """A reply being written: what has arrived so far."""

    conversation_id: int
    message: Message
    answer: str = ""
    reasoning: str = ""
    dirty: bool = field(default=False, repr=False)


class ChatView(QScrollArea):
    """Messages of the shown conversation, newest at the bottom."""

    regenerate = Signal(int)
    edit_submitted = Signal(int, str)
    sibling_selected = Signal(int)
    reload_model = Signal()
    raise_context = Signal(int, int)   # reply id, context: a sources notice's "Use N tokens and answer again"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatView")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._column = QWidget()
        self._column.setObjectName("chatColumn")
        self._layout = QVBoxLayout(self._column)
        self._layout.setContentsMargins(16, 12, 16, 12)
        self._layout.setSpacing(6)
        self._empty = QLabel()
        self._empty.setObjectName("emptyConversation")
        self._empty.setWordWrap(True)
        self._layout.addWidget(self._empty)
        self._layout.addStretch(1)
        self.setWidget(self._column)
        self._widgets: list[MessageWidget] = []
        self.conversation_id: int | None = None
        self._model_name = ""
        self._busy = False
        self._live: LiveReply | None = None
        self._stick = True
        self._timer = QTimer(self)
        self._timer.setInterval(RENDER_INTERVAL_MS)
        self._timer.timeout.connect(self._render_live)
        self.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.verticalScrollBar().rangeChanged.connect(self._range_changed)
        self.retranslate()

    # --- what is shown -------------------------------------------------------------
    def widgets(self) -> list[MessageWidget]:
        return list(self._widgets)

    def set_model_name(self, name: str) -> None:
        self._model_name = name

    def clear(self) -> None:
        self.conversation_id = None
        self._set_items([])

    def show_thread(self, data: ThreadData, *, live: LiveReply | None = None) -> None:
        """Show a conversation's branch; a live reply in it overrides its stored text."""
        switching = data.conversation.id != self.conversation_id
        self.conversation_id = data.conversation.id
        self._live = live if live is not None and live.conversation_id == data.conversation.id else None
        self._set_items(list(data.items))
        if self._live is not None:
            self._live.dirty = True
            self._render_live()
            self._timer.start()
        if switching:
            self._stick = True
            self._scroll_to_end()

    def _set_items(self, items: list[ThreadItem]) -> None:
        kept: dict[int, MessageWidget] = {w.message_id: w for w in self._widgets}
        widgets = []
        for item in items:
            widget = kept.pop(item.message.id, None)
            if widget is None:
                widget = self._make(item)
            elif widget.item != item:
                widget.set_item(item)
            widgets.append(widget)
        for widget in kept.values():
            self._layout.removeWidget(widget)
            widget.deleteLater()
        for index, widget in enumerate(widgets):
            self._layout.insertWidget(index, widget)
        self._widgets = widgets
        self._empty.setVisible(not widgets)

    def _make(self, item: ThreadItem) -> MessageWidget:
        widget = MessageWidget(item, model_name=self._model_name)
        widget.set_busy(self._busy)
        widget.regenerate.connect(self.regenerate)
        widget.edit_submitted.connect(self.edit_submitted)
        widget.sibling_selected.connect(self.sibling_selected)
        widget.reload_model.connect(self.reload_model)
        widget.raise_context.connect(self.raise_context)
        return widget

    def _truncate_after(self, message_id: int | None) -> list[ThreadItem]:
        """Items up to and including ``message_id`` (none if None): the start of a new branch."""
        items = []
        for widget in self._widgets:
            if message_id is None:
                break
            items.append(widget.item)
            if widget.message_id == message_id:
                break
        return items

    # --- streaming -----------------------------------------------------------------
    def add_message(self, message: Message, *, attachments: tuple[Any, ...] = ()) -> None:
        """A message just stored (the user's, or a reply starting) joins the branch after its parent."""
        if message.conversation_id != self.conversation_id:
            return
        items = self._truncate_after(message.parent_id)
        items.append(ThreadItem(message, (message.id,), attachments=attachments))
        self._set_items(items)
        self._stick = True
        self._scroll_to_end()

    def begin_live(self, live: LiveReply) -> None:
        self._live = live if live.conversation_id == self.conversation_id else None
        if self._live is not None:
            self.add_message(live.message)
            self._timer.start()

    def live_changed(self) -> None:
        """New pieces arrived; they are drawn on the next timer tick."""
        if self._live is not None:
            self._live.dirty = True

    def end_live(self) -> None:
        self._render_live()
        self._live = None
        self._timer.stop()

    def _render_live(self) -> None:
        live = self._live
        if live is None or not live.dirty:
            return
        live.dirty = False
        for widget in reversed(self._widgets):
            if widget.message_id == live.message.id:
                widget.set_live_text(live.answer, live.reasoning)
                break
        if self._stick:
            self._scroll_to_end()

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in self._widgets:
            widget.set_busy(busy)

    # --- scrolling -----------------------------------------------------------------
    def scroll_to_message(self, message_id: int, terms: list[str] | None = None) -> None:
        """Show the message (a search hit), with the searched ``terms`` marked in it."""
        for widget in self._widgets:
            if widget.message_id == message_id:
                if terms:
                    widget.text.highlight(terms)
                self._stick = False
                self._column.layout().activate()
                self.ensureWidgetVisible(widget, 0, 40)
                widget.setFocus()
                return

    def _scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._stick = value >= bar.maximum() - 24

    def _range_changed(self, _low: int, high: int) -> None:
        if self._stick:
            self.verticalScrollBar().setValue(high)

    def _scroll_to_end(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def retranslate(self) -> None:
        self._empty.setText(self.tr("Type a message below to start. Replies are written on this computer; "
                                    "nothing you type leaves it."))
