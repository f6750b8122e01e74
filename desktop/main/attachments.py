"""Attachments in the main window: take files in, prepare them, check them before sending.

A mixin of the main window. Files come from the paperclip's dialog, a drop
on the conversation or the message box, or a pasted image; each gets a
"Reading…" chip at once and is prepared (hashed, copied, validated, a
document parsed) on its own thread, so a slow PDF never blocks the window
nor a reply. A failure removes the chip and shows the error, naming the
file. Before sending, an image meets a model that cannot see: the user is
told so, with the models that can. When the engine refuses a document too
big for the context, the user is offered a knowledge base instead.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QIODevice
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QInputDialog

from engine import errors

from desktop.main.attach_dialogs import too_large_offer, vision_refusal
from desktop.main.attachment_view import DropFilter, attachment_thumbnail
from desktop.background.jobs import WorkThread

if TYPE_CHECKING:
    from engine.store.attachment_files import Attachment

    from desktop.main.window import MainWindow

IMAGES = "*.png *.jpg *.jpeg *.webp *.gif *.bmp"
DOCS = "*.txt *.md *.markdown *.rst *.pdf *.docx *.html *.htm *.csv *.tsv *.json *.py"

# Strings here are translated in the main window's context ("MainWindow"): this is its mixin.


def _prepare_file(path: str) -> "Attachment":
    from engine.chat.attachments import prepare
    attachment = prepare(path)
    attachment_thumbnail(attachment)  # decoded here, at thumbnail size, so the chip shows it at once
    return attachment


def _prepare_image(image: QImage) -> "Attachment":
    from engine.chat.attachments import prepare_image_bytes
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    attachment = prepare_image_bytes(bytes(data.data()), name="pasted.png")
    attachment_thumbnail(attachment)
    return attachment


class AttachmentsMixin:
    """Attaching, checking before sending, and the knowledge-base offer, for ``MainWindow``."""

    def _setup_attachments(self: "MainWindow") -> None:
        # prepares attachments one at a time, off the GUI thread (a document runs a parser subprocess)
        self.attach_thread = WorkThread("hearth-attach")
        composer = self.composer
        composer.attach_requested.connect(self.choose_attachments)
        composer.files_given.connect(self.attach_files)
        composer.image_given.connect(self.attach_image)
        self.chat_drops = DropFilter(self)
        self.chat_drops.watch(self.chat_view.viewport())
        self.chat_drops.files.connect(self.attach_files)
        self.chat_drops.image.connect(self.attach_image)

    def choose_attachments(self: "MainWindow") -> None:
        filters = ";;".join((
            QCoreApplication.translate("MainWindow", "Images and documents (%1)").replace("%1", f"{IMAGES} {DOCS}"),
            QCoreApplication.translate("MainWindow", "Images (%1)").replace("%1", IMAGES),
            QCoreApplication.translate("MainWindow", "Documents (%1)").replace("%1", DOCS),
            QCoreApplication.translate("MainWindow", "All files (*)")))
        title = QCoreApplication.translate("MainWindow", "Attach files")
        files, _ = QFileDialog.getOpenFileNames(self, title, str(Path.home()), filters)
        if files:
            self.attach_files(files)

    def attach_files(self: "MainWindow", paths: Sequence[str]) -> None:
        """Each file gets a "Reading…" chip now and is prepared in the background."""
        for path in paths:
            name = Path(path).name
            key = self.composer.strip.add_reading(name, path)
            self.attach_thread.submit(lambda p=path: _prepare_file(p), lambda att, k=key: self._attached(k, att),
                                      lambda exc, k=key, n=name: self._attach_failed(k, n, exc))

    def attach_image(self: "MainWindow", image: QImage) -> None:
        """Image data (pasted or dropped) is saved as PNG and attached."""
        name = QCoreApplication.translate("MainWindow", "Pasted image")
        key = self.composer.strip.add_reading(name)
        copy = image.copy()  # the worker gets its own pixels
        self.attach_thread.submit(lambda: _prepare_image(copy), lambda att: self._attached(key, att),
                                  lambda exc: self._attach_failed(key, name, exc))

    def _attached(self: "MainWindow", key: int, attachment: "Attachment") -> None:
        self.composer.strip.set_ready(key, attachment)

    def _attach_failed(self: "MainWindow", key: int, name: str, exc: object) -> None:
        self.composer.strip.remove(key)
        box = self.show_error(exc)
        if box is not None and name not in box.informativeText():
            box.setInformativeText(f"{name}\n\n{box.informativeText()}")

    # --- before and after sending ---------------------------------------------------------------------
    def cannot_see(self: "MainWindow", attachments: Sequence["Attachment"]) -> bool:
        """True (and the user is told, with the models that can) when an image meets a model that cannot see.
        A model not loaded yet is checked by the engine when the message is sent."""
        if not any(a.kind == "image" for a in attachments):
            return False
        wanted, info = self._wanted(self.conversation), self.info
        if info is None or wanted is None or not wanted.is_loaded(info) or info.vision:
            return False
        self.refuse_images(info.name, None)
        return True

    def refuse_images(self: "MainWindow", model_name: str, suggestions: Sequence[str] | None) -> None:
        """Show the refusal; without ``suggestions``, the catalog's vision models are looked up first."""
        if suggestions is not None:
            vision_refusal(self, model_name, list(suggestions), self.open_model_manager)
            return

        def names(_store: object) -> list[str]:
            from engine.models.vision import vision_model_names
            return vision_model_names()

        self.db.submit(names, lambda found: self.refuse_images(model_name, found),
                       lambda _exc: self.refuse_images(model_name, []))

    def send_refused(self: "MainWindow", exc: BaseException, attachments: Sequence["Attachment"]) -> bool:
        """The engine refused before storing anything: ask the right question instead of an error."""
        if isinstance(exc, errors.VisionUnsupported):
            name = self.info.name if self.info is not None else ""
            self.refuse_images(name, list(exc.suggestions))
            return True
        if isinstance(exc, errors.AttachmentTooLarge):
            documents = [a for a in attachments if a.kind == "document"]
            document = next((a for name in exc.names for a in documents if a.name == name),
                            documents[0] if documents else None)
            name = document.name if document is not None else ""
            too_large_offer(self, exc, name, lambda: self.offer_knowledge(document))
            return True
        return False

    # --- a document into a knowledge base ------------------------------------------------------------
    def offer_knowledge(self: "MainWindow", document: "Attachment | None") -> QInputDialog | None:
        """Open the knowledge window and ask which collection (an existing one, or a new name) gets the file."""
        if document is None or self.conversation is None:
            return None
        conversation_id = self.conversation.id
        source = self.composer.strip.source_of(document) or str(document.stored)
        window = self.open_knowledge()
        names = sorted(window.statuses)
        new_name = Path(document.name).stem or QCoreApplication.translate("MainWindow", "Documents")
        dialog = QInputDialog(window)
        dialog.setObjectName("chooseCollection")
        dialog.setWindowTitle(QCoreApplication.translate("MainWindow", "Add to a knowledge base"))
        label = QCoreApplication.translate("MainWindow", "Add “%1” to the collection (choose one, or type a new name):")
        dialog.setLabelText(label.replace("%1", document.name))
        dialog.setComboBoxItems(([window.current] if window.current else []) +
                                [n for n in names if n != window.current] + ([] if new_name in names else [new_name]))
        dialog.setComboBoxEditable(True)
        dialog.textValueSelected.connect(
            lambda name: self._add_to_knowledge(" ".join(name.split()), source, document, conversation_id))
        dialog.open()
        return dialog

    def _add_to_knowledge(self: "MainWindow", name: str, source: str, document: "Attachment",
                          conversation_id: int) -> None:
        if not name:
            return

        def use(store: Any) -> None:
            from engine.knowledge import collections as library
            conn = store.conn
            chosen = [c.id for c in library.conversation_collections(conn, conversation_id)]
            added = library.get(conn, name).id
            library.use_collections(conn, conversation_id, [*chosen, *([added] if added not in chosen else [])],
                                    documents_only=library.documents_only(conn, conversation_id))

        def used(_none: object) -> None:
            strip = self.composer.strip
            for chip in strip.chips():
                if chip.attachment == document:
                    strip.remove(chip.key)
            self.settings.refresh_collections()
            self.refresh_budget()
            done = QCoreApplication.translate("MainWindow", "“%1” is being added to “%2”; this chat now answers "
                                                            "from it. Send your message again.")
            self.status.showMessage(done.replace("%1", document.name).replace("%2", name), 10000)

        self.knowledge_thread().add(name, [source], lambda _added: self.db.submit(use, used, self.show_error),
                                    self.show_error, create=True)

    def stop_attachments(self: "MainWindow") -> None:
        """No prepared file reaches a closed window; a parse still running ends with the process."""
        self.attach_thread.stop(timeout=0.5)
