"""What the runtime is asked and what it reports: load requests, the loaded models' facts, a reply's end.

Plain frozen records, shared by :class:`engine.runtime.client.Runtime`, its
scripted stand-in for tests (:mod:`engine.runtime.scripted`) and the chat that
stores every reply with the :class:`ModelInfo` that wrote it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.models.templates import ChatTemplate

__all__ = ["Done", "EmbedRequest", "EmbedderInfo", "LoadRequest", "ModelInfo"]


@dataclass(frozen=True)
class LoadRequest:
    path: str
    n_ctx: int | None = None             # None: min(4096, trained context)
    n_gpu_layers: int | str = "auto"     # "auto": as many layers as the free GPU memory holds (offload.py)
    n_threads: int | None = None
    template: str | None = None          # a built-in template name to use instead of the model's own
    mmproj: str = ""                     # the image projector to load with it ("": none)
    mmproj_required: bool = True         # False when paired automatically: a failing projector leaves text only


@dataclass(frozen=True)
class ModelInfo:
    """What was loaded, for the status bar and for every reply's record."""

    path: str
    name: str
    architecture: str
    parameters: int
    quantization: str
    size_bytes: int
    n_ctx_train: int
    n_ctx: int
    n_layers: int
    backend: str
    gpu_layers: int
    threads: int
    sha256: str
    load_seconds: float
    template: ChatTemplate = field(repr=False)
    vision: bool = False                 # an image projector is loaded: the model can see images
    mmproj: str | None = None            # that projector's path
    vision_error: str = ""               # why a projector found beside the model could not be loaded
    vram_bytes: int = 0                  # GPU memory the offloaded layers take (estimated from the header)
    offload_note: str = ""               # why fewer layers than planned are on the GPU ("" when as planned)

    def summary(self) -> str:
        return (f"{self.name} · {self.parameters / 1e6:.0f}M · {self.quantization} · "
                f"{self.backend} ({self.gpu_layers}/{self.n_layers + 1} layers offloaded"
                + (f", {self.vram_bytes / 1e9:.1f} GB VRAM" if self.vram_bytes else "") + f") · ctx {self.n_ctx}"
                + (" · vision" if self.vision else ""))


@dataclass(frozen=True)
class EmbedderInfo:
    """The embedding model the worker holds."""

    path: str
    name: str
    dim: int
    n_ctx_train: int
    n_ctx: int          # the most tokens of one text; longer texts are truncated
    pooling: str        # mean | cls | last
    sha256: str
    backend: str
    load_seconds: float


@dataclass(frozen=True)
class EmbedRequest:
    path: str
    n_threads: int | None = None
    n_gpu_layers: int | str = "auto"


@dataclass
class Done:
    """The end of a generation: the worker's statistics."""

    stats: dict[str, Any]
