"""Attachments as the window shows them: thumbnails for images, chips for documents.

``AttachmentStrip`` is a row of ``AttachmentChip`` s: above the message box
(removable, with a "Reading…" chip while a file is prepared) and in a sent
message (read-only). Clicking a chip opens the stored copy with the
system's viewer. Thumbnails are decoded with ``QImageReader`` at thumbnail
size under an allocation limit, never the full image, and kept in a small
cache; worker threads may warm it (``thumbnail`` only makes ``QImage`` s, which
any thread may do). ``dropped_files`` / ``dropped_image`` read what a drop or a
paste carries.

A document's chip shows the one count of its tokens
(:func:`engine.chat.attachments.attachment_tokens`): the loaded model's, from
the context meter's budget (``AttachmentStrip.set_counts``), the same number
the meter and the "too big" refusal show; until a model has counted it, the
estimate, marked "~".
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from PySide6.QtCore import QEvent, QMimeData, QObject, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QIcon, QImage, QImageReader, QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QSizePolicy, QStyle, QToolButton, QWidget

from desktop.plain import tip, visible

if TYPE_CHECKING:
    from engine.store.attachment_files import Attachment

THUMB = QSize(64, 64)
ALLOCATION_LIMIT_MB = 128   # QImageReader refuses to allocate more than this for one decode
_CACHE_SIZE = 256
_cache: OrderedDict[tuple[str, int, int], QImage] = OrderedDict()
_cache_lock = threading.Lock()
_keys = count(1)


def thumbnail(path: str | Path, box: QSize = THUMB, key: str | None = None) -> QImage:
    """The image at ``path`` decoded to fit ``box`` (a null QImage when it cannot be read); cached by ``key``."""
    cache_key = (key or str(path), box.width(), box.height())
    with _cache_lock:
        found = _cache.get(cache_key)
        if found is not None:
            _cache.move_to_end(cache_key)
            return found
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    reader.setAllocationLimit(ALLOCATION_LIMIT_MB)
    size = reader.size()
    if size.isValid() and (size.width() > box.width() or size.height() > box.height()):
        reader.setScaledSize(size.scaled(box, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if not image.isNull() and (image.width() > box.width() or image.height() > box.height()):
        image = image.scaled(box, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    if not image.isNull():
        with _cache_lock:
            _cache[cache_key] = image
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return image


def attachment_thumbnail(attachment: "Attachment") -> QImage:
    """An image attachment's thumbnail (null for a document)."""
    if attachment.kind != "image":
        return QImage()
    return thumbnail(attachment.stored, THUMB, key=attachment.sha256)


def dropped_files(mime: QMimeData) -> list[str]:
    """The local files a drop or paste carries (folders and remote URLs are not attachments)."""
    if not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile() and Path(url.toLocalFile()).is_file()]


def dropped_image(mime: QMimeData) -> QImage | None:
    """The image data a drop or paste carries (a screenshot, an image copied from a browser)."""
    if not mime.hasImage():
        return None
    image = mime.imageData()
    return image if isinstance(image, QImage) and not image.isNull() else None


class AttachmentChip(QFrame):
    """One attachment: a thumbnail or a document's name and size; × removes it (when removable)."""

    removed = Signal(int)   # the chip's key

    def __init__(self, key: int, name: str, *, removable: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.name = name
        self.attachment: Attachment | None = None
        self.source: str | None = None   # the file the user gave (None for pasted data)
        self.tokens: int | None = None   # what the loaded model counts for it (None: not counted, estimated)
        self._estimate: int | None = None
        self.setObjectName("attachmentChip")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
        self.open_button = QToolButton()
        self.open_button.setObjectName("openAttachment")
        self.open_button.setAutoRaise(True)
        self.open_button.clicked.connect(self.open)
        self.remove_button = QToolButton()
        self.remove_button.setObjectName("removeAttachment")
        self.remove_button.setText("×")
        self.remove_button.setAutoRaise(True)
        self.remove_button.clicked.connect(lambda: self.removed.emit(self.key))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(0)
        layout.addWidget(self.open_button)
        layout.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        self.remove_button.setVisible(removable)   # after it has a parent: never a window of its own
        self.show_reading()

    @property
    def reading(self) -> bool:
        return self.attachment is None

    def show_reading(self) -> None:
        self.open_button.setEnabled(False)
        self.open_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        reading = self.tr("Reading…")
        self.open_button.setText(f"{visible(self.name)}\n{reading}")
        self.open_button.setToolTip(tip(self.name))

    def set_attachment(self, attachment: "Attachment") -> None:
        self.attachment, self._estimate = attachment, None
        self.open_button.setEnabled(True)
        self.retranslate()

    def set_tokens(self, tokens: int | None) -> None:
        """The model's count of this attachment's tokens (None: show the estimate)."""
        if tokens != self.tokens:
            self.tokens = tokens
            self.retranslate()

    def tokens_text(self) -> str:
        """"7,639 tokens" as the model counts them, or "~8,465 tokens" estimated ("" for an image)."""
        att = self.attachment
        if att is None or att.kind != "document":
            return ""
        if self.tokens is not None:
            return self.tr("%1 tokens").replace("%1", f"{self.tokens:,}")
        if self._estimate is None:   # once: a long text takes a moment to estimate
            from engine.chat.attachments import attachment_tokens
            self._estimate = attachment_tokens(att)
        return self.tr("~%1 tokens").replace("%1", f"{self._estimate:,}")

    def retranslate(self) -> None:
        att = self.attachment
        self.remove_button.setToolTip(self.tr("Remove this attachment"))
        if att is None:
            self.show_reading()
            return
        button = self.open_button
        if att.kind == "image":
            image = attachment_thumbnail(att)
            button.setIcon(QIcon(QPixmap.fromImage(image)) if not image.isNull()
                           else self.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon))
            button.setIconSize(THUMB)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
            button.setText(visible(att.name))
            button.setToolTip(tip(f"{att.name} · {att.width}×{att.height}"))
            return
        details = [self.tr("%n page(s)", "", att.pages)] if att.pages else []
        details.append(self.tokens_text())
        button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon))
        button.setIconSize(QSize(20, 20))
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setText(f"{visible(att.name)}\n{' · '.join(details)}")
        button.setToolTip(tip(self.tr("Open %1").replace("%1", att.name)))

    def open(self) -> None:
        """Show the stored copy in the system's viewer."""
        if self.attachment is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.attachment.stored)))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


class AttachmentStrip(QWidget):
    """A row of chips; hidden while empty."""

    changed = Signal()   # a chip was added, became ready or was removed

    def __init__(self, *, removable: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentStrip")
        self._removable = removable
        self._chips: dict[int, AttachmentChip] = {}
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self._layout.addStretch(1)
        self.setVisible(False)

    def chips(self) -> list[AttachmentChip]:
        return list(self._chips.values())

    def add_reading(self, name: str, source: str | None = None) -> int:
        """A chip saying "Reading…" for a file being prepared; returns its key."""
        key = next(_keys)
        chip = AttachmentChip(key, name, removable=self._removable)
        chip.source = source
        chip.removed.connect(self.remove)
        self._chips[key] = chip
        self._layout.insertWidget(self._layout.count() - 1, chip)
        self.setVisible(True)
        self.changed.emit()
        return key

    def set_ready(self, key: int, attachment: "Attachment") -> bool:
        """The file was prepared; False when its chip was removed meanwhile, or the same file is already here."""
        chip = self._chips.get(key)
        if chip is None:
            return False
        if any(c.attachment is not None and c.attachment.sha256 == attachment.sha256 for c in self._chips.values()):
            self.remove(key)
            return False
        chip.set_attachment(attachment)
        self.changed.emit()
        return True

    def set_counts(self, counts: dict[str, int] | None) -> None:
        """Each ready chip's count from the model (by content); None or a missing one: its estimate."""
        for chip in self._chips.values():
            if chip.attachment is not None:
                chip.set_tokens((counts or {}).get(chip.attachment.sha256))

    def remove(self, key: int) -> None:
        chip = self._chips.pop(key, None)
        if chip is None:
            return
        self._layout.removeWidget(chip)
        chip.deleteLater()
        self.setVisible(bool(self._chips))
        self.changed.emit()

    def set_attachments(self, attachments: Sequence["Attachment"], sources: Sequence[str | None] = ()) -> None:
        """Show exactly these (ready) attachments."""
        if [c.attachment for c in self._chips.values()] == list(attachments):
            return
        for key in list(self._chips):
            self.remove(key)
        for index, attachment in enumerate(attachments):
            key = self.add_reading(attachment.name, sources[index] if index < len(sources) else None)
            self._chips[key].set_attachment(attachment)
        self.changed.emit()

    def attachments(self) -> list["Attachment"]:
        """The ready attachments, in the order they were given."""
        return [c.attachment for c in self._chips.values() if c.attachment is not None]

    def sources(self) -> list[str | None]:
        """The original file of each ready attachment (None for pasted data), in the same order."""
        return [c.source for c in self._chips.values() if c.attachment is not None]

    def source_of(self, attachment: "Attachment") -> str | None:
        return next((c.source for c in self._chips.values() if c.attachment == attachment), None)

    def reading(self) -> bool:
        """Whether a file is still being prepared."""
        return any(c.reading for c in self._chips.values())


class DropFilter(QObject):
    """Turns files and image data dropped on the widgets it watches into signals."""

    files = Signal(list)      # local paths
    image = Signal(QImage)

    def watch(self, widget: QWidget) -> None:
        widget.setAcceptDrops(True)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind not in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            return False
        mime = event.mimeData()  # type: ignore[attr-defined]
        paths, image = dropped_files(mime), dropped_image(mime)
        if not paths and image is None:
            return False
        event.acceptProposedAction()  # type: ignore[attr-defined]
        if kind == QEvent.Type.Drop:
            if paths:
                self.files.emit(paths)
            else:
                self.image.emit(image)
        return True
