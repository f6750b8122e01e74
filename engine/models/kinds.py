"""What a GGUF file is for, read from its header alone: a chat model, an embedding model, a projector.

One rule for every caller (the model picker, the knowledge base's embedder
list, vision pairing, the llama.cpp worker): a file's name never decides.

- A *projector* (``mmproj``) is a CLIP-style image encoder: architecture
  ``clip``, ``general.type = mmproj``, or a ``clip.has_vision_encoder`` key.
  Only one that names its projector type can be loaded (:func:`usable_projector`).
- An *embedding model* is an encoder architecture (BERT and kin), or any
  architecture whose header sets ``<arch>.pooling_type`` (decoder-based
  embedders such as Qwen3-Embedding): llama.cpp pools its outputs into one vector.
- Everything else is a chat (text generation) model.
"""
from __future__ import annotations

from typing import Literal

from engine.models.gguf import GGUFInfo

EMBEDDING_ARCHITECTURES = frozenset({
    "bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "jina-bert-v3", "neo-bert", "modern-bert",
    "eurobert", "t5encoder", "gemma-embedding"})
PROJECTOR_ARCHITECTURES = frozenset({"clip"})

Kind = Literal["chat", "embedding", "projector"]


def is_projector(info: GGUFInfo) -> bool:
    """A multimodal projector (mmproj): never a model to chat with."""
    meta = info.metadata
    return (info.architecture in PROJECTOR_ARCHITECTURES or meta.get("general.type") == "mmproj"
            or "clip.has_vision_encoder" in meta)


def usable_projector(info: GGUFInfo) -> bool:
    """A projector llama.cpp's multimodal library can load: a vision encoder with a projector type."""
    meta = info.metadata
    return meta.get("clip.has_vision_encoder") is True and isinstance(
        meta.get("clip.projector_type", meta.get("clip.vision.projector_type")), str)


def is_embedding_model(info: GGUFInfo) -> bool:
    """A model that makes embeddings rather than chat replies."""
    if is_projector(info):
        return False
    arch = info.architecture
    return arch in EMBEDDING_ARCHITECTURES or f"{arch}.pooling_type" in info.metadata


def kind_of(info: GGUFInfo) -> Kind:
    """The one word for what the file is for."""
    if is_projector(info):
        return "projector"
    return "embedding" if is_embedding_model(info) else "chat"
