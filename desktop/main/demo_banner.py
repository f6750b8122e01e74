"""A slim banner over the chat while the starter model is in use.

The starter (SmolLM2 135M) makes Hearth work at once, offline, anywhere;
it is also too small for real work. The banner says so, and names the
catalog model recommended for this computer's memory.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from desktop.plain import plain_label


def recommendation_text() -> str:
    """The catalog's best chat model for this machine's free memory, as one line ("" if none fits)."""
    from engine.models.catalog import load_catalog, recommend
    from engine.machine import machine_memory
    from engine.models.files import format_bytes
    machine = machine_memory()
    vram = max((gpu.free for gpu in machine.gpus), default=0)
    catalog = load_catalog()
    exclude = {catalog.starter.entry_id} if catalog.starter is not None else set()
    found = recommend(catalog, ram_bytes=machine.available_ram, vram_bytes=vram, exclude=exclude)
    if found is None:
        return ""
    entry, file = found
    size = file.size_bytes or int((file.approx_size_gb or 0) * 1e9)
    return f"{entry.name} ({file.quantization}, {format_bytes(size)})"


class DemoBanner(QFrame):
    find_models = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("demoBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = plain_label(QLabel())
        self.label.setObjectName("demoText")
        self.label.setWordWrap(True)
        self.button = QPushButton()
        self.button.setObjectName("demoFindModels")
        self.button.clicked.connect(self.find_models)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self._recommendation = ""
        self.setVisible(False)
        self.retranslate()

    def set_recommendation(self, text: str) -> None:
        """E.g. "Qwen2.5 3B Instruct (Q4_K_M, about 2.0 GB)"; "" when nothing in the catalog fits."""
        self._recommendation = text
        self.retranslate()

    def retranslate(self) -> None:
        text = self.tr("You are chatting with SmolLM2 135M, a tiny demo model: quick anywhere, but too small "
                       "for real work.")
        if self._recommendation:
            text += " " + self.tr("Recommended for this computer: %1.").replace("%1", self._recommendation)
        self.label.setText(text)
        self.button.setText(self.tr("Find models…"))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
