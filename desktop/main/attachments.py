"""Attachments in the main window: take files in, prepare them, check them before sending.

``AttachmentController`` is owned by the main window and speaks to it by
signals. Files come from the paperclip's dialog, a drop
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
from typing import TYPE_CHECKING, Any, Callable, Sequence

from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QIODevice, QObject, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from engine import ModelInfo, errors

from desktop.background.database import DbThread
from desktop.background.engine import ModelWanted
from desktop.background.jobs import WorkThread
from desktop.main.attach_dialogs import too_large_offer, vision_refusal
from desktop.main.attachment_view import DropFilter, attachment_thumbnail
from desktop.main.composer import Composer
from desktop.main.settings_panel import SettingsPanel
from desktop.main.status_bar import StatusBar

if TYPE_CHECKING:
    from engine.store.attachment_files import Attachment

    from desktop.background.knowledge import KnowledgeThread
    from desktop.knowledge.window import KnowledgeWindow

IMAGES = "*.png *.jpg *.jpeg *.webp *.gif *.bmp"
DOCS = "*.txt *.md *.markdown *.rst *.pdf *.docx *.html *.htm *.csv *.tsv *.json *.py"

# Strings here are translated in the main window's context ("MainWindow"): it owns this controller.


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


class AttachmentController(QObject):
    """Attaching, checking before sending, and the knowledge-base offer."""

    collections_changed = Signal()    # a conversation now answers from another collection

    def __init__(self, *, window: QWidget, composer: Composer, drop_target: QWidget, status: StatusBar,
                 settings: SettingsPanel, db: DbThread, conversation_id: Callable[[], int | None],
                 model: Callable[[], tuple[ModelWanted | None, ModelInfo | None]],
                 show_error: Callable[[object], QMessageBox | None],
                 knowledge_thread: Callable[[], "KnowledgeThread"], open_knowledge: Callable[[], "KnowledgeWindow"],
                 open_model_manager: Callable[[], object]) -> None:
        """``window``: the parent of the dialogs; ``drop_target``: a widget that takes dropped files too;
        ``model()``: the model the shown conversation wants and the one loaded."""
        super().__init__(window)
        self.dialog_parent, self.composer, self.status, self.settings, self.db = window, composer, status, settings, db
        self._conversation_id, self._model, self._show_error = conversation_id, model, show_error
        self._knowledge_thread, self._open_knowledge = knowledge_thread, open_knowledge
        self._open_model_manager = open_model_manager
        # prepares attachments one at a time, off the GUI thread (a document runs a parser subprocess)
        self.attach_thread = WorkThread("hearth-attach")
        composer.attach_requested.connect(self.choose_attachments)
        composer.files_given.connect(self.attach_files)
        composer.image_given.connect(self.attach_image)
        self.drops = DropFilter(self)
        self.drops.watch(drop_target)
        self.drops.files.connect(self.attach_files)
        self.drops.image.connect(self.attach_image)

    def choose_attachments(self) -> None:
        filters = ";;".join((
            QCoreApplication.translate("MainWindow", "Images and documents (%1)").replace("%1", f"{IMAGES} {DOCS}"),
            QCoreApplication.translate("MainWindow", "Images (%1)").replace("%1", IMAGES),
            QCoreApplication.translate("MainWindow", "Documents (%1)").replace("%1", DOCS),
            QCoreApplication.translate("MainWindow", "All files (*)")))
        title = QCoreApplication.translate("MainWindow", "Attach files")
        files, _ = QFileDialog.getOpenFileNames(self.dialog_parent, title, str(Path.home()), filters)
        if files:
            self.attach_files(files)

    def attach_files(self, paths: Sequence[str]) -> None:
        """Each file gets a "Reading…" chip now and is prepared in the background."""
        for path in paths:
            name = Path(path).name
            key = self.composer.strip.add_reading(name, path)
            self.attach_thread.submit(lambda p=path: _prepare_file(p), lambda att, k=key: self._attached(k, att),
                                      lambda exc, k=key, n=name: self._attach_failed(k, n, exc))

    def attach_image(self, image: QImage) -> None:
        """Image data (pasted or dropped) is saved as PNG and attached."""
        name = QCoreApplication.translate("MainWindow", "Pasted image")
        key = self.composer.strip.add_reading(name)
        copy = image.copy()  # the worker gets its own pixels
        self.attach_thread.submit(lambda: _prepare_image(copy), lambda att: self._attached(key, att),
                                  lambda exc: self._attach_failed(key, name, exc))

    def _attached(self, key: int, attachment: "Attachment") -> None:
        self.composer.strip.set_ready(key, attachment)

    def _attach_failed(self, key: int, name: str, exc: object) -> None:
        self.composer.strip.remove(key)
        box = self._show_error(exc)
        if box is not None and name not in box.informativeText():
            box.setInformativeText(f"{name}\n\n{box.informativeText()}")

    # --- before and after sending ---------------------------------------------------------------------
    def cannot_see(self, attachments: Sequence["Attachment"]) -> bool:
        """True (and the user is told, with the models that can) when an image meets a model that cannot see.
        A model not loaded yet is checked by the engine when the message is sent."""
        if not any(a.kind == "image" for a in attachments):
            return False
        wanted, info = self._model()
        if info is None or wanted is None or not wanted.is_loaded(info) or info.vision:
            return False
        self.refuse_images(info.name, None)
        return True

    def refuse_images(self, model_name: str, suggestions: Sequence[str] | None) -> None:
        """Show the refusal; without ``suggestions``, the catalog's vision models are looked up first."""
        if suggestions is not None:
            vision_refusal(self.dialog_parent, model_name, list(suggestions), lambda: self._open_model_manager())
            return

        def names(_store: object) -> list[str]:
            from engine.models.vision import vision_model_names
            return vision_model_names()

        self.db.submit(names, lambda found: self.refuse_images(model_name, found),
                       lambda _exc: self.refuse_images(model_name, []))

    def send_refused(self, exc: BaseException, attachments: Sequence["Attachment"]) -> bool:
        """The engine refused before storing anything: ask the right question instead of an error."""
        if isinstance(exc, errors.VisionUnsupported):
            info = self._model()[1]
            name = info.name if info is not None else ""
            self.refuse_images(name, list(exc.suggestions))
            return True
        if isinstance(exc, errors.AttachmentTooLarge):
            documents = [a for a in attachments if a.kind == "document"]
            document = next((a for name in exc.names for a in documents if a.name == name),
                            documents[0] if documents else None)
            name = document.name if document is not None else ""
            too_large_offer(self.dialog_parent, exc, name, lambda: self.offer_knowledge(document))
            return True
        return False

    # --- a document into a knowledge base ------------------------------------------------------------
    def offer_knowledge(self, document: "Attachment | None") -> QInputDialog | None:
        """Open the knowledge window and ask which collection (an existing one, or a new name) gets the file."""
        conversation_id = self._conversation_id()
        if document is None or conversation_id is None:
            return None
        source = self.composer.strip.source_of(document) or str(document.stored)
        window = self._open_knowledge()
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

    def _add_to_knowledge(self, name: str, source: str, document: "Attachment",
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
            self.collections_changed.emit()
            done = QCoreApplication.translate("MainWindow", "“%1” is being added to “%2”; this chat now answers "
                                                            "from it. Send your message again.")
            self.status.showMessage(done.replace("%1", document.name).replace("%2", name), 10000)

        self._knowledge_thread().add(name, [source], lambda _added: self.db.submit(use, used, self._show_error),
                                     self._show_error, create=True)

    def stop(self) -> None:
        """No prepared file reaches a closed window; a parse still running ends with the process."""
        self.attach_thread.stop(timeout=0.5)
