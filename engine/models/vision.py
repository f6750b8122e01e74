"""Which models can see: image projectors (mmproj) paired with text models, and the catalog's vision models.

A vision model is a text model plus a projector file. :func:`find_mmproj`
pairs them without loading anything, from GGUF headers alone: first the
catalog's own pairing (a model file named by a catalog entry, its projector
downloaded beside it), then a ``*mmproj*.gguf`` in the model's folder whose
vision encoder projects to the model's embedding size
(``clip.vision.projection_dim`` = ``<arch>.embedding_length``) and that
belongs to it: its name carries the model's (``mmproj-Foo-7B-f16.gguf`` for
``Foo-7B-Q4_K_M.gguf``), or the folder holds no other model (a Hub
repository's folder: ``mmproj-model-f16.gguf``). Many models share an
embedding size, so a projector is never paired across unrelated models in a
shared folder. Among several, the one named for the model and in full
precision wins.
"""
from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import ModelError, ModelInvalid, ModelLoadFailed
from engine.models.gguf import GGUFInfo, read_gguf_info
from engine.models.kinds import usable_projector

if TYPE_CHECKING:
    from engine.models.catalog import Catalog, CatalogEntry

log = logging.getLogger(__name__)

MEDIA_MARKER = "<__media__>"   # where an image goes in a prompt: llama.cpp's mtmd_default_marker() (tests check)

# Models whose image positions use M-RoPE (Qwen2-VL and later): Hearth's image path refuses them
# (engine.runtime.native_vision), so they are not suggested.
_UNSUPPORTED = re.compile(r"qwen[\d.]*-?vl", re.I)
_QUANT = re.compile(r"[-_.](?:i?q\d[\w]*|f16|f32|bf16)$", re.I)


def projection_dim(info: GGUFInfo) -> int | None:
    """The width of the embeddings the projector makes (must equal the text model's), if the header says."""
    value = info.metadata.get("clip.vision.projection_dim")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check_projector(mmproj: str | os.PathLike[str], model: GGUFInfo) -> GGUFInfo:
    """The projector's header, checked against the text model; raises ModelNotFound / ModelInvalid /
    ModelLoadFailed naming both files."""
    path = os.fspath(mmproj)
    info = read_gguf_info(path)   # ModelNotFound, ModelInvalid
    if not usable_projector(info):
        raise ModelInvalid(f"{path} is not an image projector (mmproj) file.", path=path,
                           hint="Choose the mmproj file published with the model, or none.")
    dim, n_embd = projection_dim(info), model.embedding_length
    if dim is not None and n_embd is not None and dim != n_embd:
        raise ModelLoadFailed(
            f"The image projector {path} does not fit the model {model.path}: it makes embeddings of "
            f"{dim} values, the model expects {n_embd}.", path=path,
            hint="Use the mmproj file published with this model.", reason="projector_dim",
            params={"model": model.path, "dim": dim, "n_embd": n_embd})
    return info


def _fits(candidate: Path, n_embd: int | None, *, need_dim: bool) -> bool:
    try:
        info = read_gguf_info(candidate)
    except ModelError:
        return False
    if not usable_projector(info):
        return False
    dim = projection_dim(info)
    if dim is None or n_embd is None:
        return not need_dim
    return dim == n_embd


def _stem(name: str) -> str:
    base = name[:-5] if name.lower().endswith(".gguf") else name
    return _QUANT.sub("", base).lower()


def find_mmproj(model_path: str | os.PathLike[str], *, model: GGUFInfo | None = None,
                catalog: "Catalog | None" = None) -> Path | None:
    """The projector that goes with this model, from the catalog or its folder; None when there is none.

    Only headers are read. ``model`` is the model's header when the caller has it; ``catalog``
    defaults to Hearth's own.
    """
    path = Path(os.fspath(model_path))
    folder = path.parent
    try:
        model = model or read_gguf_info(path)
    except ModelError:
        return None
    n_embd = model.embedding_length
    for name in _catalog_projectors(path.name, catalog):
        candidate = folder / name
        if candidate.is_file() and _fits(candidate, n_embd, need_dim=False):
            return candidate
    try:
        names = sorted(p.name for p in folder.iterdir())
    except OSError:
        return None
    stem = _stem(path.name)
    others = [n for n in names if n.lower().endswith(".gguf") and "mmproj" not in n.lower() and n != path.name]
    one_model = all(_stem(n) == stem for n in others)   # the folder holds this model (in any quantization)

    def named_for(candidate: str) -> bool:
        other = _stem(candidate).replace("mmproj", "").strip("-_. ")
        return len(other) >= 3 and (stem.startswith(other) or other.startswith(stem))

    candidates = [folder / n for n in names if n.lower().endswith(".gguf") and "mmproj" in n.lower()
                  and n != path.name and (one_model or named_for(n))]
    fitting = [c for c in candidates if _fits(c, n_embd, need_dim=True)]
    if not fitting:
        return None

    def rank(candidate: Path) -> tuple[int, int, str]:
        full = 0 if re.search(r"f16|bf16|f32", candidate.name, re.I) else 1
        return (0 if named_for(candidate.name) else 1, full, candidate.name)

    return min(fitting, key=rank)


def _catalog_projectors(filename: str, catalog: "Catalog | None") -> list[str]:
    """The projector file names the catalog pairs with a model file of this name."""
    if catalog is None:
        try:
            from engine.models.catalog import load_catalog
            catalog = load_catalog()
        except Exception as exc:  # noqa: BLE001 - a damaged catalog must not stop a model from loading
            log.warning("catalog not read for projector pairing: %s", exc)
            return []
    found: list[str] = []
    for entry in catalog.vision_models():
        for f in entry.files:
            own = {f.filename.rsplit("/", 1)[-1], *(p.filename.rsplit("/", 1)[-1] for p in f.parts)}
            if f.mmproj is not None and filename in own:
                found.append(f.mmproj.filename.rsplit("/", 1)[-1])
    return found


def vision_models(catalog: "Catalog | None" = None) -> list["CatalogEntry"]:
    """Catalog entries whose files come with a projector and that Hearth can show images to."""
    if catalog is None:
        from engine.models.catalog import load_catalog
        catalog = load_catalog()
    return [e for e in catalog.entries
            if any(f.mmproj is not None for f in e.files) and not _UNSUPPORTED.search(f"{e.id} {e.name}")]


def vision_model_names(catalog: "Catalog | None" = None) -> list[str]:
    """Display names of :func:`vision_models` ([] when the catalog cannot be read)."""
    try:
        return [e.name for e in vision_models(catalog)]
    except Exception as exc:  # noqa: BLE001 - suggestions are a courtesy
        log.warning("catalog not read for vision suggestions: %s", exc)
        return []
