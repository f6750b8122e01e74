"""Attachments in the main window: take files in, prepare them, check them before sending.

``AttachmentController`` is owned by the main window and speaks to it by
signals. Files come from the paperclip's dialog, a drop
on the conversation or the message box, or a pasted image; each gets a
"Reading…" chip at once and is prepared (hashed, copied, validated, a
document parsed) by ``Preparer`` on a thread of its own, independently of
the other files, so a slow PDF never blocks the window, a reply, nor the
files attached after it; a file still not ready after ``PREPARE_LIMIT_S``
(a pipe that never ends) fails and its thread is abandoned. A failure
removes the chip and shows the error, naming the file. Before sending, an image meets a model that cannot see: the user is
told so, with the models that can. When the engine refuses a document too
big for the context, the user is offered a knowledge base instead. Each
budget the context meter shows gives the chips the model's count of their
attachments, so chip, meter and refusal show one number.
"""
from __future__ import annotations

import threading
from collections import deque
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QIODevice, QObject, QTimer, Signal, Slot
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from engine import Budget, ModelInfo, errors

from desktop.background.database import DbThread
from desktop.background.engine import ModelWanted
from desktop.main.attach_dialogs import too_large_offer, vision_refusal
from desktop.main.attachment_view import DropFilter, attachment_thumbnail
from desktop.main.composer import Composer
from desktop.main.settings_panel import SettingsPanel
from desktop.main.status_bar import StatusBar
from desktop.plain import plain_input, visible

if TYPE_CHECKING:
    from engine.store.attachment_files import Attachment

    from desktop.background.knowledge import KnowledgeThread
    from desktop.knowledge.window import KnowledgeWindow

IMAGES = "*.png *.jpg *.jpeg *.webp *.gif *.bmp"
DOCS = "*.txt *.md *.markdown *.rst *.pdf *.docx *.html *.htm *.csv *.tsv *.json *.py"

PREPARE_LIMIT_S = 60.0   # a file not prepared by then fails; the files after it never wait for it
PARALLEL = 3             # files prepared at the same time (a file past its limit no longer counts)

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


def _ignore(_value: object) -> None:
    pass


class Preparer(QObject):
    """Runs each file's preparation on a thread of its own, at most ``parallel`` at a time, each with a time
    limit; results come back on the GUI thread, in the order they finish. A job past its limit gets its
    ``on_error`` with an AttachmentError and its late result is dropped; its thread is left to end alone."""

    _finished = Signal(int, bool, object)

    def __init__(self, parent: QObject | None = None, *, limit_s: float = PREPARE_LIMIT_S,
                 parallel: int = PARALLEL) -> None:
        super().__init__(parent)
        self.limit_s, self.parallel = limit_s, max(1, parallel)
        self._ids = count(1)
        self._waiting: deque[tuple[int, Callable[[], Any], str]] = deque()
        self._running: dict[int, tuple[QTimer, str]] = {}
        self._callbacks: dict[int, tuple[Callable[[Any], None], Callable[[object], None]]] = {}
        self._closed = False
        self._finished.connect(self._done)

    def submit(self, work: Callable[[], Any], on_result: Callable[[Any], None] | None = None,
               on_error: Callable[[object], None] | None = None, *, name: str = "") -> int:
        job = next(self._ids)
        self._callbacks[job] = (on_result or _ignore, on_error or _ignore)
        self._waiting.append((job, work, name))
        self._start_next()
        return job

    def busy(self) -> int:
        """How many jobs are running or waiting."""
        return len(self._running) + len(self._waiting)

    def _start_next(self) -> None:
        while not self._closed and self._waiting and len(self._running) < self.parallel:
            job, work, name = self._waiting.popleft()
            timer = QTimer(self)
            timer.setSingleShot(True)
            timer.timeout.connect(lambda j=job: self._expired(j))
            self._running[job] = (timer, name)
            timer.start(int(self.limit_s * 1000))
            threading.Thread(target=self._run, args=(job, work), name=f"hearth-attach-{job}", daemon=True).start()

    def _run(self, job: int, work: Callable[[], Any]) -> None:
        try:
            result = work()
        except Exception as exc:  # every failure goes back to the GUI thread
            self._emit(job, False, exc)
        else:
            self._emit(job, True, result)

    def _emit(self, job: int, ok: bool, value: object) -> None:
        try:
            self._finished.emit(job, ok, value)
        except RuntimeError:   # the window (and this object) is gone
            pass

    @Slot(int, bool, object)
    def _done(self, job: int, ok: bool, value: object) -> None:
        running = self._running.pop(job, None)
        callbacks = self._callbacks.pop(job, None)
        if running is None or callbacks is None or self._closed:
            return   # past its limit (already reported) or the window closed
        running[0].stop()
        running[0].deleteLater()
        self._start_next()
        (callbacks[0] if ok else callbacks[1])(value)

    def _expired(self, job: int) -> None:
        running = self._running.pop(job, None)
        callbacks = self._callbacks.pop(job, None)
        if running is None or callbacks is None:
            return
        running[0].deleteLater()
        self._start_next()
        seconds = max(1, round(self.limit_s))
        message = QCoreApplication.translate("MainWindow", "“%1” could not be read within %2 s.")
        message = message.replace("%1", visible(running[1])).replace("%2", str(seconds))
        hint = QCoreApplication.translate("MainWindow", "Attach a regular file (not a pipe or a device) "
                                                        "that can be read from this computer.")
        callbacks[1](errors.AttachmentError(message, hint=hint, path=running[1] or None))

    def stop(self) -> None:
        """No result reaches a closed window; threads still reading end with the process."""
        self._closed = True
        self._waiting.clear()
        for timer, _name in self._running.values():
            timer.stop()
        self._running.clear()
        self._callbacks.clear()


class AttachmentController(QObject):
    """Attaching, checking before sending, and the knowledge-base offer."""

    collections_changed = Signal()    # a conversation now answers from another collection
    summary_wanted = Signal()         # send the draft as a section-by-section summary of its documents
    resend_wanted = Signal(int)       # a conversation (id) can now answer the draft: send it again

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
        # prepares each attachment off the GUI thread, independently (a document runs a parser subprocess)
        self.preparer = Preparer(self)
        self.attach_thread = self.preparer   # the name it had when files were prepared one after another
        composer.attach_requested.connect(self.choose_attachments)
        composer.files_given.connect(self.attach_files)
        composer.image_given.connect(self.attach_image)
        self.drops = DropFilter(self)
        self.drops.watch(drop_target)
        self.drops.files.connect(self.attach_files)
        self.drops.image.connect(self.attach_image)
        composer.meter.budget_changed.connect(self._counted)

    def _counted(self, budget: Budget | None) -> None:
        """The chips show the loaded model's count of each attachment (no budget: their estimates)."""
        self.composer.strip.set_counts(dict(budget.counts) if budget is not None else None)

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
            name = Path(path).name or str(path)
            key = self.composer.strip.add_reading(name, path)
            self.preparer.submit(lambda p=path: _prepare_file(p), lambda att, k=key: self._attached(k, att),
                                 lambda exc, k=key, n=name: self._attach_failed(k, n, exc), name=name)

    def attach_image(self, image: QImage) -> None:
        """Image data (pasted or dropped) is saved as PNG and attached."""
        name = QCoreApplication.translate("MainWindow", "Pasted image")
        key = self.composer.strip.add_reading(name)
        copy = image.copy()  # the worker gets its own pixels
        self.preparer.submit(lambda: _prepare_image(copy), lambda att: self._attached(key, att),
                             lambda exc: self._attach_failed(key, name, exc), name=name)

    def _attached(self, key: int, attachment: "Attachment") -> None:
        self.composer.strip.set_ready(key, attachment)

    def _attach_failed(self, key: int, name: str, exc: object) -> None:
        self.composer.strip.remove(key)
        box = self._show_error(exc)
        shown = visible(name)
        if box is not None and shown not in box.informativeText():
            box.setInformativeText(f"{shown}\n\n{box.informativeText()}")

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
            too_large_offer(self.dialog_parent, exc, name, self.composer.text(), self.summary_wanted.emit,
                            lambda: self.offer_knowledge(document))
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
        dialog.setLabelText(label.replace("%1", visible(document.name)))
        plain_input(dialog)
        dialog.setComboBoxItems(([window.current] if window.current else []) +
                                [n for n in names if n != window.current] + ([] if new_name in names else [new_name]))
        dialog.setComboBoxEditable(True)
        dialog.textValueSelected.connect(
            lambda name: self._add_to_knowledge(" ".join(name.split()), source, document, conversation_id))
        dialog.open()
        return dialog

    def _add_to_knowledge(self, name: str, source: str, document: "Attachment",
                          conversation_id: int) -> None:
        """Add the file, let the conversation use the collection, and once it is indexed send the draft again
        (without the document: its passages come from the collection)."""
        if not name:
            return
        thread = self._knowledge_thread()
        waiting = {"indexed": False, "used": False}

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
            waiting["used"] = True
            if waiting["indexed"]:
                ready()
            else:
                self.status.showMessage(QCoreApplication.translate(
                    "MainWindow", "Adding “%1” to “%2”; your message is sent again once it is indexed.")
                    .replace("%1", visible(document.name)).replace("%2", visible(name)), 60000)

        def progress(p: Any) -> None:
            if " ".join(p.collection.split()) != " ".join(name.split()) or p.state not in ("done", "cancelled"):
                return
            thread.events.progress.disconnect(progress)
            if p.state == "cancelled":
                self.status.showMessage(QCoreApplication.translate(
                    "MainWindow", "Indexing “%1” stopped; send your message when it is ready.")
                    .replace("%1", visible(name)), 10000)
                return
            waiting["indexed"] = True
            if waiting["used"]:
                ready()

        def ready() -> None:
            self.status.showMessage(QCoreApplication.translate(
                "MainWindow", "“%1” is in “%2”; this chat now answers from it.")
                .replace("%1", visible(document.name)).replace("%2", visible(name)), 10000)
            if self._conversation_id() == conversation_id and self.composer.text().strip():
                self.resend_wanted.emit(conversation_id)

        def failed(exc: object) -> None:
            try:
                thread.events.progress.disconnect(progress)
            except (RuntimeError, TypeError):
                pass
            self._show_error(exc)

        thread.events.progress.connect(progress)
        thread.add(name, [source], lambda _added: self.db.submit(use, used, failed), failed, create=True)

    def stop(self) -> None:
        """No prepared file reaches a closed window; a parse still running ends with the process."""
        self.preparer.stop()
