"""The Settings window (Preferences on macOS): application-wide choices, each applied as it is changed.

Defaults for new chats (the model), how llama.cpp runs (threads, GPU
offload: from the next model load), the default embedding model of new
knowledge collections (from the next start), the data folder (shown and
openable; it moves with ``HEARTH_HOME``), theme, font size, language,
offline mode, and the local API server (``api_group``: the window's switch).
Everything is stored in :class:`desktop.prefs.Prefs` at once;
theme and font size are applied to the whole application here, the language
and offline mode are announced by signal for the window to apply.
"""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QEvent, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QApplication, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout,
                               QGroupBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from engine import InstalledModel, Paths
from engine.models.embedders import installed_embedders

from desktop import languages as i18n
from desktop.background.database import DbThread
from desktop.prefs import THEMES, Prefs
from desktop.settings import theme as looks
from desktop.settings.api_group import ApiGroup
from desktop.settings.api_server import ApiSwitch
from desktop.settings.diagnostics import tilde

GPU_AUTO = -1   # the GPU spin box's "Automatic" value
MAX_GPU_LAYERS = 999


class SettingsDialog(QDialog):
    """Application settings; ``language_chosen`` ("" follows the system) and ``offline_changed`` ask the
    window to apply what only it can."""

    language_chosen = Signal(str)
    offline_changed = Signal(bool)
    engine_changed = Signal()    # threads or GPU offload: used from the next model load

    def __init__(self, *, prefs: Prefs, paths: Paths, db: DbThread, models: list[InstalledModel],
                 parent: QWidget | None = None, api: ApiSwitch | None = None) -> None:
        """``api``: the window's switch for the local API server (its group is shown only with one)."""
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.prefs, self.paths, self.db = prefs, paths, db
        self._filling = False

        self.model = QComboBox(objectName="settingsDefaultModel")
        self.threads = QSpinBox(objectName="settingsThreads")
        self.threads.setRange(0, max(64, os.cpu_count() or 1))
        self.gpu_layers = QSpinBox(objectName="settingsGpuLayers")
        self.gpu_layers.setRange(GPU_AUTO, MAX_GPU_LAYERS)
        self.embedder = QComboBox(objectName="settingsDefaultEmbedder")
        self.data_folder = QLabel(tilde(paths.home), objectName="settingsDataFolder")
        self.open_data = QPushButton(objectName="settingsOpenDataFolder")
        self.move_hint = QLabel(objectName="settingsMoveHint")
        self.move_hint.setWordWrap(True)
        self.theme = QComboBox(objectName="settingsTheme")
        self.font_size = QSpinBox(objectName="settingsFontSize")
        self.font_size.setRange(looks.MIN_FONT - 1, looks.MAX_FONT)   # the lowest value means "the system's"
        self.language = QComboBox(objectName="settingsLanguage")
        self.offline = QCheckBox(objectName="settingsOffline")
        self.offline_hint = QLabel(objectName="settingsOfflineHint")
        self.offline_hint.setWordWrap(True)

        self.chats_box, self.engine_box = QGroupBox(), QGroupBox()
        self.data_box, self.looks_box = QGroupBox(), QGroupBox()
        chats, engine, data, looks_form = (QFormLayout(b) for b in (self.chats_box, self.engine_box,
                                                                     self.data_box, self.looks_box))
        self.labels = {key: QLabel() for key in ("model", "threads", "gpu", "embedder", "folder",
                                                 "theme", "font", "language")}
        chats.addRow(self.labels["model"], self.model)
        chats.addRow(self.labels["embedder"], self.embedder)
        engine.addRow(self.labels["threads"], self.threads)
        engine.addRow(self.labels["gpu"], self.gpu_layers)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.data_folder, 1)
        folder_row.addWidget(self.open_data)
        data.addRow(self.labels["folder"], folder_row)
        data.addRow(self.move_hint)
        data.addRow(self.offline)
        data.addRow(self.offline_hint)
        looks_form.addRow(self.labels["theme"], self.theme)
        looks_form.addRow(self.labels["font"], self.font_size)
        looks_form.addRow(self.labels["language"], self.language)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for box in (self.looks_box, self.chats_box, self.engine_box, self.data_box):
            layout.addWidget(box)
        self.api_group = ApiGroup(api) if api is not None else None
        if self.api_group is not None:
            layout.addWidget(self.api_group)
        layout.addWidget(close)

        self.retranslate()
        self.set_models(models)
        self._load()
        self.model.currentIndexChanged.connect(self._model_chosen)
        self.embedder.currentIndexChanged.connect(self._embedder_chosen)
        self.threads.valueChanged.connect(self._engine_changed)
        self.gpu_layers.valueChanged.connect(self._engine_changed)
        self.theme.currentIndexChanged.connect(self._theme_chosen)
        self.font_size.valueChanged.connect(self._font_chosen)
        self.language.currentIndexChanged.connect(self._language_chosen)
        self.offline.toggled.connect(self._offline_toggled)
        self.open_data.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.paths.home))))
        self.db.submit(lambda store: installed_embedders(store), self._show_embedders, lambda _exc: None)

    # --- filling ---------------------------------------------------------------------------------------
    def set_models(self, models: list[InstalledModel]) -> None:
        """The chat models a new chat can default to (embedding models are not offered)."""
        self._filling = True
        self.model.clear()
        self.model.addItem(self.tr("The first installed model"), "")
        for m in models:
            if not m.is_embedding_model:
                self.model.addItem(m.name, str(m.path))
        self._select(self.model, self.prefs.default_model or "")
        self._filling = False

    def _show_embedders(self, found: list[Path]) -> None:
        self._filling = True
        self.embedder.clear()
        self.embedder.addItem(self.tr("Hearth's default"), "")
        for path in found:
            self.embedder.addItem(path.stem, str(path))
        chosen = self.prefs.default_embedder or ""
        if chosen and self.embedder.findData(chosen) < 0:   # chosen before, not installed now: keep it shown
            self.embedder.addItem(Path(chosen).stem, chosen)
        self._select(self.embedder, chosen)
        self._filling = False

    def _load(self) -> None:
        self._filling = True
        self.threads.setValue(self.prefs.threads or 0)
        layers = self.prefs.gpu_layers
        self.gpu_layers.setValue(GPU_AUTO if layers is None else layers)
        self._select(self.theme, self.prefs.theme)
        self.font_size.setValue(self.prefs.font_size or self.font_size.minimum())
        self._select(self.language, self.prefs.language)
        self.offline.setChecked(self.prefs.offline)
        self._filling = False

    @staticmethod
    def _select(box: QComboBox, data: str) -> None:
        index = box.findData(data)
        box.setCurrentIndex(max(0, index))

    # --- applying ----------------------------------------------------------------------------------------
    def _store(self) -> None:
        self.prefs.sync()

    def _model_chosen(self) -> None:
        if not self._filling:
            self.prefs.default_model = str(self.model.currentData() or "") or None
            self._store()

    def _embedder_chosen(self) -> None:
        if not self._filling:
            self.prefs.default_embedder = str(self.embedder.currentData() or "") or None
            self._store()

    def _engine_changed(self) -> None:
        if self._filling:
            return
        self.prefs.threads = self.threads.value() or None
        layers = self.gpu_layers.value()
        self.prefs.gpu_layers = None if layers == GPU_AUTO else layers
        self._store()
        self.engine_changed.emit()

    def _theme_chosen(self) -> None:
        if self._filling:
            return
        self.prefs.theme = str(self.theme.currentData())
        self._store()
        looks.apply_theme(QApplication.instance(), self.prefs.theme)  # type: ignore[arg-type]

    def _font_chosen(self, value: int) -> None:
        if self._filling:
            return
        self.prefs.font_size = None if value == self.font_size.minimum() else value
        self._store()
        looks.apply_font_size(QApplication.instance(), self.prefs.font_size)  # type: ignore[arg-type]

    def _language_chosen(self) -> None:
        if not self._filling:
            self.language_chosen.emit(str(self.language.currentData()))   # the window stores and installs it

    def _offline_toggled(self, on: bool) -> None:
        if self._filling:
            return
        self.prefs.offline = on
        self._store()
        self.offline_changed.emit(on)

    # --- language ------------------------------------------------------------------------------------------
    def retranslate(self) -> None:
        self._filling, filling = True, self._filling
        self.setWindowTitle(self.tr("Settings"))
        self.looks_box.setTitle(self.tr("Appearance"))
        self.chats_box.setTitle(self.tr("New chats and collections"))
        self.engine_box.setTitle(self.tr("How models run"))
        self.data_box.setTitle(self.tr("Data and network"))
        for key, text in (("model", self.tr("Default model for new chats")),
                          ("embedder", self.tr("Default embedding model for new collections")),
                          ("threads", self.tr("CPU threads")), ("gpu", self.tr("Layers on the GPU")),
                          ("folder", self.tr("Data folder")), ("theme", self.tr("Theme")),
                          ("font", self.tr("Font size")), ("language", self.tr("Language"))):
            self.labels[key].setText(text)
        self.threads.setSpecialValueText(self.tr("Automatic (one per core)"))
        self.gpu_layers.setSpecialValueText(self.tr("Automatic (as many as fit)"))
        self.gpu_layers.setToolTip(self.tr("Automatic puts as many layers on the GPU as its free memory holds "
                                           "(all, when they fit) and fewer if loading runs out of memory; 0 keeps "
                                           "the model on the CPU. Threads and GPU layers apply the next time a "
                                           "model loads."))
        self.threads.setToolTip(self.tr("Threads and GPU layers apply the next time a model loads."))
        self.font_size.setSpecialValueText(self.tr("System"))
        self.font_size.setSuffix(self.tr(" pt"))
        self.open_data.setText(self.tr("Open"))
        self.move_hint.setText(self.tr("To keep your chats and models elsewhere, quit Hearth, move this folder and "
                                       "set the HEARTH_HOME environment variable to its new place."))
        self.offline.setText(self.tr("Offline mode"))
        self.offline_hint.setText(self.tr("Hearth makes no network request at all: searching and downloading "
                                          "models from the Hugging Face Hub are off. Installed models keep "
                                          "working."))
        names = {"system": self.tr("Follow the system"), "light": self.tr("Light"), "dark": self.tr("Dark")}
        current = self.theme.currentData() or self.prefs.theme
        self.theme.clear()
        for code in THEMES:
            self.theme.addItem(names[code], code)
        self._select(self.theme, str(current))
        self.language.clear()
        self.language.addItem(self.tr("Follow the system"), "")
        for code, name in i18n.LANGUAGES.items():
            self.language.addItem(name, code)
        self._select(self.language, self.prefs.language)   # the window stored it before installing it
        if self.model.count():
            self.model.setItemText(0, self.tr("The first installed model"))
        if self.embedder.count():
            self.embedder.setItemText(0, self.tr("Hearth's default"))
        self._filling = filling

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
