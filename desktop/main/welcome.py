"""The first-run page: what Hearth is, and how to get a model.

Shown instead of the chat while no model is installed. The Hub model
manager plugs in here later; today a GGUF file can be added from disk or
dropped into the models folder.
"""
from __future__ import annotations

import html

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.plain import visible


class WelcomePage(QWidget):
    add_model_file = Signal()
    find_models = Signal()
    open_models_folder = Signal()
    rescan = Signal()

    def __init__(self, models_folder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePage")
        self._folder = models_folder
        self.title = QLabel()
        self.title.setObjectName("welcomeTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        self.title.setFont(font)
        self.body = QLabel()
        self.body.setObjectName("welcomeBody")
        self.body.setWordWrap(True)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.find_button = QPushButton()
        self.find_button.setObjectName("findModels")
        self.find_button.clicked.connect(self.find_models)
        self.add_button = QPushButton()
        self.add_button.setObjectName("addModelFile")
        self.folder_button = QPushButton()
        self.folder_button.setObjectName("openModelsFolder")
        self.rescan_button = QPushButton()
        self.rescan_button.setObjectName("rescanModels")
        self.add_button.clicked.connect(self.add_model_file)
        self.folder_button.clicked.connect(self.open_models_folder)
        self.rescan_button.clicked.connect(self.rescan)
        buttons = QGridLayout()
        for index, button in enumerate((self.find_button, self.add_button, self.folder_button, self.rescan_button)):
            buttons.addWidget(button, index // 2, index % 2)
        buttons.setColumnStretch(2, 1)
        column = QVBoxLayout()
        column.addStretch(1)
        column.addWidget(self.title)
        column.addSpacing(12)
        column.addWidget(self.body)
        column.addSpacing(16)
        column.addLayout(buttons)
        column.addStretch(2)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(column, 4)
        outer.addStretch(1)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Welcome to Hearth"))
        body = self.tr(
            "<p>Hearth runs language models on this computer. Your chats and documents never leave it.</p>"
            "<p><b>To begin, add a model.</b> Models are <i>.gguf</i> files. Add one you already have with "
            "<b>Add a model file…</b>, or copy it into the models folder:</p><p><tt>%1</tt></p>"
            "<p>A small model (about 1–4 GB, such as a 1B–3B “Instruct” model in Q4_K_M) runs well on most "
            "computers; larger ones need more memory and are slower without a graphics card.</p>")
        self.body.setText(body.replace("%1", html.escape(visible(self._folder), quote=False)))
        self.find_button.setText(self.tr("Find a model…"))
        self.add_button.setText(self.tr("Add a model file…"))
        self.folder_button.setText(self.tr("Open the models folder"))
        self.rescan_button.setText(self.tr("Look again"))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
