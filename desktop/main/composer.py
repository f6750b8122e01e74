"""The message box under the conversation: type, attach, send or stop, see the context meter.

Enter sends, Shift+Enter starts a new line; while a reply is written the
Send button becomes Stop. The meter under the box is refreshed (debounced)
as the user types. Files come in through the paperclip button, a drop, or
Ctrl+V (an image on the clipboard); they show as chips above the box
(desktop/attachment_view.py) until the message is sent. The composer only
says what was given (``files_given``, ``image_given``); the window prepares
the files and puts the chips in.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QMimeData, QPointF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QImage, QKeyEvent, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QToolButton, QVBoxLayout, QWidget

from desktop.main.attachment_view import AttachmentStrip, DropFilter, dropped_files, dropped_image
from desktop.main.context_meter import ContextMeter

if TYPE_CHECKING:
    from engine.store.attachment_files import Attachment

DRAFT_DEBOUNCE_MS = 200


class MessageInput(QPlainTextEdit):
    """A plain-text box where Enter means send (input methods keep their own Enter)."""

    submit = Signal()
    files_given = Signal(list)    # local files pasted or dropped on the box
    image_given = Signal(QImage)  # image data pasted or dropped on the box

    def canInsertFromMimeData(self, source: QMimeData) -> bool:  # noqa: N802
        return bool(dropped_files(source)) or dropped_image(source) is not None or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:  # noqa: N802
        """Files and images become attachments; text is inserted as text."""
        paths, image = dropped_files(source), dropped_image(source)
        if paths:
            self.files_given.emit(paths)
        elif image is not None:
            self.image_given.emit(image)
        else:
            super().insertFromMimeData(source)

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
    attach_requested = Signal()   # the paperclip: choose files
    files_given = Signal(list)    # local files dropped or pasted
    image_given = Signal(QImage)  # image data dropped or pasted

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
        self.attach_button = QToolButton()
        self.attach_button.setObjectName("attachButton")
        self.attach_button.setIcon(paperclip_icon(self.palette().color(QPalette.ColorRole.ButtonText)))
        self.attach_button.setIconSize(QSize(20, 20))
        self.attach_button.setAutoRaise(True)
        self.attach_button.clicked.connect(self.attach_requested)
        self.strip = AttachmentStrip(removable=True)
        self.strip.changed.connect(self._attachments_changed)
        self.meter = ContextMeter()
        self.meter.setObjectName("contextMeter")
        buttons = QVBoxLayout()
        buttons.addWidget(self.attach_button, 0, Qt.AlignmentFlag.AlignRight)
        buttons.addStretch(1)
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 6, 16, 8)
        layout.setSpacing(4)
        layout.addWidget(self.strip)
        layout.addLayout(row)
        layout.addWidget(self.meter)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DRAFT_DEBOUNCE_MS)
        self._debounce.timeout.connect(lambda: self.draft_changed.emit(self.input.toPlainText()))
        self.input.textChanged.connect(self._debounce.start)
        self.input.submit.connect(self.submit)
        self.input.files_given.connect(self.files_given)
        self.input.image_given.connect(self.image_given)
        self.drops = DropFilter(self)
        self.drops.watch(self)
        self.drops.files.connect(self.files_given)
        self.drops.image.connect(self.image_given)
        self.send_button.clicked.connect(self.submit)
        self.stop_button.clicked.connect(self.stop)
        self._generating = False
        self._can_send = True
        self.retranslate()

    def text(self) -> str:
        return self.input.toPlainText()

    def attachments(self) -> list["Attachment"]:
        """The attachments ready to go with the message."""
        return self.strip.attachments()

    def set_attachments(self, attachments: list["Attachment"], sources: list[str | None] | None = None) -> None:
        """Put attachments back (a send that stored nothing gives them back)."""
        self.strip.set_attachments(attachments, sources or [])

    def submit(self) -> None:
        """Send what the box holds, as Enter or the Send button does (when sending is possible)."""
        text = self.input.toPlainText().strip()
        if not (text or self.attachments()) or self._generating or not self._can_send or self.strip.reading():
            return
        self.send.emit(text)

    def accept_sent(self) -> None:
        """The message was handed over: clear the box and its attachments."""
        self.input.clear()
        self.strip.set_attachments([])

    def _attachments_changed(self) -> None:
        self._update_enabled()
        self._debounce.start()

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
        self.send_button.setEnabled(self._can_send and not self._generating and not self.strip.reading())

    def retranslate(self) -> None:
        self.input.setPlaceholderText(self.tr("Message — Enter to send, Shift+Enter for a new line"))
        self.send_button.setText(self.tr("Send"))
        self.stop_button.setText(self.tr("Stop"))
        self.stop_button.setToolTip(self.tr("Stop writing (Esc); what was written is kept"))
        self.attach_button.setToolTip(self.tr("Attach images or documents (or drop them here, or paste an image)"))
        for chip in self.strip.chips():
            chip.retranslate()
        self.meter.retranslate()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def paperclip_icon(color: object, size: int = 40) -> QIcon:
    """A paperclip drawn with QPainter (the emoji is missing from many Linux fonts)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(color, size / 14, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    painter.translate(size / 2, size / 2)
    painter.rotate(40)
    u = size / 40
    path = QPainterPath(QPointF(3 * u, -4 * u))       # inner leg, open end
    path.lineTo(3 * u, 10 * u)
    path.arcTo(-3 * u, 7 * u, 6 * u, 6 * u, 0, -180)  # inner bottom bend
    path.lineTo(-3 * u, -12 * u)
    path.arcTo(-3 * u, -17 * u, 10 * u, 10 * u, 180, -180)  # top bend
    path.lineTo(7 * u, 10 * u)
    path.arcTo(-7 * u, 3 * u, 14 * u, 14 * u, 0, -180)  # outer bottom bend
    path.lineTo(-7 * u, -6 * u)
    painter.drawPath(path)
    painter.end()
    return QIcon(pixmap)
