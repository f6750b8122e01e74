"""The status bar: backend and offloaded layers, the model (with a busy bar while it loads), and the last
reply's speed."""
from __future__ import annotations

from PySide6.QtWidgets import QFrame, QLabel, QProgressBar, QStatusBar, QWidget

from engine import Message, ModelInfo
from engine.models.files import format_bytes

from desktop.plain import plain_label, tip, visible


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend_label = QLabel()
        self.backend_label.setObjectName("backendStatus")
        self.model_label = plain_label(QLabel())   # a model's name is the file's or the catalog's
        self.model_label.setObjectName("modelStatus")
        self.speed_label = QLabel()
        self.speed_label.setObjectName("speedStatus")
        # A load takes seconds for a big model (a context change reloads it too): show that work is going on.
        self.loading_bar = QProgressBar(objectName="loadingProgress", minimum=0, maximum=0, textVisible=False,
                                        maximumWidth=80, maximumHeight=12, visible=False)
        for index, label in enumerate((self.speed_label, self.model_label, self.backend_label)):
            label.setMinimumWidth(1)  # a narrow window cuts the text instead of growing
            if index:
                line = QFrame()
                line.setFrameShape(QFrame.Shape.VLine)
                line.setFrameShadow(QFrame.Shadow.Sunken)
                self.addPermanentWidget(line)
            if label is self.model_label:
                self.addPermanentWidget(self.loading_bar)
            self.addPermanentWidget(label)
        self._info: ModelInfo | None = None
        self._state = "none"  # none | loading | loaded | crashed
        self._loading_name = ""
        self._speed: tuple[float | None, float | None] | None = None
        self.retranslate()

    def show_loading(self, name: str) -> None:
        self._state, self._loading_name = "loading", name
        self.retranslate()

    def show_model(self, info: ModelInfo | None) -> None:
        self._info = info
        self._state = "loaded" if info else "none"
        self.retranslate()

    def show_crashed(self) -> None:
        self._state = "crashed"
        self.retranslate()

    def show_dropped(self, count: int) -> None:
        """Older messages were left out of the prompt being sent."""
        self.showMessage(self.tr("%n older message(s) left out to fit the context", "", count), 8000)

    def show_speed(self, message: Message) -> None:
        """The finished reply's speed; none for a reply that wrote nothing (stopped while the prompt was
        read): its "first token 0.00 s" would be false."""
        self._speed = (message.ttft_ms, message.tokens_per_s) if message.completion_tokens else None
        self.retranslate()

    def _backend_tip(self, info: ModelInfo | None) -> str:
        """Why the GPU holds fewer layers than were planned (it ran out of memory), when it does."""
        if info is None or self._state != "loaded" or not info.offload_note:
            return ""
        return self.tr("The GPU ran out of memory with more layers, so %1 of %2 layers are on it and the rest "
                       "run on the CPU. Close other programs that use the GPU, or choose a shorter context, "
                       "then reload the model.").replace("%1", str(info.gpu_layers)).replace("%2", str(info.n_layers + 1))

    def retranslate(self) -> None:
        info = self._info
        self.loading_bar.setVisible(self._state == "loading")
        self.loading_bar.setAccessibleName(self.tr("Loading the model"))
        if self._state == "loading":
            self.model_label.setText(self.tr("Loading %1…").replace("%1", visible(self._loading_name)))
        elif self._state == "crashed":
            self.model_label.setText(self.tr("The model stopped — reload it to continue"))
        elif info is None:
            self.model_label.setText(self.tr("No model loaded"))
        else:
            self.model_label.setText(f"{visible(info.name)} · {visible(info.quantization)} · "
                                     + self.tr("context %1").replace("%1", f"{info.n_ctx:,}"))
            self.model_label.setToolTip(tip(info.path))
        if info is None or self._state != "loaded":
            self.backend_label.setText("")
        elif info.backend.upper() == "CPU" or info.gpu_layers == 0:
            self.backend_label.setText(self.tr("CPU · %n thread(s)", "", info.threads))
        else:
            # "CUDA · 33/33 layers · 4.1 GB VRAM": how much of the model the GPU holds, and what it takes there
            text = (self.tr("%1 · %2/%3 layers").replace("%1", info.backend).replace("%2", str(info.gpu_layers))
                    .replace("%3", str(info.n_layers + 1)))
            if info.vram_bytes:
                text += " · " + self.tr("%1 VRAM").replace("%1", format_bytes(info.vram_bytes))
            self.backend_label.setText(text)
        self.backend_label.setToolTip(self._backend_tip(info))
        if self._speed is None:
            self.speed_label.setText("")
        else:
            ttft, tps = self._speed
            parts = []
            if ttft is not None:
                parts.append(self.tr("first token %1 s").replace("%1", f"{ttft / 1000:.2f}"))
            if tps:
                parts.append(self.tr("%1 tokens/s").replace("%1", f"{tps:.1f}"))
            self.speed_label.setText(" · ".join(parts))
