"""Hearth's curated model catalog (``catalog.json`` beside this module, shipped as package data): load, query, recommend, save.

The catalog names recommended GGUF models on the Hugging Face Hub: chat models of
several sizes, vision models with their projector (``mmproj``), embedding models for
the knowledge base. It ships without sizes or hashes it could not measure
(``size_bytes``/``sha256`` null, ``verified`` false, an ``approx_size_gb`` estimate);
:func:`engine.hub.catalog_refresh.refresh` fills them from the Hub's LFS metadata and
:func:`save_catalog` writes them back. Downloads verify against the Hub's
LFS sha256 whether or not the catalog knows it.

:func:`recommend` picks the most capable model (text chat by default) that fits the free memory. The
estimate (:func:`estimated_bytes`) is deliberately simple, for pre-filtering only
(:mod:`engine.hub.fit` reads the real header for an exact figure):

* weights: the file's size (every part, plus the projector), or ``approx_size_gb``;
* KV cache: with the entry's ``architecture`` (layers, KV heads, head size), f16 keys
  and values: ``2 × layers × kv_heads × head_dim × 2 B`` per token of context; without
  it, the rule of thumb 0.1 GB per billion parameters per 4096 tokens. ``n_ctx`` is
  capped at the model's trained context;
* runtime: a flat 128 MiB (llama.cpp's buffers, vocabulary tables, one batch of
  activations);

and it must fit in 75 % of the free RAM plus free VRAM (llama.cpp splits layers
between the two).
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Collection
from importlib import resources
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import HearthError
from engine.models import names

# Package data, found through importlib.resources (a source tree, a wheel and the frozen app alike).
DEFAULT_PATH = Path(str(resources.files(__package__) / "catalog.json"))
SCHEMA = 1
CAPABILITIES = frozenset({"chat", "vision", "embedding", "reasoning", "tools"})
# Known quantizations, best quality first (the order recommend() prefers among files that fit).
QUANT_ORDER = ("F32", "BF16", "F16", "Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q5_1", "Q5_0", "Q4_K_M", "Q4_K_S",
               "Q4_1", "IQ4_XS", "IQ4_NL", "Q4_0", "Q3_K_L", "Q3_K_M", "IQ3_M", "IQ3_S", "Q3_K_S", "IQ3_XS",
               "IQ3_XXS", "Q2_K", "Q2_K_S", "IQ2_M", "IQ2_S", "IQ2_XS", "IQ2_XXS", "IQ1_M", "IQ1_S")
# Hearth's built-in chat templates (engine.models.templates), for GGUFs that carry none.
TEMPLATE_FAMILIES = ("chatml", "gemma", "llama3", "llama2", "mistral", "phi3", "transcript")
FIT_FRACTION = 0.75               # a model must fit in this share of the free memory
RUNTIME_BYTES = 128 * 1024 ** 2   # llama.cpp buffers, vocabulary tables, one batch of activations
RULE_KV_BYTES = 0.1e9             # per 1e9 parameters per 4096 tokens, when the architecture is unknown
GB = 1e9                          # approx_size_gb is in decimal gigabytes
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_LANG = re.compile(r"^[a-z]{2,3}$")

class CatalogError(HearthError):
    """The catalog file is missing or malformed (its path and the bad field are named)."""

    hint = "Hearth's model catalog is damaged. Reinstall Hearth."


# --- the data ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CatalogBlob:
    """One file on the Hub other than the model's main file: a projector or a part of a split model."""

    filename: str
    size_bytes: int | None = None
    sha256: str | None = None
    approx_size_gb: float | None = None

    @property
    def estimated_bytes(self) -> int:
        return self.size_bytes if self.size_bytes is not None else int((self.approx_size_gb or 0.0) * GB)


@dataclass(frozen=True)
class CatalogFile:
    """One quantization of a model. For a split model ``filename`` is the first part, ``parts``
    lists every part (with its own size and hash), ``size_bytes`` is their total and ``sha256`` is None."""

    quantization: str
    filename: str
    size_bytes: int | None = None
    sha256: str | None = None
    approx_size_gb: float | None = None
    mmproj: CatalogBlob | None = None
    parts: tuple[CatalogBlob, ...] = ()

    @property
    def is_split(self) -> bool:
        return bool(self.parts)

    @property
    def model_bytes(self) -> int:
        """The model's size on disk (all parts, no projector): known, else estimated."""
        if self.size_bytes is not None:
            return self.size_bytes
        return int((self.approx_size_gb or 0.0) * GB)

    @property
    def total_bytes(self) -> int:
        """Everything to download: the model and its projector."""
        return self.model_bytes + (self.mmproj.estimated_bytes if self.mmproj else 0)

    def download_filenames(self) -> list[str]:
        """The files to fetch, in order: every part (or the one file), then the projector."""
        files = [p.filename for p in self.parts] or [self.filename]
        return files + ([self.mmproj.filename] if self.mmproj else [])

    def expected_sha256(self) -> dict[str, str]:
        """Known hashes by file name, for ``download_model(expected_sha256=...)``."""
        blobs: list[tuple[str, str | None]] = [(p.filename, p.sha256) for p in self.parts] or \
            [(self.filename, self.sha256)]
        if self.mmproj:
            blobs.append((self.mmproj.filename, self.mmproj.sha256))
        return {name: sha for name, sha in blobs if sha}


@dataclass(frozen=True)
class Architecture:
    """What sizes the KV cache: transformer layers, key/value heads, size of one head."""

    layers: int
    kv_heads: int
    head_dim: int

    def kv_bytes_per_token(self) -> int:
        return 2 * self.layers * self.kv_heads * self.head_dim * 2   # keys and values, f16


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    name: str
    repo: str
    licence: str
    parameters: int
    trained_context: int
    capabilities: tuple[str, ...]
    languages: tuple[str, ...]              # "zh" is listed only where the model handles Chinese well
    files: tuple[CatalogFile, ...]
    chat_template_family: str | None = None  # set only where the GGUF is known to carry no template
    architecture: Architecture | None = None
    description: str = ""
    verified: bool = False                   # sizes and hashes filled from the Hub by refresh()
    dimensions: int | None = None            # an embedding model's vector size

    def has(self, capability: str) -> bool:
        return capability in self.capabilities

    @property
    def handles_chinese(self) -> bool:
        return "zh" in self.languages

    def file(self, quantization: str) -> CatalogFile | None:
        return next((f for f in self.files if f.quantization == quantization), None)


@dataclass(frozen=True)
class Starter:
    """The starter model: shipped through PyPI (not the Hub), measured, so always verified."""

    entry_id: str
    package: str
    version: str
    path_in_wheel: str
    file: CatalogFile


@dataclass(frozen=True)
class Catalog:
    entries: tuple[CatalogEntry, ...]
    starter: Starter | None = None
    comment: str = ""
    path: Path | None = field(default=None, compare=False)

    def get(self, entry_id: str) -> CatalogEntry | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    def chat_models(self) -> list[CatalogEntry]:
        return [e for e in self.entries if e.has("chat")]

    def vision_models(self) -> list[CatalogEntry]:
        return [e for e in self.entries if e.has("vision")]

    def embedding_models(self, language: str | None = None) -> list[CatalogEntry]:
        """Embedding models; with ``language`` ("zh", "en" …) only those that handle it."""
        return [e for e in self.entries if e.has("embedding") and (language is None or language in e.languages)]

    def find(self, repo: str, filename: str) -> tuple[CatalogEntry, CatalogFile] | None:
        """The entry and quantization a remote file belongs to (main file, a part or its projector)."""
        for entry in self.entries:
            if entry.repo.lower() != repo.lower():
                continue
            for f in entry.files:
                if filename == f.filename or filename in {p.filename for p in f.parts} or \
                        (f.mmproj is not None and filename == f.mmproj.filename):
                    return entry, f
        return None


# --- reading -----------------------------------------------------------------------------------

class _Reader:
    """Typed access to the parsed JSON; every failure names the file and the field."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> CatalogError:
        return CatalogError(f"The model catalog {self.path} is malformed: {where} {problem}.", path=self.path)

    def get(self, obj: Any, key: str, where: str, kind: type | tuple[type, ...], *, optional: bool = False) -> Any:
        if not isinstance(obj, dict):
            raise self.fail(where, "is not an object")
        value = obj.get(key)
        if value is None and optional:
            return None
        # bool is an int in Python; a size or count must not be True
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.fail(f"{where}.{key}", f"is missing or not {_kind_name(kind)}")
        return value

    def positive(self, obj: Any, key: str, where: str, *, optional: bool = False) -> int | None:
        value = self.get(obj, key, where, int, optional=optional)
        if value is not None and value <= 0:
            raise self.fail(f"{where}.{key}", "is not a positive integer")
        return value

    def sha(self, obj: Any, where: str) -> str | None:
        value = self.get(obj, "sha256", where, str, optional=True)
        if value is not None and not _HEX64.match(value):
            raise self.fail(f"{where}.sha256", "is not 64 lowercase hex digits")
        return value

    def filename(self, obj: Any, where: str) -> str:
        value = self.get(obj, "filename", where, str)
        reason = "it contains a path separator" if "/" in value else names.unsafe_reason(value)
        if reason:
            raise self.fail(f"{where}.filename", f"({value!r}) is refused: {reason}")
        return value

    def approx(self, obj: Any, where: str) -> float | None:
        value = self.get(obj, "approx_size_gb", where, (int, float), optional=True)
        if value is not None and value <= 0:
            raise self.fail(f"{where}.approx_size_gb", "is not positive")
        return float(value) if value is not None else None

    def blob(self, obj: Any, where: str) -> CatalogBlob:
        if isinstance(obj, str):   # a bare part name: nothing known yet
            return CatalogBlob(self.filename({"filename": obj}, where))
        return CatalogBlob(self.filename(obj, where), self.positive(obj, "size_bytes", where, optional=True),
                           self.sha(obj, where), self.approx(obj, where))

    def file(self, obj: Any, where: str) -> CatalogFile:
        quant = self.get(obj, "quantization", where, str)
        if quant not in QUANT_ORDER:
            raise self.fail(f"{where}.quantization", f"({quant!r}) is not a known quantization")
        mmproj = obj.get("mmproj")
        parts = self.get(obj, "parts", where, list, optional=True) or []
        f = CatalogFile(quant, self.filename(obj, where), self.positive(obj, "size_bytes", where, optional=True),
                        self.sha(obj, where), self.approx(obj, where),
                        self.blob(mmproj, f"{where}.mmproj") if mmproj is not None else None,
                        tuple(self.blob(p, f"{where}.parts[{i}]") for i, p in enumerate(parts)))
        if f.size_bytes is None and f.approx_size_gb is None:
            raise self.fail(where, "has neither size_bytes nor approx_size_gb")
        if f.parts and f.parts[0].filename != f.filename:
            raise self.fail(f"{where}.parts", "does not start with the file's own filename")
        return f

    def strings(self, obj: Any, key: str, where: str, pattern: re.Pattern[str]) -> tuple[str, ...]:
        values = self.get(obj, key, where, list)
        if not values or not all(isinstance(v, str) and pattern.match(v) for v in values) \
                or len(set(values)) != len(values):
            raise self.fail(f"{where}.{key}", "is not a non-empty list of distinct codes")
        return tuple(values)

    def entry(self, obj: Any, where: str) -> CatalogEntry:
        g = self.get
        arch = g(obj, "architecture", where, dict, optional=True)
        entry = CatalogEntry(
            id=g(obj, "id", where, str), name=g(obj, "name", where, str), repo=g(obj, "repo", where, str),
            licence=g(obj, "licence", where, str), parameters=self.positive(obj, "parameters", where),
            trained_context=self.positive(obj, "trained_context", where),
            capabilities=self.strings(obj, "capabilities", where, re.compile(r"^[a-z]+$")),
            languages=self.strings(obj, "languages", where, _LANG),
            files=tuple(self.file(f, f"{where}.files[{i}]") for i, f in enumerate(g(obj, "files", where, list))),
            chat_template_family=g(obj, "chat_template_family", where, str, optional=True),
            architecture=Architecture(*(self.positive(arch, k, f"{where}.architecture")
                                        for k in ("layers", "kv_heads", "head_dim"))) if arch else None,
            description=g(obj, "description", where, str, optional=True) or "",
            verified=g(obj, "verified", where, bool),
            dimensions=self.positive(obj, "dimensions", where, optional=True))
        if not _SLUG.match(entry.id):
            raise self.fail(f"{where}.id", f"({entry.id!r}) is not a lowercase slug")
        try:
            if len(entry.repo.split("/")) != 2:
                raise ValueError
            names.check_repo_id(entry.repo)
        except (HearthError, ValueError):
            raise self.fail(f"{where}.repo", f"({entry.repo!r}) is not an owner/name repository id") from None
        unknown = set(entry.capabilities) - CAPABILITIES
        if unknown:
            raise self.fail(f"{where}.capabilities", f"has unknown values {sorted(unknown)}")
        if not entry.files or len({f.quantization for f in entry.files}) != len(entry.files):
            raise self.fail(f"{where}.files", "is empty or repeats a quantization")
        if any((f.mmproj is not None) != entry.has("vision") for f in entry.files):
            raise self.fail(where, "must give every file an mmproj exactly when it has the vision capability")
        if entry.chat_template_family not in (None, *TEMPLATE_FAMILIES):
            raise self.fail(f"{where}.chat_template_family", f"({entry.chat_template_family!r}) is not one of "
                            f"{list(TEMPLATE_FAMILIES)}")
        return entry

    def starter(self, obj: Any, where: str) -> Starter:
        source = self.get(obj, "source", where, dict)
        return Starter(self.get(obj, "entry", where, str), self.get(source, "package", f"{where}.source", str),
                       self.get(source, "version", f"{where}.source", str),
                       self.get(source, "path", f"{where}.source", str), self.file(obj.get("file"), f"{where}.file"))


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join({"str": "a string", "int": "an integer", "float": "a number", "bool": "true/false",
                        "list": "a list", "dict": "an object"}.get(k.__name__, k.__name__) for k in kinds)


def load_catalog(path: Path | None = None) -> Catalog:
    """Read and check the catalog (default: the one shipped with Hearth)."""
    path = Path(path) if path is not None else DEFAULT_PATH
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"The model catalog {path} is missing.", path=path) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogError(f"The model catalog {path} could not be read: {exc}.", path=path) from exc
    r = _Reader(path)
    if r.get(data, "schema", "the file", int) != SCHEMA:
        raise r.fail("schema", f"is {data['schema']}, this Hearth reads {SCHEMA}")
    entries = tuple(r.entry(e, f"entries[{i}]") for i, e in enumerate(r.get(data, "entries", "the file", list)))
    ids = [e.id for e in entries]
    if len(set(ids)) != len(ids):
        raise r.fail("entries", f"repeat an id ({sorted({i for i in ids if ids.count(i) > 1})})")
    starter = r.starter(data["starter"], "starter") if data.get("starter") is not None else None
    if starter is not None and (starter.entry_id not in ids or starter.file.sha256 is None
                                or starter.file.size_bytes is None):
        raise r.fail("starter", "must name a catalog entry and give the file's size and sha256")
    return Catalog(entries, starter, r.get(data, "comment", "the file", str, optional=True) or "", path)


# --- writing -----------------------------------------------------------------------------------

def _blob_dict(b: CatalogBlob) -> dict[str, Any]:
    return {"filename": b.filename, "size_bytes": b.size_bytes, "sha256": b.sha256, "approx_size_gb": b.approx_size_gb}


def _file_dict(f: CatalogFile) -> dict[str, Any]:
    return {"quantization": f.quantization, "filename": f.filename, "size_bytes": f.size_bytes,
            "sha256": f.sha256, "approx_size_gb": f.approx_size_gb,
            "mmproj": _blob_dict(f.mmproj) if f.mmproj else None,
            "parts": [_blob_dict(p) for p in f.parts] or None}


def catalog_dict(catalog: Catalog) -> dict[str, Any]:
    """The catalog as the JSON object :func:`load_catalog` reads."""
    s = catalog.starter
    return {
        "comment": catalog.comment, "schema": SCHEMA,
        "starter": None if s is None else {
            "entry": s.entry_id, "source": {"kind": "pypi", "package": s.package, "version": s.version,
                                            "path": s.path_in_wheel}, "file": _file_dict(s.file)},
        "entries": [_entry_dict(e) for e in catalog.entries]}


def _entry_dict(e: CatalogEntry) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": e.id, "name": e.name, "description": e.description, "repo": e.repo, "licence": e.licence,
        "parameters": e.parameters, "trained_context": e.trained_context, "capabilities": list(e.capabilities),
        "languages": list(e.languages)}
    if e.dimensions is not None:   # embedding models only
        entry["dimensions"] = e.dimensions
    entry.update({
        "chat_template_family": e.chat_template_family,
        "architecture": None if e.architecture is None else {
            "layers": e.architecture.layers, "kv_heads": e.architecture.kv_heads,
            "head_dim": e.architecture.head_dim},
        "verified": e.verified, "files": [_file_dict(f) for f in e.files]})
    return entry


def _dumps(value: Any, indent: str = "") -> str:
    """JSON with two-space indents; lists of plain values and small flat objects on one line."""
    inner = indent + "  "
    if isinstance(value, dict) and value:
        if len(value) <= 3 and all(not isinstance(v, (dict, list)) for v in value.values()):
            return json.dumps(value, ensure_ascii=False)
        items = [f"{inner}{json.dumps(k)}: {_dumps(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and value:
        if all(not isinstance(v, (dict, list)) for v in value):
            return json.dumps(value, ensure_ascii=False)
        return "[\n" + ",\n".join(inner + _dumps(v, inner) for v in value) + "\n" + indent + "]"
    return json.dumps(value, ensure_ascii=False)


def save_catalog(catalog: Catalog, path: Path | None = None) -> Path:
    """Write the catalog atomically (default: where it was loaded from, else the repository's)."""
    path = Path(path) if path is not None else (catalog.path or DEFAULT_PATH)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(_dumps(catalog_dict(catalog)) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


# --- memory and recommendations ----------------------------------------------------------------

def estimated_bytes(entry: CatalogEntry, file: CatalogFile, n_ctx: int = 4096) -> int:
    """Rough memory to run ``file`` at ``n_ctx`` tokens: weights + projector + KV cache + runtime."""
    n_ctx = max(1, min(n_ctx, entry.trained_context))
    if entry.architecture is not None:
        kv = entry.architecture.kv_bytes_per_token() * n_ctx
    else:
        kv = int(RULE_KV_BYTES * entry.parameters / 1e9 * n_ctx / 4096)
    return file.total_bytes + kv + RUNTIME_BYTES


def _quality(file: CatalogFile) -> int:
    """Smaller is better (the position in QUANT_ORDER)."""
    return QUANT_ORDER.index(file.quantization) if file.quantization in QUANT_ORDER else len(QUANT_ORDER)


def _pool(catalog: Catalog, capability: str) -> list[CatalogEntry]:
    if capability == "vision":
        return catalog.vision_models()
    if capability == "embedding":
        return catalog.embedding_models()
    # text chat: vision models' parameter counts include their image encoder, and their projector
    # costs memory that text chat does not need, so they are recommended only when asked for
    return [e for e in catalog.chat_models() if e.has(capability) and not e.has("vision")]


def recommend(catalog: Catalog, *, ram_bytes: int, vram_bytes: int = 0, n_ctx: int = 4096,
              capability: str = "chat", language: str | None = None,
              exclude: Collection[str] = ()) -> tuple[CatalogEntry, CatalogFile] | None:
    """The most capable model that fits ``FIT_FRACTION`` of the free RAM + VRAM, at its best
    quantization that fits; None when nothing fits. "Most capable" is the most parameters.

    ``capability`` "chat" (the default) considers text chat models; "reasoning" or "tools" those of
    them that have it; "vision" the vision models (projector counted); "embedding" the embedding
    models. ``language`` keeps only models that handle it ("zh"); ``exclude`` leaves out entry ids
    (e.g. the starter's own entry)."""
    if capability not in CAPABILITIES:
        raise ValueError(f"capability must be one of {sorted(CAPABILITIES)}, not {capability!r}")
    budget = FIT_FRACTION * (max(0, ram_bytes) + max(0, vram_bytes))
    best: tuple[tuple[int, int, str], CatalogEntry, CatalogFile] | None = None
    for entry in _pool(catalog, capability):
        if entry.id in exclude or (language is not None and language not in entry.languages):
            continue
        fitting = [f for f in entry.files if estimated_bytes(entry, f, n_ctx) <= budget]
        if not fitting:
            continue
        file = min(fitting, key=_quality)
        key = (entry.parameters, -_quality(file), entry.id)
        if best is None or key > best[0]:
            best = (key, entry, file)
    return (best[1], best[2]) if best else None
