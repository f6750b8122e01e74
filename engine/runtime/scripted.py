"""A runtime that replays scripted text instead of running a model.

It has ``Runtime``'s interface (``info``, ``load``, ``count_tokens``,
``generate``, ``cancel``, ``unload``, ``close``) and streams the pieces it is
given, at a chosen pace. ``hearth bench gui`` uses it to stream faster than
any model on this machine; the window's widget tests use it for exact,
quick replies (every feature also has a test through the real engine).
"""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Iterator

from engine import errors
from engine.sampling import CancelToken, Sampling
from engine.models.templates import builtin_template
from engine.runtime.client import Done, EmbedderInfo, ModelInfo


class ScriptedRuntime:
    def __init__(self) -> None:
        self.info: ModelInfo | None = None
        self.embedder: EmbedderInfo | None = None   # none held: a subclass that embeds loads one per use
        self.replies: list[list[str]] = []    # scripted replies, used in order (then "Reply n")
        self.delay = 0.0                      # seconds between pieces
        self.crash_after: int | None = None   # raise ModelCrashed after this many pieces
        self.loads: list[tuple[str, int | None]] = []
        self.prompts: list[str] = []
        self.images: list[list[tuple[int, int, bytes]]] = []   # the images sent with each prompt
        self.tokens_per_image = 16
        self._flag = threading.Event()
        self.gate = threading.Event()         # cleared: generation waits before its first piece
        self.gate.set()

    def load(self, path: str, *, n_ctx: int | None = None, mmproj: str | None = None, **_: object) -> ModelInfo:
        """``mmproj`` (any non-empty path) makes the scripted model see images."""
        resolved = str(Path(path).resolve())
        self.loads.append((resolved, n_ctx))
        template = builtin_template("chatml", origin=resolved)
        self.info = ModelInfo(path=resolved, name="Scripted", architecture="llama", parameters=135_000_000,
                              quantization="Q4_1", size_bytes=1, n_ctx_train=8192, n_ctx=n_ctx or 4096,
                              n_layers=30, backend="CPU", gpu_layers=0, threads=2, sha256="0" * 64,
                              load_seconds=0.01, template=template, vision=bool(mmproj),
                              mmproj=str(mmproj) if mmproj else None)
        return self.info

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)

    def image_tokens(self, sizes: list[tuple[int, int]]) -> list[int]:
        if self.info is None or not self.info.vision:
            raise errors.VisionUnsupported("Scripted cannot see images.")
        return [self.tokens_per_image for _ in sizes]

    def generate(self, prompt: str, sampling: Sampling, *, images: list[tuple[int, int, bytes]] | tuple = (),
                 cancel: CancelToken | None = None, reuse_prefix: bool = True) -> Iterator[str | Done]:
        if self.info is None:
            raise errors.NoModelLoaded("No model is loaded.")
        if images and not self.info.vision:
            raise errors.VisionUnsupported("Scripted cannot see images.")
        self.prompts.append(prompt)
        self.images.append(list(images))
        self._flag.clear()
        unhook = cancel.on_cancel(self.cancel) if cancel is not None else (lambda: None)
        pieces = self.replies.pop(0) if self.replies else [f"Reply {len(self.prompts)}"]
        try:
            self.gate.wait(10)
            count = 0
            for piece in pieces:
                if self._flag.is_set():
                    yield Done({"finish_reason": "cancelled", "completion_tokens": count})
                    return
                if self.crash_after is not None and count >= self.crash_after:
                    self.crash_after = None
                    raise errors.ModelCrashed("The process running the model stopped unexpectedly "
                                              "(killed by signal SIGSEGV).", exitcode=-11)
                time.sleep(self.delay)
                count += 1
                yield piece
            yield Done({"finish_reason": "stop", "completion_tokens": count, "ttft_seconds": 0.05,
                        "tokens_per_s": 123.0, "prompt_evaluated": 10})
        finally:
            unhook()

    def cancel(self) -> None:
        self._flag.set()

    def unload(self) -> None:
        self.info = None

    def close(self) -> None:
        self.info = None
