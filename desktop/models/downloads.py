"""The model manager's downloads: one row each, with progress, cancel (the part is kept) and resume.

``Downloads`` is mixed into :class:`desktop.models.manager.ModelManager`: it
queues downloads on the manager's download thread, shows their progress at
most every ``PROGRESS_INTERVAL_S``, records finished ones in the database and
offers, when the manager opens, the partial downloads left from before.
Strings are in the manager's translation context ("ModelManager").
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from desktop.background.database import DbThread
from desktop.background.jobs import WorkThread
from desktop.plain import plain_label, visible
from engine import Paths, errors
from engine.hub.download import DownloadProgress, PartialDownload, download_model, list_partial_downloads
from engine.models.files import format_bytes
from engine.models.installed import record_download
from engine.sampling import CancelToken

PROGRESS_INTERVAL_S = 0.1


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


class Downloads:
    """Download rows under the manager's tabs (a mixin: the manager provides what is declared here)."""

    paths: Paths
    db: DbThread
    downloader: WorkThread
    downloads: list[DownloadRow]
    downloads_layout: QVBoxLayout
    hub_status: QLabel
    offline_refusal: Callable[[], bool]
    _changed: Callable[[], None]
    _error: Callable[[object], None]

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
        self._set_row(row, QCoreApplication.translate("ModelManager", "Waiting…"), cancel=True)

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
            row.button.setText(QCoreApplication.translate("ModelManager", "Cancel") if cancel
                               else QCoreApplication.translate("ModelManager", "Resume"))
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
        states = {"checking": QCoreApplication.translate("ModelManager", "Checking the part already downloaded…"),
                  "retrying": QCoreApplication.translate("ModelManager", "Connection lost, retrying…"),
                  "verifying": QCoreApplication.translate("ModelManager", "Verifying…")}
        text = states.get(p.state)
        if text is None:
            eta = (QCoreApplication.translate("ModelManager", ", %1 s left").replace("%1", f"{p.eta_s:.0f}")
                   if p.eta_s is not None else "")
            text = (f"{format_bytes(p.done_bytes)} / {format_bytes(p.total_bytes)} · "
                    f"{format_bytes(int(p.bytes_per_s))}/s{eta}")
        self._set_row(row, text, cancel=True)

    def _downloaded(self, row: DownloadRow, files: list[Path]) -> None:
        row.state = "done"
        if row.bar is not None:
            row.bar.setValue(1000)
        self._set_row(row, QCoreApplication.translate("ModelManager", "Installed"), cancel=False)
        repo, sha = row.repo_id, row.sha256
        self.db.submit(lambda store: record_download(store, files[0], repo_id=repo, sha256=sha),
                       lambda _r: self._changed(), self._error)

    def _download_failed(self, row: DownloadRow, exc: object) -> None:
        if isinstance(exc, errors.DownloadError) and type(exc).__name__ == "DownloadCancelled":
            row.state = "cancelled"
            self._set_row(row, QCoreApplication.translate("ModelManager", "Paused; the part downloaded so far is kept"),
                          cancel=False)
            return
        row.state = "failed"
        self._set_row(row, QCoreApplication.translate("ModelManager", "Failed"), cancel=False)
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
            paused = QCoreApplication.translate("ModelManager", "Paused at %1")
            paused = paused.replace("%1", format_bytes(part.done_bytes))
            self._set_row(row, paused, cancel=False)
