"""The knowledge window: collections of the user's documents, their indexing, a retrieval test.

A non-modal window opened with File → Knowledge… (Ctrl+K). On the left,
the collections (files, chunks, state) with New, Rename and Delete; on the
right, the chosen collection: its folders and files (add, remove, or drop
them from the file manager onto the window), indexing progress with Pause,
Resume and Cancel, the files that failed or were skipped and why, the
embedding model (its own, chosen from the installed ones: changing it asks
first and re-embeds; a warning when the model is missing, or English-only for
a mostly Chinese collection), and a box to try a question and see what
retrieval finds.
Everything runs on the ``KnowledgeThread``; closing the window stops
nothing.
"""
from __future__ import annotations

import logging
from pathlib import Path
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (QDialog, QFileDialog, QHBoxLayout, QHeaderView, QInputDialog,
                               QLabel, QListWidget, QListWidgetItem, QMessageBox, QPushButton,
                               QSplitter, QStackedWidget, QStyle, QTableWidget, QTableWidgetItem, QTabWidget,
                               QVBoxLayout, QWidget)

from engine import IndexProgress
from engine.knowledge.collections import Collection, CollectionStatus

from desktop.errors_ui import show_error
from desktop.background.knowledge import KnowledgeThread
from desktop.knowledge.embedder_choice import EmbedderChoice
from desktop.knowledge.retrieval_test import RetrievalTest
from desktop.knowledge.widgets import ProblemsTable, ProgressRow, set_up_table
from desktop.plain import plain_box, plain_input, plain_label, tip, visible

log = logging.getLogger(__name__)


class KnowledgeWindow(QDialog):
    def __init__(self, knowledge: KnowledgeThread, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("knowledgeWindow")
        self.knowledge = knowledge
        self.statuses: dict[str, CollectionStatus] = {}
        self.current: str | None = None
        self._select_next: str | None = None
        self.setAcceptDrops(True)
        split = QSplitter()
        split.addWidget(self._collections_side())
        self.pages = QStackedWidget()
        self.pages.addWidget(self._empty_page())
        self.pages.addWidget(self._details_page())
        split.addWidget(self.pages)
        split.setStretchFactor(1, 1)
        split.setSizes([320, 700])
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        self.resize(1080, 680)
        # A QDialog presses its default button on Enter: with "New…" as that button, Enter in the
        # "Test retrieval" box (or any field here) opened the New collection dialog. No button is default.
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
            button.setDefault(False)
        self.retranslate()
        events = knowledge.events
        events.statuses.connect(self.show_statuses)
        events.progress.connect(self.show_progress)
        events.failed.connect(self._run_failed)
        self.show_statuses(knowledge.last_statuses)
        knowledge.refresh()
        self.embedder.refresh()

    # --- building ----------------------------------------------------------------------------------
    def _collections_side(self) -> QWidget:
        side = QWidget()
        self.table = QTableWidget(0, 4)
        set_up_table(self.table, "kbCollections", 0)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.new_button = QPushButton(objectName="kbNew")
        self.rename_button = QPushButton(objectName="kbRename")
        self.delete_button = QPushButton(objectName="kbDelete")
        self.new_button.clicked.connect(self.ask_new)
        self.rename_button.clicked.connect(self.ask_rename)
        self.delete_button.clicked.connect(lambda: self.delete_current())
        buttons = QHBoxLayout()
        for button in (self.new_button, self.rename_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(side)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        return side

    def _empty_page(self) -> QWidget:
        self.empty_label = plain_label(QLabel(objectName="kbEmpty"))
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setMargin(40)
        return self.empty_label

    def _details_page(self) -> QWidget:
        page = QWidget()
        self.title = plain_label(QLabel(objectName="kbTitle"))
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.model_label = plain_label(QLabel(objectName="kbModel"))
        self.model_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.embedder = EmbedderChoice(self.knowledge, self, self._error)
        model_row = QHBoxLayout()
        model_row.addWidget(self.embedder.caption)
        model_row.addWidget(self.embedder.box)
        model_row.addWidget(self.model_label, 1)
        self.progress = ProgressRow()
        self.progress.pause.connect(lambda: self._if_current(self.knowledge.pause))
        self.progress.resume.connect(lambda: self._if_current(self.knowledge.index))
        self.progress.cancel.connect(lambda: self._if_current(self.knowledge.cancel))
        self.tabs = QTabWidget()
        self.tabs.addTab(self._sources_tab(), "")
        self.tabs.addTab(self._problems_tab(), "")
        self.retrieval = RetrievalTest(self.knowledge, self._error)
        self.tabs.addTab(self.retrieval, "")
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addLayout(model_row)
        layout.addWidget(self.embedder.warning)
        layout.addWidget(self.progress)
        layout.addWidget(self.tabs, 1)
        return page

    def _sources_tab(self) -> QWidget:
        tab = QWidget()
        self.sources = QListWidget(objectName="kbSources")
        self.sources.itemSelectionChanged.connect(self._update_buttons)
        self.sources_hint = QLabel(objectName="kbSourcesHint")
        self.sources_hint.setWordWrap(True)
        self.add_folder_button = QPushButton(objectName="kbAddFolder")
        self.add_files_button = QPushButton(objectName="kbAddFiles")
        self.remove_button = QPushButton(objectName="kbRemoveSource")
        self.add_folder_button.clicked.connect(self._add_folder_clicked)
        self.add_files_button.clicked.connect(self._add_files_clicked)
        self.remove_button.clicked.connect(self.remove_selected_source)
        buttons = QHBoxLayout()
        for button in (self.add_folder_button, self.add_files_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(tab)
        layout.addWidget(self.sources, 1)
        layout.addWidget(self.sources_hint)
        layout.addLayout(buttons)
        return tab

    def _problems_tab(self) -> QWidget:
        tab = QWidget()
        self.problems = ProblemsTable()
        self.retry_button = QPushButton(objectName="kbRetry")
        self.retry_button.clicked.connect(lambda: self._if_current(self._retry))
        layout = QVBoxLayout(tab)
        layout.addWidget(self.problems, 1)
        layout.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignRight)
        return tab

    # --- collections --------------------------------------------------------------------------------
    def show_statuses(self, statuses: list[CollectionStatus]) -> None:
        self.statuses = {s.collection.name: s for s in statuses}
        wanted = self.current
        if self._select_next in self.statuses:  # a collection just made or renamed: show it
            wanted, self._select_next = self._select_next, None
        if wanted not in self.statuses:
            wanted = statuses[0].collection.name if statuses else None
        table = self.table
        table.blockSignals(True)
        table.setRowCount(len(statuses))
        for row, status in enumerate(statuses):
            for column, text in enumerate(self._row_cells(status)):
                item = QTableWidgetItem(visible(text))
                item.setData(Qt.ItemDataRole.UserRole, status.collection.name)
                if column in (1, 2):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                table.setItem(row, column, item)
            if status.collection.name == wanted:
                table.selectRow(row)
        table.blockSignals(False)
        table.resizeColumnsToContents()
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self._show_current(wanted)

    def _row_cells(self, status: CollectionStatus) -> tuple[str, str, str, str]:
        files = f"{status.files['indexed']:,}"
        if status.files["failed"]:
            files += " " + self.tr("(%1 failed)").replace("%1", str(status.files["failed"]))
        return status.collection.name, files, f"{status.chunks:,}", self._state_text(status)

    def _state_text(self, status: CollectionStatus) -> str:
        progress = self.knowledge.latest.get(status.collection.name)
        state = status.collection.state
        if progress is not None and progress.state == "queued":
            return self.tr("Waiting")
        if state == "indexing":
            if progress is not None and progress.state == "indexing" and progress.total:
                return self.tr("Indexing %1%").replace("%1", str(round(100 * progress.fraction)))
            return self.tr("Indexing")
        if state == "paused":
            return self.tr("Paused")
        if not status.collection.sources:
            return self.tr("Empty")
        return self.tr("Ready")

    def _selection_changed(self) -> None:
        items = self.table.selectedItems()
        self._show_current(str(items[0].data(Qt.ItemDataRole.UserRole)) if items else None)

    def _show_current(self, name: str | None) -> None:
        self.current = name
        status = self.statuses.get(name) if name else None
        self.pages.setCurrentIndex(1 if status is not None else 0)
        self._update_buttons()
        if status is None:
            return
        coll = status.collection
        self.title.setText(visible(coll.name))
        self.model_label.setText(visible(self._model_text(coll), newlines=True))
        self.model_label.setToolTip(tip(coll.embed_model or ""))
        self.embedder.show_status(status)
        self._show_sources(coll)
        self.problems.show_status(status)
        problems = status.files["failed"] + status.files["skipped"]
        self.tabs.setTabText(1, self.tr("Problems (%1)").replace("%1", str(problems)) if problems
                             else self.tr("Problems"))
        self.retry_button.setEnabled(status.files["failed"] > 0)
        self.progress.show_state(status, self.knowledge.latest.get(coll.name))
        self.retrieval.set_collection(coll.name)

    def _model_text(self, coll: Collection) -> str:
        if not coll.embed_model:
            return self.tr("Not embedded yet")
        return self.tr("Vectors: %1 (%2 dimensions)").replace("%1", coll.embed_model.split("@")[0]) \
            .replace("%2", str(coll.embed_dim or "?"))

    def _show_sources(self, coll: Collection) -> None:
        selected = {i.data(Qt.ItemDataRole.UserRole) for i in self.sources.selectedItems()}
        self.sources.clear()
        for source in coll.sources:
            folder = Path(source).is_dir()
            icon = self.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon if folder
                                             else QStyle.StandardPixmap.SP_FileIcon)
            item = QListWidgetItem(icon, visible(source))
            item.setData(Qt.ItemDataRole.UserRole, source)
            self.sources.addItem(item)
            item.setSelected(source in selected)
        self._update_buttons()

    def _update_buttons(self) -> None:
        has = self.current is not None
        self.rename_button.setEnabled(has)
        self.delete_button.setEnabled(has)
        self.remove_button.setEnabled(has and bool(self.sources.selectedItems()))

    def _if_current(self, action: object) -> None:
        if self.current is not None:
            action(self.current)  # type: ignore[operator]

    def ask_new(self) -> QInputDialog:
        dialog = self._name_dialog(self.tr("New collection"), self.tr("Name of the collection:"), "")
        dialog.setObjectName("kbNewName")
        dialog.textValueSelected.connect(self.create)
        dialog.open()
        return dialog

    def create(self, name: str) -> None:
        self._select_next = " ".join(name.split())
        self.knowledge.create(name, None, self._not_made)

    def ask_rename(self) -> QInputDialog | None:
        if self.current is None:
            return None
        old = self.current
        dialog = self._name_dialog(self.tr("Rename collection"), self.tr("New name:"), old)
        dialog.setObjectName("kbRenameName")
        dialog.textValueSelected.connect(lambda new: self.rename(old, new))
        dialog.open()
        return dialog

    def rename(self, old: str, new: str) -> None:
        self._select_next = " ".join(new.split())
        self.knowledge.rename(old, new, None, self._not_made)

    def _name_dialog(self, title: str, label: str, text: str) -> QInputDialog:
        dialog = QInputDialog(self)
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        plain_input(dialog)
        dialog.setTextValue(text)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        return dialog

    def delete_current(self, *, confirm: bool = True) -> QMessageBox | None:
        name = self.current
        if name is None:
            return None
        if confirm:
            box = QMessageBox(QMessageBox.Icon.Question, self.tr("Delete collection"),
                              self.tr("Delete the collection “%1” and its index? Your files are not touched: "
                                      "they stay where they are.").replace("%1", visible(name)),
                              QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
            plain_box(box)
            box.setObjectName("kbConfirmDelete")
            box.accepted.connect(lambda: self._delete(name))
            box.open()
            return box
        self._delete(name)
        return None

    def _delete(self, name: str) -> None:
        self.knowledge.delete(name, None, self._error)

    # --- folders and files -------------------------------------------------------------------------------
    def _add_folder_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add a folder"), str(Path.home()))
        if folder:
            self.add_paths([folder])

    def _add_files_clicked(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, self.tr("Add files"), str(Path.home()))
        if files:
            self.add_paths(files)

    def add_paths(self, items: list[str]) -> None:
        """Add to the chosen collection, or to a new one named after the first item when there is none."""
        if not items:
            return
        if self.current is not None:
            self.knowledge.add(self.current, items, None, self._error)
            return
        name = Path(items[0]).name or self.tr("Documents")
        self._select_next = name
        self.knowledge.add(name, items, None, self._not_made, create=True)

    def remove_selected_source(self) -> None:
        items = self.sources.selectedItems()
        if self.current is None or not items:
            return
        for item in items:
            self.knowledge.remove_source(self.current, str(item.data(Qt.ItemDataRole.UserRole)), None, self._error)

    @staticmethod
    def _local_paths(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[str]:
        mime = event.mimeData()
        if mime is None or not mime.hasUrls():
            return []
        return [url.toLocalFile() for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._local_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if self._local_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        items = self._local_paths(event)
        if not items:
            event.ignore()
            return
        event.acceptProposedAction()
        self.add_paths(items)

    # --- indexing -----------------------------------------------------------------------------------------
    def show_progress(self, progress: IndexProgress) -> None:
        status = self.statuses.get(progress.collection)
        if status is None:
            return
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == progress.collection:
                self.table.item(row, 3).setText(self._state_text(status))
        if progress.collection == self.current:
            self.progress.show_state(status, progress)

    def _retry(self, name: str) -> None:
        self.knowledge.retry_failed(name, None, self._error)

    def _run_failed(self, exc: object) -> None:
        if self.isVisible():
            self._error(exc)
        else:
            log.warning("indexing failed: %s", exc)

    # --- the rest -----------------------------------------------------------------------------------------
    def _not_made(self, exc: object) -> None:
        self._select_next = None
        self._error(exc)

    def _error(self, exc: object) -> None:
        if isinstance(exc, BaseException):
            show_error(self, exc)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Knowledge"))
        self.table.setHorizontalHeaderLabels([self.tr("Collection"), self.tr("Files"), self.tr("Chunks"),
                                              self.tr("State")])
        self.new_button.setText(self.tr("New…"))
        self.embedder.retranslate()
        self.rename_button.setText(self.tr("Rename…"))
        self.delete_button.setText(self.tr("Delete"))
        self.empty_label.setText(self.tr(
            "A collection is a set of folders and files that your models can answer from. Hearth reads them, "
            "splits them into passages and keeps a search index; your files stay where they are and are "
            "never changed.\n\nCreate one with New…, or drop folders and files here."))
        self.tabs.setTabText(0, self.tr("Folders and files"))
        self.tabs.setTabText(1, self.tr("Problems"))
        self.tabs.setTabText(2, self.tr("Test retrieval"))
        self.sources_hint.setText(self.tr("Folders are watched while Hearth runs: new and changed files are "
                                          "indexed by themselves. Drop folders or files here to add them."))
        self.add_folder_button.setText(self.tr("Add folder…"))
        self.add_files_button.setText(self.tr("Add files…"))
        self.remove_button.setText(self.tr("Remove"))
        self.retry_button.setText(self.tr("Retry failed"))
        self.progress.retranslate()
        self.problems.retranslate()
        if self.statuses:
            self.show_statuses(list(self.statuses.values()))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def open_knowledge(owner: QWidget, knowledge: KnowledgeThread, window: KnowledgeWindow | None) -> KnowledgeWindow:
    """Show ``window`` (or a new one for ``knowledge``), raised and focused."""
    if window is None:
        window = KnowledgeWindow(knowledge, parent=owner)
        manager = getattr(owner, "open_model_manager", None)   # the main window's model manager, when there is one
        if manager is not None:
            window.embedder.open_download = lambda repo: _show_repo(manager(), repo, window)
    else:
        window.embedder.refresh()   # a model may have been downloaded since
    window.show()
    window.raise_()
    window.activateWindow()
    return window



def _show_repo(manager: QWidget, repo: str, window: KnowledgeWindow) -> None:
    """The model manager on its Find page, showing ``repo``'s files; the list follows what it installs."""
    manager.tabs.setCurrentIndex(1)   # type: ignore[attr-defined]
    manager.show_repo(repo)   # type: ignore[attr-defined]
    manager.models_changed.connect(window.embedder.refresh, Qt.ConnectionType.UniqueConnection)  # type: ignore[attr-defined]
