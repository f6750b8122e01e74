"""Help → About: Hearth's version, llama.cpp's build and backend, Qt, the licences of bundled parts.

Its buttons open the data folder and the logs folder, and copy a diagnostics
report (:mod:`desktop.settings.diagnostics`: versions, backend, memory, no user
content) to the clipboard for a bug report. The facts are gathered on the
database thread (llama.cpp is asked in a child process); the dialog shows
"Asking llama.cpp…" until they arrive.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from engine import ModelInfo, Paths

from desktop.background.database import DbThread
from desktop.settings.diagnostics import Diagnostics, gather, hearth_version, licences, runtime_versions


class AboutDialog(QDialog):
    """The About window; ``diagnostics`` is None until the facts have been gathered."""

    def __init__(self, *, paths: Paths, db: DbThread, model: Callable[[], ModelInfo | None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.paths, self.db, self._model = paths, db, model
        self.diagnostics: Diagnostics | None = None
        self._error = ""
        self.title = QLabel(objectName="aboutTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.5)
        self.title.setFont(font)
        self.blurb = QLabel(objectName="aboutBlurb")
        self.blurb.setWordWrap(True)
        self.details = QLabel(objectName="aboutDetails")
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.licences_title = QLabel(objectName="aboutLicencesTitle")
        self.licences = QLabel(objectName="aboutLicences")
        self.licences.setTextFormat(Qt.TextFormat.PlainText)
        self.licences.setWordWrap(True)
        self.open_data = QPushButton(objectName="aboutOpenData")
        self.open_logs = QPushButton(objectName="aboutOpenLogs")
        self.copy = QPushButton(objectName="aboutCopyDiagnostics")
        self.copy.setEnabled(False)   # until the facts are in: a half report is worse than none
        self.copied = QLabel(objectName="aboutCopied")
        self.open_data.clicked.connect(lambda: self._open(self.paths.home))
        self.open_logs.clicked.connect(lambda: self._open(self.paths.logs))
        self.copy.clicked.connect(self.copy_diagnostics)
        buttons = QHBoxLayout()
        for button in (self.open_data, self.open_logs, self.copy):
            buttons.addWidget(button)
        buttons.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.title, self.blurb, self.details, self.licences_title, self.licences):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        layout.addWidget(self.copied)
        layout.addWidget(close)
        self.retranslate()
        self.refresh()

    def refresh(self) -> None:
        """Gather the facts again (the loaded model may have changed), off the GUI thread."""
        data_folder, model = self.paths.home, self._model()
        self.db.submit(lambda _store: gather(data_folder, model), self._gathered, self._failed)

    def _gathered(self, diagnostics: Diagnostics) -> None:
        self.diagnostics = diagnostics
        self.copy.setEnabled(True)
        self._show_details()

    def _failed(self, exc: object) -> None:
        self._error = str(exc)
        self._show_details()

    def _show_details(self) -> None:
        if self.diagnostics is None:
            self.details.setText(self.tr("Could not read the details: %1").replace("%1", self._error)
                                 if self._error else self.tr("Asking llama.cpp…"))
            return
        d, b = self.diagnostics, self.diagnostics.llama
        if b.error:
            llama = self.tr("llama.cpp: could not be loaded (%1)").replace("%1", b.error)
        else:
            llama = (self.tr("llama.cpp (llama-cpp-python %1) · backend: %2 · GPU offload: %3")
                     .replace("%1", b.version).replace("%2", b.backend)
                     .replace("%3", self.tr("yes") if b.gpu_offload else self.tr("no")))
            if b.cpu_features:
                llama += "\n" + self.tr("CPU features used: %1").replace("%1", " ".join(b.cpu_features))
        gpus = ", ".join(g.name for g in d.memory.gpus) or self.tr("none found")
        self.details.setText("\n".join([llama, self.tr("GPUs: %1").replace("%1", gpus),
                                        runtime_versions(),
                                        self.tr("Data folder: %1").replace("%1", d.data_folder)]))

    def copy_diagnostics(self) -> None:
        if self.diagnostics is None:
            return
        QGuiApplication.clipboard().setText(self.diagnostics.report())
        self.copied.setText(self.tr("Copied. Paste it into your bug report; it holds no conversations or documents."))

    def _open(self, folder: object) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("About Hearth"))
        self.title.setText(self.tr("Hearth %1").replace("%1", hearth_version()))
        self.blurb.setText(self.tr("A private chat app that runs language models on your own computer. "
                                   "Nothing you type leaves it."))
        self.licences_title.setText(self.tr("Bundled parts and their licences:"))
        self.licences.setText("\n".join(f"{name} {version} — {licence}".replace("  ", " ")
                                        for name, version, licence in licences()))
        self.open_data.setText(self.tr("Open data folder"))
        self.open_logs.setText(self.tr("Open logs"))
        self.copy.setText(self.tr("Copy diagnostics"))
        if self.copied.text():
            self.copied.setText(self.tr("Copied. Paste it into your bug report; it holds no conversations or "
                                        "documents."))
        self._show_details()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
