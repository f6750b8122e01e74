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
        self._answered_by = ""   # the backend that computed the last remote reply
        self.api_label = plain_label(QLabel(objectName="apiStatus", visible=False))   # while the local API serves
        self.insertPermanentWidget(0, self.api_label)
        self._api_url: str | None = None
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

    def show_api(self, url: str | None) -> None:
        """The local API server serves at ``url`` (None: it is off): a label while it is on."""
        self._api_url = url
        self.api_label.setVisible(url is not None)
        self.api_label.setText(self.tr("API on %1").replace("%1", url.split("://", 1)[-1].removesuffix("/v1"))
                               if url else "")
        self.api_label.setToolTip(tip(self.tr("Hearth serves its models to other programs at %1 (Settings → "
                                              "Local API server).").replace("%1", url)) if url else "")

    def show_dropped(self, count: int) -> None:
        """Older messages were left out of the prompt being sent."""
        self.showMessage(self.tr("%n older message(s) left out to fit the context", "", count), 8000)

    def show_speed(self, message: Message) -> None:
        """The finished reply's speed; none for a reply that wrote nothing (stopped while the prompt was
        read): its "first token 0.00 s" would be false."""
        self._speed = (message.ttft_ms, message.tokens_per_s) if message.completion_tokens else None
        remote = message.record.get("remote") if isinstance(message.record, dict) else None
        self._answered_by = str(remote.get("backend") or "") if isinstance(remote, dict) else ""
        self.retranslate()
        cut = remote.get("truncated") if isinstance(remote, dict) else None
        if isinstance(cut, dict):   # Ollama cuts a prompt longer than its num_ctx and says nothing
            self.showMessage(self.tr("The server read only %1 of the %2 prompt tokens sent: it cut the conversation "
                                     "to its own context size. Raise the server's context (Ollama: num_ctx) or "
                                     "set the backend's context window lower in Models → Backends.")
                             .replace("%1", f"{cut.get('seen', 0):,}").replace("%2", f"{cut.get('sent', 0):,}"), 20000)

    def _backend_tip(self, info: ModelInfo | None) -> str:
        """Why the GPU holds fewer layers than were planned (it ran out of memory), when it does; for a remote
        model, which server computes the replies."""
        if info is not None and self._state == "loaded" and info.architecture == "remote":
            return self.tr("Replies are computed by the backend %1, not on this computer; what you send goes "
                           "to that server.").replace("%1", visible(info.backend.partition(":")[2]))
        if info is None or self._state != "loaded" or not info.offload_note:
            return ""
        return self.tr("The GPU ran out of memory with more layers, so %1 of %2 layers are on it and the rest "
                       "run on the CPU. Close other programs that use the GPU, or choose a shorter context, "
                       "then reload the model.").replace("%1", str(info.gpu_layers)).replace("%2", str(info.n_layers + 1))

    def retranslate(self) -> None:
        self.show_api(self._api_url)
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
            quant = f"{visible(info.quantization)} · " if info.quantization else ""
            self.model_label.setText(f"{visible(info.name)} · {quant}"
                                     + self.tr("context %1").replace("%1", f"{info.n_ctx:,}"))
            self.model_label.setToolTip(tip(info.path))
        if info is None or self._state != "loaded":
            self.backend_label.setText("")
        elif info.architecture == "remote":   # "Remote · gpu-box": where the replies are computed
            name = info.backend.partition(":")[2]
            text = self.tr("Remote · %1").replace("%1", visible(name))
            if self._answered_by and self._answered_by != name:
                text += " · " + self.tr("answered by %1").replace("%1", visible(self._answered_by))
            self.backend_label.setText(text)
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
