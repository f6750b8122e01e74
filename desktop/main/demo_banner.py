"""A slim banner over the chat while the starter model is in use.

The starter (SmolLM2 135M) makes Hearth work at once, offline, anywhere;
it is also too small for real work, and it cannot write Chinese. The banner
says so, names the catalog model recommended for this computer's memory
(one that handles Chinese when the window speaks Chinese or the user writes
it) and downloads it in one click; the rest of the flow is unchanged.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QEvent, QLocale, QObject, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from desktop.plain import plain_label

log = logging.getLogger(__name__)

CHINESE_SHARE = 0.3   # a message this much Chinese, Japanese or Korean is "written in Chinese" here
# The largest first model that answers at a usable speed on a processor alone, by its cores (about 5 words
# a second or more at Q4 on a laptop CPU); a GPU, or unified memory, lifts the cap: memory decides alone.
CPU_PARAMETERS = ((4, 2_000_000_000), (8, 4_000_000_000))


@dataclass(frozen=True)
class Recommendation:
    """A catalog model to download instead of the starter."""

    name: str            # "Qwen2.5 1.5B Instruct"
    quantization: str
    size_bytes: int
    repo: str
    filenames: tuple[str, ...]
    sha256: str | None
    chinese: bool        # chosen because Chinese is wanted (it handles Chinese)

    @property
    def label(self) -> str:
        from engine.models.files import format_bytes
        return f"{self.name} ({self.quantization}, {format_bytes(self.size_bytes)})"


def recommendation(language: str | None = None) -> Recommendation | None:
    """The catalog's best chat model for this machine's free memory; with ``language`` "zh", the best one
    that handles Chinese. None when nothing fits. Reads the catalog and the machine: not on the GUI thread."""
    from engine.machine import machine_memory
    from engine.models.catalog import load_catalog, recommend
    machine = machine_memory()
    vram = max((gpu.free for gpu in machine.gpus), default=0)
    catalog = load_catalog()
    exclude = {catalog.starter.entry_id} if catalog.starter is not None else set()
    cap = first_model_cap(os.cpu_count() or 1, has_gpu=bool(machine.gpus))
    exclude |= {e.id for e in catalog.entries if cap is not None and e.parameters > cap}
    found = recommend(catalog, ram_bytes=machine.available_ram, vram_bytes=vram, exclude=exclude, language=language)
    if found is None:
        return None
    entry, file = found
    names = tuple(part.filename for part in file.parts) if file.is_split else (file.filename,)
    return Recommendation(entry.name, file.quantization, file.model_bytes, entry.repo, names, file.sha256,
                          chinese=language == "zh")


def first_model_cap(cores: int, *, has_gpu: bool) -> int | None:
    """The most parameters a first model should have on this machine (None: no cap, memory decides)."""
    if has_gpu:
        return None
    return next((most for upto, most in CPU_PARAMETERS if cores <= upto), None)


def wants_chinese(text: str = "") -> bool:
    """Whether the window speaks Chinese, or ``text`` (a message) is mostly Chinese."""
    from engine.knowledge.normalize import cjk_share
    return QLocale().name().startswith("zh") or (bool(text) and cjk_share(text) >= CHINESE_SHARE)


class DemoBanner(QFrame):
    find_models = Signal()
    download = Signal(object)          # the Recommendation to download now

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("demoBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = plain_label(QLabel())
        self.label.setObjectName("demoText")
        self.label.setWordWrap(True)
        self.download_button = QPushButton()
        self.download_button.setObjectName("demoDownload")
        self.download_button.clicked.connect(lambda: self.download.emit(self._recommendation))
        self.button = QPushButton()
        self.button.setObjectName("demoFindModels")
        self.button.clicked.connect(self.find_models)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.download_button)
        layout.addWidget(self.button)
        self._recommendation: Recommendation | None = None
        self._chinese = False
        self.setVisible(False)
        self.retranslate()

    @property
    def chinese(self) -> bool:
        """Whether the banner speaks for a Chinese user (the starter cannot write Chinese)."""
        return self._chinese

    def set_chinese(self, chinese: bool) -> None:
        self._chinese = chinese
        self.retranslate()

    def set_recommendation(self, found: Recommendation | str | None) -> None:
        """The model to offer; None (or "") when nothing in the catalog fits."""
        self._recommendation = found if isinstance(found, Recommendation) else None
        self.retranslate()

    def recommended(self) -> Recommendation | None:
        return self._recommendation

    def retranslate(self) -> None:
        found = self._recommendation
        if self._chinese:
            text = self.tr("SmolLM2 135M, the demo model in use, cannot write Chinese: its Chinese replies are "
                           "gibberish.")
            if found is not None:
                text += " " + self.tr("For Chinese, download %1: one click, then choose it above.").replace(
                    "%1", found.label)
        else:
            text = self.tr("You are chatting with SmolLM2 135M, a tiny demo model: quick anywhere, but too small "
                           "for real work.")
            if found is not None:
                text += " " + self.tr("Recommended for this computer: %1.").replace("%1", found.label)
        self.label.setText(text)
        self.download_button.setVisible(found is not None)
        if found is not None:
            self.download_button.setText(self.tr("Download %1").replace("%1", found.name))
            self.download_button.setDefault(self._chinese)
        self.button.setText(self.tr("Find models…"))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


class StarterAdvice(QObject):
    """Drives the banner for a window: what to recommend (computed on the database thread), a Chinese
    first message turning the advice to a Chinese-capable model, and the one-click download (through the
    model manager, which shows its progress and adds the model when done)."""

    def __init__(self, banner: DemoBanner, submit: Callable[..., Any], open_manager: Callable[[], Any]) -> None:
        super().__init__(banner)
        self.banner = banner
        self._submit = submit              # the window's database thread: submit(work, done, failed)
        self._open_manager = open_manager
        self._asked: bool | None = None    # the language last asked for: None (never), False, True (Chinese)
        banner.download.connect(self.download)

    def starter_shown(self, shown: bool) -> None:
        """The loaded model is (or is not) the starter: show the banner and its advice."""
        self.banner.setVisible(shown)
        if shown:
            self._advise(self.banner.chinese or wants_chinese())

    def message_sent(self, text: str) -> None:
        """A message the user sent: one mostly in Chinese, to the starter, turns the advice Chinese."""
        if self.banner.isVisible() and not self.banner.chinese and wants_chinese(text):
            self._advise(True)

    def _advise(self, chinese: bool) -> None:
        self.banner.set_chinese(chinese)
        if self._asked is chinese:
            return
        self._asked = chinese
        language = "zh" if chinese else None
        self._submit(lambda _store: recommendation(language), self.banner.set_recommendation, log.info)

    def download(self, found: Recommendation | None) -> None:
        if found is None:
            return
        manager = self._open_manager()
        manager.start_download(found.repo, list(found.filenames), found.sha256)
