"""The model manager's "Installed" tab: chat models and embedding models in two lists.

Each row says where the file is in words a user knows (``~/…``, "Hearth's
models folder"; the full path in the tooltip) and which model is loaded now.
Embedding models are listed apart: they serve knowledge bases and cannot chat.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from desktop.models.listing import friendly_location
from desktop.plain import plain_label, tip, visible
from engine.models.files import InstalledModel, ModelScan, format_bytes, format_parameters

COLUMNS = 8   # name, in use, parameters, quantization, size, context, vision, location
# Strings are in the manager's translation context ("ModelManager"), where their translations already are.


class InstalledPanel(QWidget):
    """Two tables (chat, embedding), one selection between them, and the buttons under them."""

    def __init__(self, models_dir: Path) -> None:
        super().__init__()
        self.models_dir = models_dir
        self.loaded_path: str | None = None
        self.scan: ModelScan | None = None
        self.chat_heading = plain_label(QLabel(objectName="chatModelsHeading"))
        self.embedding_heading = plain_label(QLabel(objectName="embeddingModelsHeading"))
        self.embedding_heading.setWordWrap(True)
        self.chat_table = self._table("installedModels")
        self.embedding_table = self._table("installedEmbeddingModels")
        self.import_button = QPushButton(objectName="importModel")
        self.delete_button = QPushButton(objectName="deleteModel")
        self.reveal_button = QPushButton(objectName="revealModel")
        buttons = QHBoxLayout()
        for button in (self.import_button, self.delete_button, self.reveal_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.chat_heading)
        layout.addWidget(self.chat_table, 3)
        layout.addWidget(self.embedding_heading)
        layout.addWidget(self.embedding_table, 1)
        layout.addLayout(buttons)
        # one selection for both lists: choosing in one clears the other
        self.chat_table.itemSelectionChanged.connect(lambda: self._only(self.chat_table, self.embedding_table))
        self.embedding_table.itemSelectionChanged.connect(lambda: self._only(self.embedding_table, self.chat_table))

    @staticmethod
    def _table(name: str) -> QTableWidget:
        table = QTableWidget(0, COLUMNS)
        table.setObjectName(name)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.horizontalHeader().setSectionResizeMode(COLUMNS - 1, QHeaderView.ResizeMode.Stretch)
        table.verticalHeader().setVisible(False)
        return table

    @staticmethod
    def _only(chosen: QTableWidget, other: QTableWidget) -> None:
        if chosen.selectedItems() and other.selectedItems():
            other.clearSelection()

    def show_scan(self, scan: ModelScan) -> None:
        self.scan = scan
        vision_dirs = {p.path.parent for p in scan.projectors}
        self._fill(self.chat_table, [(m, m.path.parent in vision_dirs) for m in scan.models])
        self._fill(self.embedding_table, [(m, False) for m in scan.embedding])

    def set_loaded(self, path: str | None) -> None:
        """Mark the model loaded now (None: none is)."""
        self.loaded_path = path
        if self.scan is not None:
            self.show_scan(self.scan)

    def _is_loaded(self, model: InstalledModel) -> bool:
        if not self.loaded_path:
            return False
        try:
            return Path(self.loaded_path).resolve() == model.path.resolve()
        except OSError:
            return False

    def _fill(self, table: QTableWidget, rows: list[tuple[InstalledModel, bool]]) -> None:
        table.setRowCount(len(rows))
        bold = QFont(table.font())
        bold.setBold(True)
        for row, (model, vision) in enumerate(rows):
            loaded = self._is_loaded(model)
            in_use = QCoreApplication.translate("ModelManager", "Loaded now") if loaded else ""
            cells = (model.name, in_use, format_parameters(model.parameters), model.quantization,
                     format_bytes(model.size_bytes), f"{model.context_length:,}", "✓" if vision else "",
                     friendly_location(model.path, self.models_dir))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(visible(text))
                item.setData(Qt.ItemDataRole.UserRole, str(model.path))
                item.setToolTip(tip(model.path))
                if loaded:
                    item.setFont(bold)
                table.setItem(row, column, item)
        table.resizeColumnsToContents()

    def selected(self) -> str | None:
        for table in (self.chat_table, self.embedding_table):
            items = table.selectedItems()
            if items:
                return str(items[0].data(Qt.ItemDataRole.UserRole))
        return None

    def retranslate(self) -> None:
        self.chat_heading.setText(QCoreApplication.translate("ModelManager", "Chat models"))
        self.embedding_heading.setText(QCoreApplication.translate(
            "ModelManager", "Embedding models: knowledge bases use them to find passages; they cannot chat"))
        labels = [QCoreApplication.translate("ModelManager", "Name"),
                  QCoreApplication.translate("ModelManager", "In use"),
                  QCoreApplication.translate("ModelManager", "Parameters"),
                  QCoreApplication.translate("ModelManager", "Quantization"),
                  QCoreApplication.translate("ModelManager", "Size"),
                  QCoreApplication.translate("ModelManager", "Context"),
                  QCoreApplication.translate("ModelManager", "Vision"),
                  QCoreApplication.translate("ModelManager", "Location")]
        self.chat_table.setHorizontalHeaderLabels(labels)
        self.embedding_table.setHorizontalHeaderLabels(labels)
        self.import_button.setText(QCoreApplication.translate("ModelManager", "Import a .gguf…"))
        self.delete_button.setText(QCoreApplication.translate("ModelManager", "Delete"))
        self.reveal_button.setText(QCoreApplication.translate("ModelManager", "Show in folder"))
        if self.scan is not None:
            self.show_scan(self.scan)   # "Loaded now" and the folder's name in the new language
