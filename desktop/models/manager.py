"""The model manager: installed models, finding models on the Hub, downloads.

A non-modal window with two tabs. "Installed" lists what is on this
computer (delete, import a .gguf, show in the file manager). "Find models"
searches the Hub, lists a repository's files with the memory each needs here
and whether it fits (the recommended one starred), and downloads with
progress, cancel and resume. Network work runs on its own thread and
downloads on another, so neither ever blocks the window or the database.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QFileDialog, QHBoxLayout, QHeaderView,
                               QLabel, QLineEdit, QListWidget, QListWidgetItem, QMessageBox, QProgressBar,
                               QPushButton, QSplitter, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout,
                               QWidget)

from engine import Paths, errors
from engine.models.catalog import estimated_bytes, load_catalog, recommend
from engine.hub.download import PartialDownload, DownloadProgress, download_model, list_partial_downloads
from engine.hub.fit import PlannedChoice, plan_repo
from engine.machine import machine_memory
from engine.hub.search import RepoSummary, search_repos
from engine.models.files import ModelScan, format_bytes, format_parameters
from engine.models.installed import import_model, installed_models, record_download, remove_model
from engine.sampling import CancelToken

from desktop.errors_ui import show_error
from desktop.plain import plain_box, plain_label, visible
from desktop.prefs import Prefs
from desktop.background.database import DbThread
from desktop.background.jobs import WorkThread

log = logging.getLogger(__name__)
PROGRESS_INTERVAL_S = 0.1


class HubThread(WorkThread):
    """Network jobs (search, file lists, remote headers) in order, off the GUI thread."""

    def __init__(self, name: str = "hearth-hub") -> None:
        super().__init__(name)


@dataclass
class DownloadRow:
    repo_id: str
    filenames: list[str]
    sha256: str | None
    dest: Path | None = None  # where a resumed partial download lives
    cancel: CancelToken = field(default_factory=CancelToken)
    widget: QWidget | None = None
    bar: QProgressBar | None = None
    label: QLabel | None = None
    button: QPushButton | None = None
    state: str = "queued"     # queued | downloading | done | failed | cancelled
    last_shown: float = 0.0


class ModelManager(QDialog):
    models_changed = Signal()

    def __init__(self, *, paths: Paths, db: DbThread, parent: QWidget | None = None, n_ctx: int = 4096) -> None:
        super().__init__(parent)
        self.setObjectName("modelManager")
        self.paths, self.db, self.n_ctx = paths, db, n_ctx
        self.hub = HubThread()
        self.downloader = HubThread("hearth-downloads")
        self.downloads: list[DownloadRow] = []
        self.file_rows: list[PlannedChoice] = []
        self.repo_id: str | None = None
        self.tabs = QTabWidget()
        self.tabs.addTab(self._installed_tab(), "")
        self.tabs.addTab(self._find_tab(), "")
        self.downloads_box = QWidget()
        self.downloads_box.setObjectName("downloads")
        self.downloads_layout = QVBoxLayout(self.downloads_box)
        self.downloads_layout.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.downloads_box)
        self.resize(980, 640)
        self.retranslate()
        self.refresh_installed()
        self._offer_partial_downloads()
        self.show_catalog()

    # --- installed --------------------------------------------------------------------------------
    def _installed_tab(self) -> QWidget:
        page = QWidget()
        self.installed_table = QTableWidget(0, 7)
        self.installed_table.setObjectName("installedModels")
        self.installed_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.installed_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.installed_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.installed_table.horizontalHeader().setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        self.installed_table.verticalHeader().setVisible(False)
        self.import_button = QPushButton(objectName="importModel")
        self.delete_button = QPushButton(objectName="deleteModel")
        self.reveal_button = QPushButton(objectName="revealModel")
        self.import_button.clicked.connect(self._import_clicked)
        self.delete_button.clicked.connect(lambda: self.delete_selected())
        self.reveal_button.clicked.connect(self._reveal)
        buttons = QHBoxLayout()
        for button in (self.import_button, self.delete_button, self.reveal_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(page)
        layout.addWidget(self.installed_table, 1)
        layout.addLayout(buttons)
        return page

    def refresh_installed(self) -> None:
        folder = self.paths.models
        self.db.submit(lambda store: installed_models(store, folder), self._show_installed, self._error)

    def _show_installed(self, result: ModelScan) -> None:
        vision_dirs = {p.path.parent for p in result.projectors}
        rows = [(m, "✓" if m.path.parent in vision_dirs else "") for m in result.models]
        table = self.installed_table
        table.setRowCount(len(rows))
        for row, (model, vision) in enumerate(rows):
            cells = (model.name, format_parameters(model.parameters), model.quantization,
                     format_bytes(model.size_bytes), f"{model.context_length:,}", vision, str(model.path))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(visible(text))
                item.setData(Qt.ItemDataRole.UserRole, str(model.path))
                table.setItem(row, column, item)
        table.resizeColumnsToContents()

    def selected_installed(self) -> str | None:
        items = self.installed_table.selectedItems()
        return str(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def delete_selected(self, *, confirm: bool = True) -> None:
        path = self.selected_installed()
        if path is None:
            return
        if confirm:
            box = QMessageBox(QMessageBox.Icon.Question, self.tr("Delete model"),
                              self.tr("Remove %1? Files in Hearth's models folder are deleted; a file you "
                                      "imported from elsewhere stays where it is.").replace("%1", visible(Path(path).name)),
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
        self.download_button = QPushButton(objectName="downloadModel")
        self.download_button.clicked.connect(self.download_selected)
        files_side = QWidget()
        files_layout = QVBoxLayout(files_side)
        files_layout.setContentsMargins(0, 0, 0, 0)
        files_layout.addWidget(self.files_table, 1)
        files_layout.addWidget(self.download_button, 0, Qt.AlignmentFlag.AlignRight)
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
        """Hearth's curated catalog, biggest that fits this computer first (★: the recommendation)."""
        n_ctx = self.n_ctx

        def work() -> list[tuple[str, str, bool]]:
            catalog = load_catalog()
            machine = machine_memory()
            budget = 0.75 * (machine.available_ram + machine.gpu_free)
            best = recommend(catalog, ram_bytes=machine.available_ram, vram_bytes=machine.gpu_free, n_ctx=n_ctx,
                             exclude={catalog.starter.entry_id} if catalog.starter else set())
            rows = []
            for entry in sorted(catalog.entries, key=lambda e: -e.parameters):
                fitting = [f for f in entry.files if estimated_bytes(entry, f, n_ctx) <= budget]
                if not fitting:
                    continue
                file = fitting[-1]
                kinds = " · ".join(c for c in entry.capabilities if c != "chat") or "chat"
                text = (f"{entry.name}  ({kinds}, {format_parameters(entry.parameters)}, "
                        f"~{format_bytes(file.total_bytes or int((file.approx_size_gb or 0) * 1e9))})\n{entry.repo}")
                rows.append((text, entry.repo, best is not None and best[0].id == entry.id))
            rows.sort(key=lambda row: not row[2])
            return rows
        self.hub.submit(work, self._show_catalog, self._hub_error)

    def _show_catalog(self, rows: list[tuple[str, str, bool]]) -> None:
        if self.search_box.text().strip():
            return  # the user searched meanwhile
        self.results.clear()
        for text, repo, recommended in rows:
            item = QListWidgetItem(("★ " if recommended else "") + visible(text))
            item.setData(Qt.ItemDataRole.UserRole, repo)
            self.results.addItem(item)
        if not self.offline_refusal():
            self.hub_status.setText(self.tr("Recommended models that fit this computer. Search to find others."))

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
        self.results.clear()
        self.hub_status.setText(self.tr("Searching…"))
        self.hub.submit(lambda: search_repos(query, sort=sort, limit=40), self._show_results, self._hub_error)

    def _show_results(self, repos: list[RepoSummary]) -> None:
        self.results.clear()
        for repo in repos:
            item = QListWidgetItem(f"{visible(repo.repo_id)}\n↓ {repo.downloads:,}  ♥ {repo.likes:,}")
            item.setData(Qt.ItemDataRole.UserRole, repo.repo_id)
            self.results.addItem(item)
        self.hub_status.setText(self.tr("%n repositories", "", len(repos)) if repos
                                else self.tr("No GGUF models match."))

    def _repo_chosen(self, item: QListWidgetItem | None, _previous: object) -> None:
        if item is not None:
            self.show_repo(str(item.data(Qt.ItemDataRole.UserRole)))

    def show_repo(self, repo_id: str) -> None:
        self.repo_id = repo_id
        self.files_table.setRowCount(0)
        if self.offline_refusal():
            return
        self.hub_status.setText(self.tr("Reading %1 and checking what fits this computer…").replace("%1", visible(repo_id)))
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
        self.hub_status.setText(self.tr("Memory needed at a context of %1 tokens. ★ marks the best that fits.")
                                .replace("%1", f"{self.n_ctx:,}") if rows
                                else self.tr("This repository has no GGUF models."))

    def _hub_error(self, exc: object) -> None:
        if isinstance(exc, errors.HubOffline):
            self.hub_status.setText(self.tr("Offline: the Hub cannot be reached. Installed models keep working."))
            return
        self.hub_status.setText("")
        self._error(exc)

    # --- downloads --------------------------------------------------------------------------------------------
    def download_selected(self) -> None:
        index = self.files_table.currentRow()
        if not 0 <= index < len(self.file_rows) or self.repo_id is None:
            return
        choice = self.file_rows[index].choice
        names = [f.filename for f in choice.files] + ([choice.mmproj.filename] if choice.mmproj else [])
        self.start_download(choice.repo_id, names, choice.files[0].sha256)

    def start_download(self, repo_id: str, filenames: list[str], sha256: str | None) -> DownloadRow:
        row = DownloadRow(repo_id, filenames, sha256)
        self._add_download_widget(row, filenames[0])
        self.downloads.append(row)
        self._queue(row)
        return row

    def _queue(self, row: DownloadRow) -> None:
        if self.offline_refusal():
            row.state = "cancelled"
            self._set_row(row, self.hub_status.text(), cancel=False)
            return
        row.state, row.cancel = "queued", CancelToken()
        self._set_row(row, self.tr("Waiting…"), cancel=True)

        def progress(p: DownloadProgress) -> None:
            now = time.monotonic()
            if now - row.last_shown >= PROGRESS_INTERVAL_S or p.state in ("done", "verifying"):
                row.last_shown = now
                self.downloader.post(lambda _v: self._show_progress(row, p), None)

        def work() -> list[Path]:
            return download_model(row.repo_id, row.filenames, dest=row.dest, progress=progress, cancel=row.cancel)
        self.downloader.submit(work, lambda files: self._downloaded(row, files),
                               lambda exc: self._download_failed(row, exc))

    def _add_download_widget(self, row: DownloadRow, title: str) -> None:
        widget = QWidget()
        widget.setObjectName("downloadRow")
        name = plain_label(QLabel(f"{visible(row.repo_id)} · {visible(title)}"))   # names from the Hub
        row.bar, row.label = QProgressBar(), plain_label(QLabel())
        row.bar.setRange(0, 1000)
        row.button = QPushButton()
        row.button.clicked.connect(lambda: self._row_button(row))
        line = QHBoxLayout(widget)
        line.setContentsMargins(6, 2, 6, 2)
        line.addWidget(name, 2)
        line.addWidget(row.bar, 3)
        line.addWidget(row.label, 2)
        line.addWidget(row.button)
        row.widget = widget
        self.downloads_layout.addWidget(widget)

    def _set_row(self, row: DownloadRow, text: str, *, cancel: bool) -> None:
        if row.label is not None and row.button is not None:
            row.label.setText(text)
            row.button.setText(self.tr("Cancel") if cancel else self.tr("Resume"))
            row.button.setVisible(row.state != "done")

    def _row_button(self, row: DownloadRow) -> None:
        if row.state in ("queued", "downloading"):
            row.cancel.cancel()
        else:
            self._queue(row)

    def _show_progress(self, row: DownloadRow, p: DownloadProgress) -> None:
        row.state = "downloading"
        if row.bar is not None and p.total_bytes:
            row.bar.setValue(int(1000 * p.done_bytes / p.total_bytes))
        states = {"checking": self.tr("Checking the part already downloaded…"),
                  "retrying": self.tr("Connection lost, retrying…"), "verifying": self.tr("Verifying…")}
        text = states.get(p.state)
        if text is None:
            eta = self.tr(", %1 s left").replace("%1", f"{p.eta_s:.0f}") if p.eta_s is not None else ""
            text = (f"{format_bytes(p.done_bytes)} / {format_bytes(p.total_bytes)} · "
                    f"{format_bytes(int(p.bytes_per_s))}/s{eta}")
        self._set_row(row, text, cancel=True)

    def _downloaded(self, row: DownloadRow, files: list[Path]) -> None:
        row.state = "done"
        if row.bar is not None:
            row.bar.setValue(1000)
        self._set_row(row, self.tr("Installed"), cancel=False)
        repo, sha = row.repo_id, row.sha256
        self.db.submit(lambda store: record_download(store, files[0], repo_id=repo, sha256=sha),
                       lambda _r: self._changed(), self._error)

    def _download_failed(self, row: DownloadRow, exc: object) -> None:
        if isinstance(exc, errors.DownloadError) and type(exc).__name__ == "DownloadCancelled":
            row.state = "cancelled"
            self._set_row(row, self.tr("Paused; the part downloaded so far is kept"), cancel=False)
            return
        row.state = "failed"
        self._set_row(row, self.tr("Failed"), cancel=False)
        self._error(exc)

    def _offer_partial_downloads(self) -> None:
        folder = self.paths.models
        self.db.submit(lambda _store: list_partial_downloads(folder), self._show_partials, self._error)

    def _show_partials(self, partials: list[PartialDownload]) -> None:
        for part in partials:
            row = DownloadRow(part.repo_id, list(part.group or (part.filename,)), None, dest=part.folder,
                              state="cancelled")
            self._add_download_widget(row, part.filename)
            self.downloads.append(row)
            if row.bar is not None and part.total_bytes:
                row.bar.setValue(int(1000 * part.done_bytes / part.total_bytes))
            self._set_row(row, self.tr("Paused at %1").replace("%1", format_bytes(part.done_bytes)), cancel=False)

    # --- the rest ---------------------------------------------------------------------------------------------
    def _error(self, exc: object) -> None:
        if isinstance(exc, BaseException):
            show_error(self, exc)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Models"))
        self.tabs.setTabText(0, self.tr("Installed"))
        self.tabs.setTabText(1, self.tr("Find models"))
        self.installed_table.setHorizontalHeaderLabels(
            [self.tr("Name"), self.tr("Parameters"), self.tr("Quantization"), self.tr("Size"), self.tr("Context"),
             self.tr("Vision"), self.tr("Path")])
        self.files_table.setHorizontalHeaderLabels(
            ["", self.tr("Quantization"), self.tr("Download"), self.tr("Memory needed"), self.tr("Fit"),
             self.tr("File")])
        self.import_button.setText(self.tr("Import a .gguf…"))
        self.delete_button.setText(self.tr("Delete"))
        self.reveal_button.setText(self.tr("Show in folder"))
        self.search_box.setPlaceholderText(self.tr("Search the Hugging Face Hub, e.g. “qwen 1.5b instruct”"))
        for index, text in enumerate((self.tr("Most downloaded"), self.tr("Most liked"), self.tr("Recently updated"))):
            self.sort_box.setItemText(index, text)
        self.search_button.setText(self.tr("Search"))
        self.download_button.setText(self.tr("Download"))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def shutdown(self) -> None:
        """Pause running downloads (their parts are kept) and stop the threads."""
        for row in self.downloads:
            row.cancel.cancel()
        self.hub.stop(timeout=5)
        self.downloader.stop(timeout=30)
