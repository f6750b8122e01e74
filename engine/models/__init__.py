"""Everything about a model file: what it is, where it is, whether it can be used.

- ``gguf`` — the GGUF header reader (bounded, validated); ``gguf_info`` — what it returns.
- ``kinds`` — chat model, embedding model or projector: one rule, from the header.
- ``files`` — describing model files and scanning folders for them.
- ``installed`` — the models of this computer: the models folder, imports, the starter.
- ``vision`` — projectors (mmproj) paired with the text models they fit.
- ``templates`` — chat templates, sandboxed.
- ``starter`` / ``embedders`` / ``bert_gguf`` — the starter chat and embedding
  models from PyPI, and our BERT → GGUF converter.
- ``names`` — remote names that may become local paths.
- ``catalog`` — the curated catalog (``catalog.json``, package data) and recommendations.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from engine.lazy import front_door

_WHERE = {
    "GGUFInfo": ".gguf", "read_gguf_info": ".gguf",
    "is_projector": ".kinds", "is_embedding_model": ".kinds", "kind_of": ".kinds",
    "InstalledModel": ".files", "ModelScan": ".files", "describe_model": ".files", "scan_models": ".files",
    "format_bytes": ".files", "format_parameters": ".files",
    "installed_models": ".installed", "import_model": ".installed", "remove_model": ".installed",
    "record_download": ".installed",
    "starter_model": ".starter", "is_starter": ".starter",
    "default_embedder": ".embedders", "installed_embedders": ".embedders",
    "load_catalog": ".catalog", "recommend": ".catalog", "estimated_bytes": ".catalog",
    "vision_model_names": ".vision", "find_mmproj": ".vision",
}
__all__ = sorted(_WHERE)
__getattr__ = front_door(__name__, _WHERE, globals())

if TYPE_CHECKING:
    from .catalog import estimated_bytes, load_catalog, recommend
    from .embedders import default_embedder, installed_embedders
    from .files import InstalledModel, ModelScan, describe_model, format_bytes, format_parameters, scan_models
    from .gguf import GGUFInfo, read_gguf_info
    from .installed import import_model, installed_models, record_download, remove_model
    from .kinds import is_embedding_model, is_projector, kind_of
    from .starter import is_starter, starter_model
    from .vision import find_mmproj, vision_model_names
