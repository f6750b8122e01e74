"""The message box under the conversation: type, send or stop, see the context meter.

Enter sends, Shift+Enter starts a new line; while a reply is written the
Send button becomes Stop. The meter under the box is refreshed (debounced)
as the user types.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from .context_meter import ContextMeter

DRAFT_DEBOUNCE_MS = 200


class MessageInput(QPlainTextEdit):
    """A plain-text box where Enter means send (input methods keep their own Enter)."""

    submit = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & (Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.AltModifier):
            self.submit.emit()
            return
        super().keyPressEvent(event)


class Composer(QWidget):
    send = Signal(str)
    stop = Signal()
    draft_changed = Signal(str)   # debounced, for the context meter

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.input = MessageInput()
        self.input.setObjectName("messageInput")
        self.input.setTabChangesFocus(True)
        self.input.setFixedHeight(84)
        self.send_button = QPushButton()
        self.send_button.setObjectName("sendButton")
        self.send_button.setDefault(True)
        self.stop_button = QPushButton()
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setVisible(False)
        self.meter = ContextMeter()
        self.meter.setObjectName("contextMeter")
        buttons = QVBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 6, 16, 8)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(self.meter)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DRAFT_DEBOUNCE_MS)
        self._debounce.timeout.connect(lambda: self.draft_changed.emit(self.input.toPlainText()))
        self.input.textChanged.connect(self._debounce.start)
        self.input.submit.connect(self._submit)
        self.send_button.clicked.connect(self._submit)
        self.stop_button.clicked.connect(self.stop)
        self._generating = False
        self._can_send = True
        self.retranslate()

    def text(self) -> str:
        return self.input.toPlainText()

    def _submit(self) -> None:
        text = self.input.toPlainText().strip()
        if not text or self._generating or not self._can_send:
            return
        self.send.emit(text)

    def accept_sent(self) -> None:
        """The message was handed over: clear the box."""
        self.input.clear()

    def set_generating(self, generating: bool) -> None:
        self._generating = generating
        self.send_button.setVisible(not generating)
        self.stop_button.setVisible(generating)
        self._update_enabled()

    def set_can_send(self, can_send: bool, reason: str = "") -> None:
        self._can_send = can_send
        self.send_button.setToolTip(reason)
        self._update_enabled()

    def _update_enabled(self) -> None:
        self.send_button.setEnabled(self._can_send and not self._generating)

    def retranslate(self) -> None:
        self.input.setPlaceholderText(self.tr("Message — Enter to send, Shift+Enter for a new line"))
        self.send_button.setText(self.tr("Send"))
        self.stop_button.setText(self.tr("Stop"))
        self.stop_button.setToolTip(self.tr("Stop writing (Esc); what was written is kept"))
        self.meter.retranslate()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
