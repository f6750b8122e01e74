"""What a reply's record keeps, and the small helpers every way of writing a reply shares.

``reply_record`` holds everything needed to reproduce a reply (sampling,
model, template, context); ``attachments_record`` what it keeps of a turn's
files; ``render_for`` the model's chat template with the conversation's
thinking switch; ``title_from`` a conversation's title from its first message.
"""
from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Sequence

from engine.chat.attachments import Attachment
from engine.runtime.client import ModelInfo
from engine.sampling import Sampling

if TYPE_CHECKING:
    from engine.chat.service import _Plan


def attachments_record(atts: Sequence[Attachment], plan: "_Plan", sent: list[Attachment]) -> dict[str, Any]:
    """What a reply's record keeps of the attachments: the turn's files, and the images the model saw."""
    return {
        "files": [{"id": a.id, "name": a.name, "kind": a.kind, "sha256": a.sha256, "tokens": plan.tokens_of(a)}
                  for a in atts],
        "images_sent": [{"id": a.id, "name": a.name, "sha256": a.sha256, "tokens": plan.tokens_of(a)}
                        for a in sent],
        "images_from": plan.image_turn,   # an earlier message whose images were re-sent (None: this turn's)
        "image_tokens": sum(plan.tokens_of(a) or 0 for a in sent),
        "document_tokens": sum(plan.document_tokens),
    }


def render_for(info: ModelInfo, settings: Sampling) -> Callable[..., str]:
    """The model's chat template with the conversation's thinking switch (None: the template's default)."""
    return partial(info.template.render, thinking=settings.thinking)


def reply_record(info: ModelInfo, settings: Sampling) -> dict[str, Any]:
    """Everything needed to reproduce a reply."""
    return {
        "sampling": settings.to_dict(),
        "model": {"name": info.name, "path": info.path, "sha256": info.sha256,
                  "quantization": info.quantization, "backend": info.backend, "gpu_layers": info.gpu_layers},
        "template": {"name": info.template.name, "hash": info.template.hash,
                     "merges_system": info.template.merges_system},
        "n_ctx": info.n_ctx,
        "dropped": [],
    }


def title_from(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 60 else line[:57].rstrip() + "…"
