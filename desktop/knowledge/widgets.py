"""Pieces of the knowledge window: the progress row and the problems list (the retrieval test: ``retrieval_test``).

Each one only shows what it is given (a ``IndexProgress``, a ``CollectionStatus``)
and says what the user clicked through its signals; the window talks to the
knowledge thread.
"""
from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QProgressBar, QPushButton,
                               QTableWidget, QTableWidgetItem, QWidget)

from engine import IndexProgress
from engine.knowledge.collections import CollectionStatus

from desktop import errors_ui
from desktop.plain import plain_label, tip, visible

BAR_STEPS = 1000
_ERROR_NAME = re.compile(r"^[A-Z][A-Za-z]+: ")   # "DocumentUnreadable: …" as the indexer records it


def eta_text(seconds: float) -> str:
    """'about 40 s left', 'about 3 min left', 'about 2 h left'."""
    if seconds < 60:
        text, value = QCoreApplication.translate("KnowledgeProgress", "about %1 s left"), str(max(1, round(seconds)))
    elif seconds < 3600:
        text, value = QCoreApplication.translate("KnowledgeProgress", "about %1 min left"), str(round(seconds / 60))
    else:
        text, value = QCoreApplication.translate("KnowledgeProgress", "about %1 h left"), f"{seconds / 3600:.1f}"
    return text.replace("%1", value)


def set_up_table(table: QTableWidget, name: str, stretch: int) -> None:
    """Read-only rows, one selected at a time, the ``stretch`` column taking the rest of the width."""
    table.setObjectName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    table.setWordWrap(False)


class ProgressRow(QWidget):
    """A bar, "n of m files · chunks · about X left", and Pause / Resume / Cancel."""

    pause = Signal()
    resume = Signal()
    cancel = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar(objectName="kbProgress")
        self.bar.setRange(0, BAR_STEPS)
        self.bar.setTextVisible(False)
        self.label = plain_label(QLabel(objectName="kbProgressText"))   # names the file being read
        self.label.setWordWrap(True)
        self.pause_button = QPushButton(objectName="kbPause")
        self.resume_button = QPushButton(objectName="kbResume")
        self.cancel_button = QPushButton(objectName="kbCancel")
        self.pause_button.clicked.connect(self.pause)
        self.resume_button.clicked.connect(self.resume)
        self.cancel_button.clicked.connect(self.cancel)
        line = QHBoxLayout(self)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.bar, 2)
        line.addWidget(self.label, 3)
        for button in (self.pause_button, self.resume_button, self.cancel_button):
            line.addWidget(button)
        self.state = "idle"
        self.retranslate()

    def show_state(self, status: CollectionStatus, progress: IndexProgress | None) -> None:
        """What the collection is doing: ``progress`` is this session's latest report, if any."""
        stored = status.collection.state
        state = progress.state if progress is not None else stored
        if state in ("done", "cancelled", "paused") and stored == "indexing":
            state = "indexing"   # a new run has started; its first report is on its way
        self.state = state
        running = state in ("indexing", "queued")
        self.pause_button.setVisible(running)
        self.cancel_button.setVisible(running or state == "paused")
        self.resume_button.setVisible(not running)
        self.resume_button.setText(self.tr("Resume") if state == "paused" else self.tr("Index now"))
        self.resume_button.setEnabled(bool(status.collection.sources))
        self.bar.setVisible(running or state == "paused")
        if progress is not None and progress.state != "queued":
            self.bar.setValue(round(BAR_STEPS * progress.fraction))
        self.label.setText(self._text(state, status, progress))

    def _text(self, state: str, status: CollectionStatus, p: IndexProgress | None) -> str:
        if state == "queued":
            return self.tr("Waiting for another collection to finish indexing…")
        if state == "indexing" and (p is None or p.state != "indexing"):
            return self.tr("Looking for new and changed files…")
        if state == "indexing" and p is not None:
            text = (self.tr("%1 of %2 files · %3 chunks").replace("%1", f"{p.done:,}")
                    .replace("%2", f"{p.total:,}").replace("%3", f"{p.chunks:,}"))
            if p.eta_s is not None:
                text += " · " + eta_text(p.eta_s)
            return text
        if state == "paused":
            return self.tr("Paused: %1 files still to index. Resume goes on where it stopped.") \
                .replace("%1", f"{max(status.pending, (p.total - p.done) if p else 0):,}")
        if state == "cancelled":
            return self.tr("Cancelled. Files not reached yet are indexed the next time.")
        if not status.collection.sources:
            return self.tr("Add folders or files to index them.")
        return self.tr("Up to date: %1 files, %2 chunks.").replace("%1", f"{status.files['indexed']:,}") \
            .replace("%2", f"{status.chunks:,}")

    def retranslate(self) -> None:
        self.pause_button.setText(self.tr("Pause"))
        self.resume_button.setText(self.tr("Resume") if self.state == "paused" else self.tr("Index now"))
        self.cancel_button.setText(self.tr("Cancel"))


class ProblemsTable(QTableWidget):
    """Files that failed or were skipped, with the reason."""

    def __init__(self) -> None:
        super().__init__(0, 3)
        set_up_table(self, "kbProblems", 2)
        self._status: CollectionStatus | None = None
        self.retranslate()

    def show_status(self, status: CollectionStatus) -> None:
        self._status = status
        words = {"failed": self.tr("failed"), "skipped": self.tr("skipped")}
        self.setRowCount(len(status.problems))
        for row, problem in enumerate(status.problems):
            name = QTableWidgetItem(visible(Path(problem.path).name))
            name.setToolTip(tip(problem.path))
            name.setData(Qt.ItemDataRole.UserRole, problem.path)
            # the engine recorded the reason in English ("DocumentUnreadable: x.pdf is …"): say it in the
            # interface language where the catalogue can; the engine's words stay in the tooltip
            said = errors_ui.recorded(problem.reason)
            reason = QTableWidgetItem(visible(said if said != problem.reason else _ERROR_NAME.sub("", said)))
            reason.setToolTip(tip(problem.reason))
            self.setItem(row, 0, name)
            self.setItem(row, 1, QTableWidgetItem(words.get(problem.status, problem.status)))
            self.setItem(row, 2, reason)
        self.resizeColumnToContents(0)
        self.resizeColumnToContents(1)

    def rows(self) -> list[tuple[str, str, str]]:
        return [tuple(self.item(r, c).text() for c in range(3)) for r in range(self.rowCount())]  # type: ignore[misc]

    def retranslate(self) -> None:
        self.setHorizontalHeaderLabels([self.tr("File"), self.tr("Status"), self.tr("Reason")])
        if self._status is not None:   # the rows too: their reasons are in the interface language
            self.show_status(self._status)
