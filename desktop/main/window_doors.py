"""The main window's doors to the other windows and to model files: the model manager, the knowledge
window and its thread (both made on first use), adding a model file, the models folder.

A mixin of ``MainWindow`` (desktop/main/window.py), which holds the state these use (``paths``, ``prefs``,
``db``, ``engine``, ``settings``, ``info``, ``model_manager``, ``knowledge_window``, ``_knowledge``); kept
apart so that the window module stays about layout and wiring. Strings keep the ``MainWindow`` context.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog

from engine.models.files import InstalledModel
from engine.models.installed import import_model

if TYPE_CHECKING:
    from desktop.background.knowledge import KnowledgeThread
    from desktop.knowledge.window import KnowledgeWindow
    from desktop.models.manager import ModelManager


class WindowDoors:
    """Opening what lies beside the chat (mixed into ``MainWindow``)."""

    paths: Any
    prefs: Any
    db: Any
    engine: Any
    settings: Any
    info: Any
    model_manager: "ModelManager | None"
    knowledge_window: "KnowledgeWindow | None"
    _knowledge: "KnowledgeThread | None"

    def add_model_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, QCoreApplication.translate("MainWindow", "Add a model file"), str(Path.home()),
                                              QCoreApplication.translate("MainWindow", "GGUF models (*.gguf)"))
        if path:
            self.add_model_path(path)

    def add_model_path(self, path: str) -> None:
        """Import a .gguf by reference; a bad file is refused with its reason."""
        def added(model: InstalledModel) -> None:
            if not self.prefs.default_model:
                self.prefs.default_model = str(model.path)
            self.rescan_models()
        self.db.submit(lambda store: import_model(store, path), added, self.show_error)

    def open_model_manager(self) -> "ModelManager":
        """The model manager window (created on first use: it starts its own network threads)."""
        if self.model_manager is None:
            from desktop.models.manager import ModelManager
            self.model_manager = ModelManager(paths=self.paths, db=self.db, parent=self,   # context: from the prefs
                                              loaded_model=lambda: self.info.path if self.info else None)
            self.model_manager.models_changed.connect(self.rescan_models)
            self.model_manager.backends_changed.connect(self.backends_changed)
        self.model_manager.show()
        self.model_manager.raise_()
        return self.model_manager

    def knowledge_thread(self) -> "KnowledgeThread":
        """The knowledge base's thread (started on first use: it has its own worker process)."""
        if self._knowledge is None:
            from desktop.background.knowledge import KnowledgeThread
            self._knowledge = KnowledgeThread(self.engine.home, after=self.db.ready)
            self._knowledge.events.statuses.connect(lambda _statuses: self.settings.refresh_collections())
        return self._knowledge

    def open_knowledge(self) -> "KnowledgeWindow":
        """The knowledge window (File → Knowledge…), raised."""
        from desktop.knowledge.window import open_knowledge
        self.knowledge_window = open_knowledge(self, self.knowledge_thread(), self.knowledge_window)
        return self.knowledge_window

    def open_models_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.paths.models)))
