"""The model manager: installed models, finding models on the Hub, downloads, remote backends.

A non-modal window with three tabs. "Installed" lists what is on this
computer, chat and embedding models apart, where each is and which one is
loaded (delete, import a .gguf, show in the file manager). "Find models"
shows Hearth's catalog in sections, searches the Hub, lists a repository's
files with the memory each needs here and whether it fits (the recommended
one starred), and downloads with progress, cancel and resume. Opening it
checks that the Hub can be reached and says "offline" when not; the catalog
stays listed (and searchable) offline. Network work runs on its own thread
and downloads on another, so neither ever blocks the window or the database.
"Backends" lists the remote servers Hearth chats through (desktop.models.backends_panel).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QEvent, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont, QShowEvent
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QFileDialog, QHBoxLayout, QHeaderView,
                               QLabel, QLineEdit, QListWidget, QListWidgetItem, QMessageBox, QPushButton,
                               QSplitter, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from engine import Paths, errors
from engine.hub.fit import PlannedChoice, plan_repo
from engine.machine import machine_memory
from engine.hub.search import RepoSummary, search_repos
from engine.models.files import ModelScan, format_bytes
from engine.models.installed import import_model, installed_models, remove_model

from desktop.errors_ui import show_error
from desktop.plain import plain_box, plain_label, visible
from desktop.prefs import Prefs
from desktop.background.database import DbThread
from desktop.background.jobs import WorkThread
from desktop.models.backends_panel import BackendsPanel
from desktop.models.downloads import DownloadRow, Downloads
from desktop.models.installed_panel import InstalledPanel
from desktop.models.listing import CatalogRow, catalog_rows, section_title

log = logging.getLogger(__name__)


class HubThread(WorkThread):
    """Network jobs (search, file lists, remote headers) in order, off the GUI thread."""

    def __init__(self, name: str = "hearth-hub") -> None:
        super().__init__(name)


class ModelManager(Downloads, QDialog):
    models_changed = Signal()
    backends_changed = Signal()   # a backend was added, edited or removed (Backends tab)

    def __init__(self, *, paths: Paths, db: DbThread, parent: QWidget | None = None, n_ctx: int | None = None,
                 loaded_model: Callable[[], str | None] | None = None) -> None:
        """``n_ctx``: the context the memory estimates assume (default: new chats' context from the prefs);
        ``loaded_model``: the path of the model loaded now, if any."""
        super().__init__(parent)
        self.setObjectName("modelManager")
        self.paths, self.db = paths, db
        self.n_ctx = n_ctx or Prefs(paths).default_ctx_size or 4096
        self.loaded_model = loaded_model or (lambda: None)
        self.catalog: list[CatalogRow] = []
        self.hub_offline: bool | None = None   # None: not known yet
        self.hub = HubThread()
        self.downloader = HubThread("hearth-downloads")
        self.downloads: list[DownloadRow] = []
        self.file_rows: list[PlannedChoice] = []
        self.repo_id: str | None = None
        self.offline_notice = plain_label(QLabel(objectName="hubOffline"))   # above both tabs, while unreachable
        self.offline_notice.setWordWrap(True)
        self.offline_notice.setStyleSheet("QLabel { font-weight: bold; }")
        self.offline_notice.hide()
        self.tabs = QTabWidget()
        self.tabs.addTab(self._installed_tab(), "")
        self.tabs.addTab(self._find_tab(), "")
        self.backends = BackendsPanel(db)
        self.backends.changed.connect(self.backends_changed)
        self.tabs.addTab(self.backends, "")
        self.downloads_box = QWidget()
        self.downloads_box.setObjectName("downloads")
        self.downloads_layout = QVBoxLayout(self.downloads_box)
        self.downloads_layout.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.addWidget(self.offline_notice)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.downloads_box)
        self.resize(980, 640)
        self.retranslate()
        self.refresh_installed()
        self._offer_partial_downloads()
        self.show_catalog()
        self.check_hub()

    # --- installed --------------------------------------------------------------------------------
    def _installed_tab(self) -> QWidget:
        self.installed = InstalledPanel(self.paths.models)
        self.installed_table = self.installed.chat_table            # chat models
        self.embedding_table = self.installed.embedding_table       # embedding models
        self.import_button = self.installed.import_button
        self.delete_button = self.installed.delete_button
        self.reveal_button = self.installed.reveal_button
        self.import_button.clicked.connect(self._import_clicked)
        self.delete_button.clicked.connect(lambda: self.delete_selected())
        self.reveal_button.clicked.connect(self._reveal)
        return self.installed

    def refresh_installed(self) -> None:
        folder = self.paths.models
        self.db.submit(lambda store: installed_models(store, folder), self._show_installed, self._error)

    def _show_installed(self, result: ModelScan) -> None:
        self.installed.loaded_path = self.loaded_model()
        self.installed.show_scan(result)

    def set_loaded(self, path: str | None) -> None:
        """The main window loaded another model (None: none is loaded): mark it in the list."""
        self.installed.set_loaded(path)

    def selected_installed(self) -> str | None:
        return self.installed.selected()

    def delete_selected(self, *, confirm: bool = True) -> None:
        path = self.selected_installed()
        if path is None:
            return
        if confirm:
            text = self.tr("Remove %1? Files in Hearth's models folder are deleted; a file you "
                           "imported from elsewhere stays where it is.").replace("%1", visible(Path(path).name))
            box = QMessageBox(QMessageBox.Icon.Question, self.tr("Delete model"), text,
                              QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
            plain_box(box)
            box.setObjectName("confirmDelete")
            box.accepted.connect(lambda: self.delete_selected(confirm=False))
            box.open()
            return
        folder = self.paths.models
        self.db.submit(lambda store: remove_model(store, path, folder), lambda _d: self._changed(), self._error)

    def _import_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Import a model"), str(Path.home()),
                                              self.tr("GGUF models (*.gguf)"))
        if path:
            self.import_path(path)

    def import_path(self, path: str) -> None:
        self.db.submit(lambda store: import_model(store, path), lambda _m: self._changed(), self._error)

    def _reveal(self) -> None:
        path = self.selected_installed()
        if path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent)))

    def _changed(self) -> None:
        self.refresh_installed()
        self.models_changed.emit()

    # --- find on the Hub ------------------------------------------------------------------------------
    def _find_tab(self) -> QWidget:
        page = QWidget()
        self.search_box = QLineEdit(objectName="hubSearch")
        self.search_box.setClearButtonEnabled(True)
        self.sort_box = QComboBox(objectName="hubSort")
        for key in ("downloads", "likes", "recent"):
            self.sort_box.addItem("", key)
        self.search_button = QPushButton(objectName="hubSearchButton")
        self.search_box.returnPressed.connect(self.search)
        self.search_button.clicked.connect(self.search)
        row = QHBoxLayout()
        row.addWidget(self.search_box, 1)
        row.addWidget(self.sort_box)
        row.addWidget(self.search_button)
        self.hub_status = plain_label(QLabel(objectName="hubStatus"))
        self.hub_status.setWordWrap(True)
        self.results = QListWidget(objectName="hubResults")
        self.results.currentItemChanged.connect(self._repo_chosen)
        self.files_table = QTableWidget(0, 6)
        self.files_table.setObjectName("hubFiles")
        self.files_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.files_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.files_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.files_table.verticalHeader().setVisible(False)
        self.files_table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.files_table.itemSelectionChanged.connect(self._update_download_button)
        self.download_button = QPushButton(objectName="downloadModel")
        self.download_button.clicked.connect(self.download_selected)
        self.download_hint = plain_label(QLabel(objectName="downloadHint"))   # why Download is off
        self.download_hint.setWordWrap(True)
        files_side = QWidget()
        files_layout = QVBoxLayout(files_side)
        files_layout.setContentsMargins(0, 0, 0, 0)
        files_layout.addWidget(self.files_table, 1)
        under = QHBoxLayout()
        under.addWidget(self.download_hint, 1)
        under.addWidget(self.download_button)
        files_layout.addLayout(under)
        split = QSplitter()
        split.addWidget(self.results)
        split.addWidget(files_side)
        split.setSizes([300, 650])
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(self.hub_status)
        layout.addWidget(split, 1)
        return page

    def show_catalog(self) -> None:
        """Hearth's curated catalog in sections, biggest that fits this computer first (★: the recommendation)."""
        n_ctx = self.n_ctx
        self.hub.submit(lambda: catalog_rows(n_ctx), self._show_catalog, self._hub_error)

    def _show_catalog(self, rows: list[CatalogRow]) -> None:
        self.catalog = rows
        if self.search_box.text().strip():
            return  # the user searched meanwhile
        self._list_catalog(rows)
        if not self.offline_refusal():
            self.hub_status.setText(self.tr("Recommended models that fit this computer. Search to find others."))

    def _list_catalog(self, rows: list[CatalogRow]) -> None:
        """Fill the list with catalog rows under a heading per section (headings cannot be chosen)."""
        self.results.clear()
        section = None
        for row in rows:
            if row.section != section:
                section = row.section
                heading = QListWidgetItem(section_title(section))
                heading.setFlags(Qt.ItemFlag.ItemIsEnabled)   # drawn as text, never chosen
                font = QFont(self.results.font())
                font.setBold(True)
                heading.setFont(font)
                self.results.addItem(heading)
            item = QListWidgetItem(row.text())   # names shown with visible() there
            item.setData(Qt.ItemDataRole.UserRole, row.repo)
            self.results.addItem(item)

    def catalog_section(self, section: str) -> list[str]:
        """The names listed under a catalog section ("chat", "vision", "embedding"), as shown."""
        return [row.name for row in self.catalog if row.section == section]

    def check_hub(self) -> None:
        """Ask the Hub for one repository, to say "offline" at once when it cannot be reached (never in
        offline mode: then no request at all)."""
        if Prefs(self.paths).offline:
            return
        self.hub.submit(lambda: search_repos("", limit=1), lambda _r: self._set_hub_offline(False),
                        self._hub_check_failed)

    def _hub_check_failed(self, exc: object) -> None:
        if isinstance(exc, errors.HubOffline):
            self._set_hub_offline(True)
        else:   # the Hub answered, if oddly: a search will say what is wrong
            log.info("hub check: %s", exc)
            self._set_hub_offline(False)

    def _set_hub_offline(self, offline: bool) -> None:
        self.hub_offline = offline
        self.offline_notice.setVisible(offline)
        self.offline_notice.setText(self.tr("Offline: the Hugging Face Hub cannot be reached, so searching and "
                                            "downloading do not work now. Hearth's catalog stays listed and "
                                            "installed models keep working."))

    def offline_refusal(self) -> bool:
        """True, saying why, when offline mode (Settings) forbids every network request."""
        if not Prefs(self.paths).offline:
            return False
        self.hub_status.setText(self.tr("Offline mode is on (File → Settings…): Hearth makes no network request, "
                                        "so searching and downloading from the Hugging Face Hub are off. "
                                        "Installed models keep working."))
        return True

    def search(self) -> None:
        query = self.search_box.text().strip()
        if not query:
            self.show_catalog()
            return
        if self.offline_refusal():
            return
        sort = str(self.sort_box.currentData())
        self.hub_status.setText(self.tr("Searching…"))   # the list stays until the answer comes
        self.hub.submit(lambda: search_repos(query, sort=sort, limit=40), self._show_results,
                        lambda exc: self._search_failed(query, exc))

    def _search_failed(self, query: str, exc: object) -> None:
        """Offline, the catalog's matches (or the whole catalog) stay listed instead of an empty list."""
        if not isinstance(exc, errors.HubOffline):
            return self._hub_error(exc)
        self._set_hub_offline(True)
        matching = [row for row in self.catalog if row.matches(query)]
        self._list_catalog(matching or self.catalog)
        self.hub_status.setText(
            self.tr("Offline: the Hub cannot be reached. Showing the models of Hearth's catalog that match.")
            if matching else self.tr("Offline: the Hub cannot be reached, and no model of Hearth's catalog "
                                     "matches. Showing the whole catalog."))

    def _show_results(self, repos: list[RepoSummary]) -> None:
        self._set_hub_offline(False)
        self.results.clear()
        for repo in repos:
            item = QListWidgetItem(f"{visible(repo.repo_id)}\n↓ {repo.downloads:,}  ♥ {repo.likes:,}")
            item.setData(Qt.ItemDataRole.UserRole, repo.repo_id)
            self.results.addItem(item)
        self.hub_status.setText(self.tr("%n repositories", "", len(repos)) if repos
                                else self.tr("No GGUF models match."))

    def _repo_chosen(self, item: QListWidgetItem | None, _previous: object) -> None:
        repo = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if repo:   # a section heading has none
            self.show_repo(str(repo))

    def show_repo(self, repo_id: str) -> None:
        self.repo_id = repo_id
        self.file_rows = []
        self.files_table.setRowCount(0)
        self._update_download_button()
        if self.offline_refusal():
            return
        self.hub_status.setText(self.tr("Reading %1 and checking what fits this computer…")
                                .replace("%1", visible(repo_id)))
        n_ctx = self.n_ctx

        self.hub.submit(lambda: plan_repo(repo_id, n_ctx=n_ctx, machine=machine_memory()),
                        lambda rows: self._show_files(repo_id, rows), self._hub_error)

    def _show_files(self, repo_id: str, rows: list[PlannedChoice]) -> None:
        if repo_id != self.repo_id:
            return
        self.file_rows = rows
        fit_text = {"fits": self.tr("fits"), "tight": self.tr("tight"), "too_big": self.tr("too big")}
        table = self.files_table
        table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            choice = row.choice
            name = choice.files[0].filename + (f" (+{len(choice.files) - 1})" if len(choice.files) > 1 else "")
            if choice.mmproj is not None:
                name += " + " + self.tr("vision")
            cells = ("★" if row.recommended else "", choice.quantization, format_bytes(choice.size_bytes),
                     format_bytes(row.estimate.total_bytes), fit_text.get(row.fit, row.fit), name)
            for column, text in enumerate(cells):
                table.setItem(index, column, QTableWidgetItem(visible(text)))
            if row.recommended:
                table.selectRow(index)
        table.resizeColumnsToContents()
        self._update_download_button()
        self.hub_status.setText(self.tr("Memory needed at a context of %1 tokens. ★ marks the best that fits.")
                                .replace("%1", f"{self.n_ctx:,}") if rows
                                else self.tr("This repository has no GGUF models."))

    def _update_download_button(self) -> None:
        """Download works on a chosen file; when none is chosen, the button is off and says why."""
        row = self.files_table.currentRow()
        chosen = bool(self.files_table.selectedItems()) and 0 <= row < len(self.file_rows)
        if chosen:
            why = ""
        elif self.repo_id is None or not self.file_rows:
            why = self.tr("Choose a model in the list on the left, then one of its files, to download it.")
        else:
            why = self.tr("Choose one of the files above to download it.")
        self.download_button.setEnabled(chosen)
        self.download_button.setToolTip(why)
        self.download_hint.setText(why)

    def _hub_error(self, exc: object) -> None:
        if isinstance(exc, errors.HubOffline):
            self._set_hub_offline(True)
            self.hub_status.setText(self.tr("Offline: the Hub cannot be reached. Installed models keep working."))
            return
        self.hub_status.setText("")
        self._error(exc)

    # --- downloads --------------------------------------------------------------------------------------------
    def download_selected(self) -> None:
        index = self.files_table.currentRow()
        if not 0 <= index < len(self.file_rows) or self.repo_id is None:
            self._update_download_button()   # says what to choose
            return
        choice = self.file_rows[index].choice
        names = [f.filename for f in choice.files] + ([choice.mmproj.filename] if choice.mmproj else [])
        self.start_download(choice.repo_id, names, choice.files[0].sha256)

    # --- the rest ---------------------------------------------------------------------------------------------
    def _error(self, exc: object) -> None:
        if isinstance(exc, BaseException):
            show_error(self, exc)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Models"))
        self.tabs.setTabText(0, self.tr("Installed"))
        self.tabs.setTabText(1, self.tr("Find models"))
        self.tabs.setTabText(2, self.tr("Backends"))
        self.backends.retranslate()
        self.installed.retranslate()
        self.files_table.setHorizontalHeaderLabels(
            ["", self.tr("Quantization"), self.tr("Download"), self.tr("Memory needed"), self.tr("Fit"),
             self.tr("File")])
        self.search_box.setPlaceholderText(self.tr("Search the Hugging Face Hub, e.g. “qwen 1.5b instruct”"))
        for index, text in enumerate((self.tr("Most downloaded"), self.tr("Most liked"), self.tr("Recently updated"))):
            self.sort_box.setItemText(index, text)
        self.search_button.setText(self.tr("Search"))
        self.download_button.setText(self.tr("Download"))
        self._update_download_button()
        if self.hub_offline:
            self._set_hub_offline(True)
        if self.catalog and not self.search_box.text().strip():
            self._list_catalog(self.catalog)   # tags and headings in the new language

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        self.installed.set_loaded(self.loaded_model())   # it may have changed (or crashed) while hidden
        super().showEvent(event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def shutdown(self) -> None:
        """Pause running downloads (their parts are kept) and stop the threads."""
        for row in self.downloads:
            row.cancel.cancel()
        self.hub.stop(timeout=5)
        self.backends.shutdown()
        self.downloader.stop(timeout=30)
