"""One message in the conversation: Markdown text, reasoning, actions, notices.

A reply shows its reasoning as a collapsed block above the answer, a notice
when older turns were left out of its prompt, and a notice with "Reload
model" when the model crashed while writing it. Every message has Copy; a
reply has Regenerate, a user message has Edit (which opens an editor in
place); both show ‹ 2/3 › when the message has siblings. A reply has "Show
prompt", the exact text it was generated from (``prompt_dialog``), disabled
with a tooltip for a reply whose record keeps none. A reply that used
the knowledge base links its citations [1] to its sources, listed under it
(desktop/sources_view.py); one that found nothing in documents-only mode
shows that, translated. A user message shows its attachments (thumbnails and
document chips that open the stored copy) above its text. The text itself is
``message_text.SegmentedText``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QSizePolicy,
                               QToolButton, QVBoxLayout, QWidget)

from engine import Message

from desktop.main.attachment_view import AttachmentStrip
from desktop.main.message_text import SegmentedText
from desktop.main.prompt_dialog import PromptDialog, has_prompt
from desktop.main.sources_view import SourcesView, refusal_text
from desktop.plain import plain_label, visible

if TYPE_CHECKING:
    from engine.store.attachment_files import Attachment


@dataclass(frozen=True)
class ThreadItem:
    """A message as shown: its place among its siblings and what its prompt left out."""

    message: Message
    sibling_ids: tuple[int, ...] = ()   # this message and its siblings, oldest first
    dropped: tuple[str, ...] = ()       # first words of the turns left out of this reply's prompt
    attachments: tuple["Attachment", ...] = ()   # a user message's images and documents

    @property
    def sibling_count(self) -> int:
        return max(1, len(self.sibling_ids))

    @property
    def sibling_index(self) -> int:
        ids = self.sibling_ids
        return ids.index(self.message.id) if self.message.id in ids else 0


class MessageWidget(QFrame):
    """The widget for one message; the chat view keeps one per visible message."""

    regenerate = Signal(int)          # reply id
    edit_submitted = Signal(int, str)  # user message id, new text
    sibling_selected = Signal(int)    # the sibling's message id, to show instead
    reload_model = Signal()
    raise_context = Signal(int, int)  # reply id, the context its sources notice offers

    def __init__(self, item: ThreadItem, *, model_name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self._model_name = model_name
        self._busy = False
        self._reasoning_open = False
        user = item.message.role == "user"
        self.setObjectName("userMessage" if user else "replyMessage")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)

        self.role_label = QLabel()
        self.role_label.setObjectName("roleLabel")
        font = self.role_label.font()
        font.setBold(True)
        self.role_label.setFont(font)
        self.status_label = QLabel()
        self.status_label.setObjectName("statusLabel")
        head = QHBoxLayout()
        head.addWidget(self.role_label)
        head.addStretch(1)
        head.addWidget(self.status_label)

        self.dropped_label = QLabel()
        self.dropped_label.setObjectName("droppedNotice")
        self.dropped_label.setWordWrap(True)
        self.reasoning_toggle = QToolButton()
        self.reasoning_toggle.setObjectName("reasoningToggle")
        self.reasoning_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.reasoning_toggle.setAutoRaise(True)
        self.reasoning_toggle.clicked.connect(self._toggle_reasoning)
        self.attachment_strip = AttachmentStrip(removable=False)
        self.reasoning_text = SegmentedText()
        self.reasoning_text.setObjectName("reasoningText")
        self.reasoning_text.setVisible(False)
        self.text = SegmentedText()
        self.text.setObjectName("messageText")
        self.sources = SourcesView()
        self.text.source_clicked.connect(self.sources.show_source)
        self.sources.raise_context.connect(lambda n_ctx: self.raise_context.emit(self.item.message.id, n_ctx))
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("messageEditor")
        self.editor.setVisible(False)
        self.edit_send = QPushButton()
        self.edit_send.setObjectName("editSend")
        self.edit_cancel = QPushButton()
        self.edit_cancel.setObjectName("editCancel")
        self.edit_send.clicked.connect(self._submit_edit)
        self.edit_cancel.clicked.connect(lambda: self.set_editing(False))
        self.edit_row = QWidget()
        edit_row = QHBoxLayout(self.edit_row)
        edit_row.setContentsMargins(0, 0, 0, 0)
        edit_row.addStretch(1)
        edit_row.addWidget(self.edit_cancel)
        edit_row.addWidget(self.edit_send)
        self.edit_row.setVisible(False)

        self.error_label = QLabel()
        self.error_label.setObjectName("errorNotice")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reload_button = QPushButton()
        self.reload_button.setObjectName("reloadModel")
        self.reload_button.clicked.connect(self.reload_model)
        self.error_box = QFrame()
        self.error_box.setObjectName("errorBox")
        error_layout = QHBoxLayout(self.error_box)
        error_layout.addWidget(self.error_label, 1)
        error_layout.addWidget(self.reload_button, 0, Qt.AlignmentFlag.AlignTop)

        self.copy_button = self._tool("copyMessage", self._copy)
        self.regenerate_button = self._tool("regenerate", lambda: self.regenerate.emit(self.item.message.id))
        self.edit_button = self._tool("editMessage", lambda: self.set_editing(True))
        self.prompt_button = self._tool("showPrompt", self.show_prompt)
        self.prompt_dialog: PromptDialog | None = None
        self.prev_button = self._tool("previousSibling", lambda: self._step(-1))
        self.prev_button.setText("‹")
        self.sibling_label = QLabel()
        self.sibling_label.setObjectName("siblingPosition")
        self.next_button = self._tool("nextSibling", lambda: self._step(1))
        self.next_button.setText("›")
        self.stats_label = QLabel()
        self.stats_label.setObjectName("replyStats")
        self.stats_label.setMinimumWidth(1)  # may be cut in a narrow window rather than widen it
        self.stats_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        for label in (self.role_label, self.status_label, self.dropped_label, self.error_label,
                      self.sibling_label, self.stats_label):
            plain_label(label)   # model names, quoted messages and errors are shown as they are
        actions = QHBoxLayout()
        actions.setSpacing(2)
        for widget in (self.copy_button, self.regenerate_button, self.edit_button, self.prompt_button):
            actions.addWidget(widget)
        actions.addSpacing(8)
        for widget in (self.prev_button, self.sibling_label, self.next_button):
            actions.addWidget(widget)
        actions.addStretch(1)
        actions.addWidget(self.stats_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 6)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addWidget(self.dropped_label)
        layout.addWidget(self.reasoning_toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.reasoning_text)
        layout.addWidget(self.attachment_strip)
        layout.addWidget(self.text)
        layout.addWidget(self.editor)
        layout.addWidget(self.edit_row)
        layout.addWidget(self.sources)
        layout.addWidget(self.error_box)
        layout.addLayout(actions)
        self.set_item(item)

    def _tool(self, name: str, slot: object) -> QToolButton:
        button = QToolButton()
        button.setObjectName(name)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    # --- content ---------------------------------------------------------------------
    @property
    def message_id(self) -> int:
        return self.item.message.id

    def set_item(self, item: ThreadItem) -> None:
        self.item = item
        message = item.message
        self.attachment_strip.set_attachments(item.attachments)
        # a sent file shows what it took of the context when it was sent (the model's count, as its chip did)
        self.attachment_strip.set_counts({a.sha256: a.tokens for a in item.attachments if a.tokens is not None})
        knowledge = self.knowledge()
        self.text.set_sources(len(knowledge.get("sources") or []))
        self.text.set_markdown(self._shown(message.content))
        self.sources.set_knowledge(knowledge or None, streaming=message.status == "streaming")
        self.set_reasoning(message.reasoning)
        self.retranslate()

    def set_live_text(self, answer: str, reasoning: str) -> None:
        """While streaming: the text so far (rendered on the view's timer, not per token)."""
        self.text.set_markdown(self._shown(answer))
        self.set_reasoning(reasoning)

    def knowledge(self) -> dict[str, Any]:
        """The reply's ``record["knowledge"]`` (empty when it used no collection)."""
        found = self.item.message.record.get("knowledge") if self.item.message.role == "assistant" else None
        return found if isinstance(found, dict) else {}

    def _shown(self, content: str) -> str:
        """What the text shows: a documents-only reply that found nothing says so in the interface's language."""
        refused = refusal_text(self.knowledge())
        return content if refused is None else refused

    def set_reasoning(self, reasoning: str) -> None:
        has = bool(reasoning.strip())
        self.reasoning_toggle.setVisible(has)
        self.reasoning_text.setVisible(has and self._reasoning_open)
        if has and self._reasoning_open:
            self.reasoning_text.set_markdown(reasoning)
        self._reasoning = reasoning
        self._label_reasoning()

    def _toggle_reasoning(self) -> None:
        self._reasoning_open = not self._reasoning_open
        self.set_reasoning(self._reasoning)

    def _label_reasoning(self) -> None:
        arrow = Qt.ArrowType.DownArrow if self._reasoning_open else Qt.ArrowType.RightArrow
        self.reasoning_toggle.setArrowType(arrow)
        streaming = self.item.message.status == "streaming" and not self.item.message.content
        self.reasoning_toggle.setText(self.tr("Thinking…") if streaming else self.tr("Reasoning"))

    def set_busy(self, busy: bool) -> None:
        """No regenerate, edit or branch switching while a reply is being written."""
        self._busy = busy
        self._update_actions()

    def set_editing(self, editing: bool) -> None:
        self.editor.setVisible(editing)
        self.edit_row.setVisible(editing)
        self.text.setVisible(not editing)
        if editing:
            self.editor.setPlainText(self.item.message.content)
            self.editor.setFocus()
            self.editor.selectAll()

    def _submit_edit(self) -> None:
        text = self.editor.toPlainText().strip()
        if text:
            self.set_editing(False)
            self.edit_submitted.emit(self.item.message.id, text)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self._shown(self.item.message.content))

    def show_prompt(self) -> None:
        """Open the dialog with this reply's prompt (one at a time per message)."""
        if self.prompt_dialog is not None:
            self.prompt_dialog.close()
        self.prompt_dialog = PromptDialog(self.item.message.record, self.window())
        self.prompt_dialog.open()

    def _step(self, delta: int) -> None:
        index = self.item.sibling_index + delta
        if 0 <= index < len(self.item.sibling_ids):
            self.sibling_selected.emit(self.item.sibling_ids[index])

    def _update_actions(self) -> None:
        message = self.item.message
        user = message.role == "user"
        streaming = message.status == "streaming"
        self.regenerate_button.setVisible(not user)
        self.prompt_button.setVisible(not user)
        self.prompt_button.setEnabled(not streaming and has_prompt(message.record))
        self.edit_button.setVisible(user)
        self.regenerate_button.setEnabled(not self._busy and not streaming)
        self.edit_button.setEnabled(not self._busy)
        self.copy_button.setEnabled(not streaming)
        many = self.item.sibling_count > 1
        for widget in (self.prev_button, self.sibling_label, self.next_button):
            widget.setVisible(many)
        self.prev_button.setEnabled(not self._busy and self.item.sibling_index > 0)
        self.next_button.setEnabled(not self._busy and self.item.sibling_index < self.item.sibling_count - 1)
        self.sibling_label.setText(f"{self.item.sibling_index + 1}/{self.item.sibling_count}")

    def retranslate(self) -> None:
        message = self.item.message
        if message.role == "user":
            self.role_label.setText(self.tr("You"))
        else:
            name = str(message.record.get("model", {}).get("name") or self._model_name)
            self.role_label.setText(visible(name) or self.tr("Assistant"))
        status = {"interrupted": self.tr("Stopped"), "error": self.tr("Failed"),
                  "streaming": self.tr("Writing…")}.get(message.status, "")
        if message.status == "interrupted" and message.error:
            status = self.tr("Interrupted")
        self.status_label.setText(status)
        self.dropped_label.setVisible(bool(self.item.dropped))
        if self.item.dropped:
            quoted = self.tr(", ").join(f"“{visible(words)}”" for words in self.item.dropped[:3])
            more = len(self.item.dropped) - 3
            if more > 0:
                quoted += " " + self.tr("and %n more", "", more)
            self.dropped_label.setText(
                self.tr("To fit the context, %n earlier message(s) were left out of this reply's prompt: ",
                        "", len(self.item.dropped)) + quoted)
        crashed = message.status == "interrupted" and bool(message.error)
        failed = message.status == "error" and bool(message.error)
        self.error_box.setVisible(crashed or failed)
        self.reload_button.setVisible(crashed)
        if crashed or failed:
            headline = (self.tr("The model stopped while writing this reply. What it wrote is kept.") if crashed
                        else self.tr("This message could not be answered."))
            self.error_label.setText(f"{headline}\n{visible(message.error or '', newlines=True)}")
        self.reload_button.setText(self.tr("Reload model"))
        self.copy_button.setText(self.tr("Copy"))
        self.copy_button.setToolTip(self.tr("Copy this message"))
        self.regenerate_button.setText(self.tr("Regenerate"))
        self.regenerate_button.setToolTip(self.tr("Write another reply; this one is kept"))
        self.prompt_button.setText(self.tr("Show prompt"))
        self.prompt_button.setToolTip(
            self.tr("The exact text the model was given for this reply") if has_prompt(message.record)
            else self.tr("This reply has no stored prompt: it was written before prompts were kept, "
                         "or it failed before the prompt was built"))
        self.edit_button.setText(self.tr("Edit"))
        self.edit_button.setToolTip(self.tr("Edit and resend; the original is kept"))
        self.prev_button.setToolTip(self.tr("Previous version"))
        self.next_button.setToolTip(self.tr("Next version"))
        self.edit_send.setText(self.tr("Send"))
        self.edit_cancel.setText(self.tr("Cancel"))
        stats = []
        if message.completion_tokens and message.ttft_ms:   # a reply with no tokens has no timing to show
            stats.append(self.tr("%1 s to first token").replace("%1", f"{message.ttft_ms / 1000:.2f}"))
        if message.tokens_per_s:
            stats.append(self.tr("%1 tokens/s").replace("%1", f"{message.tokens_per_s:.1f}"))
        self.stats_label.setText(" · ".join(stats))
        if refusal_text(self.knowledge()) is not None:
            self.text.set_markdown(self._shown(message.content))
        self._label_reasoning()
        self._update_actions()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
