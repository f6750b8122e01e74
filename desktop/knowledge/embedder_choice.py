"""The knowledge window's embedding model: a collection's own model, chosen from a list, with its warning.

``EmbedderChoice`` owns three widgets the window lays out: a caption, a list
of the installed embedding models (each marked multilingual or English only;
the collection's own model selected, also when it is a file elsewhere or one
that is gone) ending with "Download a multilingual model…", and a warning
(the model is missing, or English-only for a mostly Chinese collection, with
multilingual models to choose instead and their download sizes). Choosing
another model asks first, since every passage is embedded again, then goes
through the knowledge thread. "Download…" opens the model manager on a
multilingual model (``open_download``, set by the window's owner), else
says where to find it. The user's remote backends that name a model follow
the local models, "MODEL · on BACKEND (remote)" (their tooltip says the
documents' text is sent there), stored as ``remote://BACKEND/MODEL``; they are
read on the knowledge thread (its store), and choosing one goes the same way
as a local model (the server is asked first: failures show in the error
dialog).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QComboBox, QLabel, QMessageBox, QWidget

from engine.knowledge.collections import Collection, CollectionStatus, EmbedderWarning
from engine.models.files import format_bytes
from engine.remote.embeddings import canonical, embedder_spelling, parse_embedder

from desktop.background.knowledge import KnowledgeThread
from desktop.plain import plain_box, plain_label, tip, visible

if TYPE_CHECKING:
    from engine.models.embedders import EmbedderOption
    from engine.store import Store

DOWNLOAD = "\x00download"   # the list's last item: get a multilingual model
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RemoteEmbedderOption:
    """A backend's model offered as an embedding model: ``choice`` is its ``remote://`` spelling."""

    choice: str
    model: str
    backend: str
    base_url: str


def remote_embedders(store: Store) -> list[RemoteEmbedderOption]:
    """The backends that name a model, in their order (run on the thread owning ``store``; no keys read)."""
    from engine.remote.backends import Backends
    return [RemoteEmbedderOption(embedder_spelling(b.name, b.model), b.model, b.name, b.base_url)
            for b in Backends(store).list(with_keys=False) if b.model]


def _same(choice: str, spelling: str) -> bool:
    """Whether a collection's choice names the remote model ``spelling`` (however it was typed)."""
    try:
        return parse_embedder(choice) is not None and canonical(choice) == spelling
    except Exception:   # a malformed remote:// choice names nothing listed
        return False


class EmbedderChoice(QObject):
    """The chosen collection's embedding model, in ``caption``, ``box`` and ``warning`` (laid out by the window)."""

    def __init__(self, knowledge: KnowledgeThread, parent: QWidget, on_error: Callable[[object], None]) -> None:
        super().__init__(parent)
        self.knowledge, self._parent, self._error = knowledge, parent, on_error
        self.options: list[EmbedderOption] = []
        self.remotes: list[RemoteEmbedderOption] = []
        self.default: str | None = None      # the model of collections that name none
        self.status: CollectionStatus | None = None
        # opens the model manager on a repository (set by whoever owns one)
        self.open_download: Callable[[str], None] | None = None
        self.caption = plain_label(QLabel(objectName="kbEmbedderCaption"))
        self.box = QComboBox(objectName="kbEmbedder")
        self.box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.box.activated.connect(self._activated)
        self.caption.setBuddy(self.box)
        self.warning = plain_label(QLabel(objectName="kbEmbedderWarning"))
        self.warning.setWordWrap(True)
        self.warning.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warning.hide()

    def refresh(self) -> None:
        """Ask the knowledge thread for the embedding models (installed, and the catalog's to download)."""
        def show(found: tuple[list[EmbedderOption], str | None]) -> None:
            self.options, self.default = found
            if self.status is not None:
                self._fill(self.status.collection)
        self.knowledge.embedders(show, self._error)

        def show_remotes(found: list[RemoteEmbedderOption]) -> None:
            self.remotes = found
            if self.status is not None:
                self._fill(self.status.collection)
        # on the knowledge thread, with its own store: a SQLite connection belongs to one thread
        self.knowledge.read(remote_embedders, show_remotes,
                            lambda exc: log.warning("could not list the remote backends: %s", exc))

    def show_status(self, status: CollectionStatus) -> None:
        self.status = status
        self._fill(status.collection)
        self._show_warning(status.embedder_warning)

    def choice(self, coll: Collection) -> str | None:
        """What ``coll`` is embedded with: its own model, else the default."""
        return coll.embedder or self.default

    # --- showing ---------------------------------------------------------------------------------------
    def _text(self, option: EmbedderOption) -> str:
        languages = {"multilingual": self.tr("multilingual"), "en": self.tr("English only"),
                     "unknown": self.tr("languages unknown")}
        return f"{visible(option.name)} — {languages[option.languages]}"

    def _remote_text(self, model: str, backend: str) -> str:
        return self.tr("%1 · on %2 (remote)").replace("%1", visible(model)).replace("%2", visible(backend))

    def _remote_tip(self, backend: str, where: str) -> str:
        return tip(self.tr("The text of the documents is sent to the server of backend %1 (%2) to be embedded.")
                   .replace("%1", backend).replace("%2", where))

    def _name(self, model: str) -> str:
        """How the confirmation names ``model``: a listed model's name, else as :meth:`_unlisted` does."""
        option = next((o for o in self.options if o.matches(model)), None)
        return option.name if option is not None else self._unlisted(model)

    def _unlisted(self, choice: str) -> str:
        """A choice the list does not offer: a backend's model, a file (elsewhere or gone), a name."""
        from engine.models.embedders import is_path_choice
        try:
            parsed = parse_embedder(choice)
        except Exception:   # a malformed remote:// choice: shown as it is
            parsed = None
        if parsed is not None:
            backend, model = parsed
            return self._remote_text(model, backend)
        return Path(choice).name if is_path_choice(choice) else choice

    def _fill(self, coll: Collection) -> None:
        box = self.box
        box.blockSignals(True)
        box.clear()
        choice = self.choice(coll)
        selected = -1
        for option in (o for o in self.options if o.installed):
            box.addItem(self._text(option), option.choice)
            box.setItemData(box.count() - 1, tip(self.tr("%1 dimensions · %2 on disk · about %3 of memory\n%4")
                                                 .replace("%1", str(option.dim or "?"))
                                                 .replace("%2", format_bytes(option.size_bytes))
                                                 .replace("%3", format_bytes(option.memory_bytes))
                                                 .replace("%4", str(option.path))), Qt.ItemDataRole.ToolTipRole)
            if selected < 0 and choice and option.matches(choice):
                selected = box.count() - 1
        if selected < 0 and choice and not any(_same(choice, r.choice) for r in self.remotes):
            # a file outside the models folder, one that is gone, a backend's model no longer listed
            box.addItem(visible(self._unlisted(choice)), choice)
            box.setItemData(box.count() - 1, tip(choice), Qt.ItemDataRole.ToolTipRole)
            selected = box.count() - 1
        if self.remotes and box.count():
            box.insertSeparator(box.count())
        for remote in self.remotes:   # the backends' models: the documents' text goes to their servers
            box.addItem(self._remote_text(remote.model, remote.backend), remote.choice)
            box.setItemData(box.count() - 1, self._remote_tip(remote.backend, remote.base_url),
                            Qt.ItemDataRole.ToolTipRole)
            if selected < 0 and choice and _same(choice, remote.choice):
                selected = box.count() - 1
        if self._offer() is not None:
            box.insertSeparator(box.count())
            box.addItem(self.tr("Download a multilingual model…"), DOWNLOAD)
        box.setCurrentIndex(selected)
        box.blockSignals(False)

    def _show_warning(self, warning: EmbedderWarning | None) -> None:
        if warning is None:
            self.warning.hide()
            self.warning.setText("")
            return
        if warning.kind == "english_only":
            offered = self.tr(" or ").join(self.tr("%1 (%2 download)").replace("%1", visible(name))
                                           .replace("%2", format_bytes(size)) for name, size in warning.suggestions)
            text = self.tr("⚠ This collection is mostly Chinese, but %1 understands only English: semantic search "
                           "will not understand Chinese questions or passages (keyword search still works). "
                           "Choose a multilingual model such as %2.").replace("%1", visible(warning.model)) \
                .replace("%2", offered)
        else:
            text = self.tr("⚠ The embedding model %1 is missing: semantic search is off for this collection "
                           "(keyword search still works). Choose another model above, or download or import it "
                           "again.").replace("%1", visible(warning.model))
        self.warning.setText(text)
        self.warning.setToolTip(tip(warning.message))
        self.warning.show()

    # --- choosing ------------------------------------------------------------------------------------------
    def _activated(self, index: int) -> None:
        if self.status is None:
            return
        data = self.box.itemData(index)
        if data == DOWNLOAD:
            self._fill(self.status.collection)   # the list stays on the collection's model
            self.ask_download()
        elif isinstance(data, str) and data != self.choice(self.status.collection):
            self.change(data)

    def change(self, model: str, *, confirm: bool = True) -> QMessageBox | None:
        """Give the shown collection the embedding model ``model`` (asking first): it is embedded again."""
        if self.status is None:
            return None
        name = self.status.collection.name
        if not confirm:
            self._switch(name, model)
            return None
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Change the embedding model"),
                          self.tr("Embed “%1” with %2? Its %n passages will be embedded again, which takes a "
                                  "while; keyword search keeps working meanwhile.", "", self.status.chunks)
                          .replace("%1", visible(name))
                          .replace("%2", visible(self._name(model))),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self._parent)
        plain_box(box)
        box.setObjectName("kbConfirmEmbedder")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(_result: int) -> None:
            if box.clickedButton() is box.button(QMessageBox.StandardButton.Yes):
                self._switch(name, model)
            else:
                self._back(name)
        box.finished.connect(answered)
        box.open()
        return box

    def _back(self, name: str) -> None:
        """The list shows the model the collection keeps."""
        if self.status is not None and self.status.collection.name == name:
            self._fill(self.status.collection)

    def _switch(self, name: str, model: str) -> None:
        def failed(exc: object) -> None:
            self._back(name)
            self._error(exc)
        self.knowledge.set_embedder(name, model, None, failed)

    def _offer(self) -> EmbedderOption | None:
        """The first multilingual model to download (the catalog lists BGE-M3 first)."""
        return next((o for o in self.options if not o.installed and o.languages == "multilingual" and o.repo), None)

    def ask_download(self) -> QMessageBox | None:
        """The model manager opens on a multilingual model; without one, a message says where to find it."""
        offer = self._offer()
        if offer is None or offer.repo is None:
            return None
        if self.open_download is not None:
            self.open_download(offer.repo)
            return None
        box = QMessageBox(QMessageBox.Icon.Information, self.tr("Download a multilingual model"),
                          self.tr("Download %1 (%2) in File → Models…: search for %3. It then appears in this list.")
                          .replace("%1", visible(offer.name)).replace("%2", format_bytes(offer.size_bytes))
                          .replace("%3", visible(offer.repo)), QMessageBox.StandardButton.Ok, self._parent)
        plain_box(box)
        box.setObjectName("kbDownloadHint")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def retranslate(self) -> None:
        self.caption.setText(self.tr("Embedding model:"))
        if self.status is not None:
            self.show_status(self.status)
