"""The models on disk, for the model picker: what each GGUF is, found by scanning folders.

Only headers are read (through :mod:`engine.models.gguf`), so a folder of large
models is described in milliseconds. A split model (``name-00001-of-00003.gguf``)
is one entry, listed by its first part, with every part checked and counted.
Embedding models and multimodal projectors are GGUFs too, but not for chat: they
are listed apart. Files that cannot be used are reported with the reason.
"""
from __future__ import annotations

import errno
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import ModelError, ModelInvalid
from engine.models.gguf import GGUFInfo, check_loadable, not_a_file, read_gguf_info
from engine.models.kinds import is_embedding_model, is_projector

log = logging.getLogger(__name__)

SPLIT_NAME = re.compile(r"^(?P<prefix>.+)-(?P<no>\d{5})-of-(?P<count>\d{5})\.gguf$", re.IGNORECASE)


@dataclass(frozen=True)
class InstalledModel:
    """One model file (or split model) on disk, as its header describes it."""

    path: Path                 # the file to load: the first part of a split model
    name: str                  # general.name, else the file name without split suffix
    architecture: str
    parameters: int            # 0 if unknown
    quantization: str
    size_bytes: int            # all parts of a split model together
    context_length: int        # the trained context
    layers: int
    embedding_length: int
    head_count: int
    head_count_kv: int
    is_embedding_model: bool   # an encoder (bert, nomic-bert …): not for chat
    is_projector: bool         # a multimodal projector (mmproj / clip): not for chat
    key_length: int = 0        # per-head K size from the metadata; 0: embedding_length // head_count
    value_length: int = 0      # per-head V size, likewise

    def kv_cache_bytes(self, n_ctx: int) -> int:
        """An estimate of llama.cpp's f16 K+V cache for ``n_ctx`` tokens.

        ``layers * n_ctx * head_count_kv * (key_length + value_length) * 2`` bytes, which is
        ``2 * layers * n_ctx * head_count_kv * head_dim * 2`` when K and V heads are alike.
        Sliding-window layers, compressed (MLA) or recurrent caches and quantized caches make
        the real figure smaller; buffers for computation come on top. 0 when unknown.
        """
        fallback = self.embedding_length // self.head_count if self.head_count else 0
        k = self.key_length or fallback
        v = self.value_length or fallback
        return max(0, self.layers * n_ctx * self.head_count_kv * (k + v) * 2)

    def label(self) -> str:
        """'SmolLM2 135M Instruct · 135M · Q4_1 · 98 MB'."""
        parts = [self.name, format_parameters(self.parameters), self.quantization, format_bytes(self.size_bytes)]
        return " · ".join(p for p in parts if p and p != "unknown")


@dataclass(frozen=True)
class ModelScan:
    models: list[InstalledModel] = field(default_factory=list)       # chat models, sorted by name
    embedding: list[InstalledModel] = field(default_factory=list)    # embedding models
    projectors: list[InstalledModel] = field(default_factory=list)   # multimodal projectors
    skipped: list[tuple[Path, str]] = field(default_factory=list)    # unusable files, with the reason


def format_bytes(n: int) -> str:
    """'512 KB', '98 MB', '1.2 GB' (decimal units, as disks and downloads count)."""
    if n < 1000:
        return f"{n} B"
    return _short(n, ("KB", "MB", "GB", "TB", "PB"), " ")


def format_parameters(n: int) -> str:
    """'135M', '1.2B', '' for 0 (unknown)."""
    if n <= 0:
        return ""
    if n < 1000:
        return str(n)
    return _short(n, ("K", "M", "B", "T"), "")


def _short(n: int, units: tuple[str, ...], sep: str) -> str:
    """Two significant figures below 10 of a unit ('1.2'), whole numbers above ('98', '512')."""
    value = float(n)
    for i, unit in enumerate(units):
        value /= 1000
        if value < 9.95:
            text = f"{value:.1f}".removesuffix(".0")
        else:
            text = f"{value:.0f}"
        if float(text) < 1000 or i == len(units) - 1:
            return f"{text}{sep}{unit}"
    raise AssertionError("unreachable")


def _int(info: GGUFInfo, key: str) -> int:
    value = info.metadata.get(f"{info.architecture}.{key}")
    if isinstance(value, list):  # per-layer values (a few architectures): the largest, an overestimate
        value = max((v for v in value if isinstance(v, int)), default=0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def split_parts(path: Path) -> list[Path]:
    """Every part of a split model named like ``path`` (just ``[path]`` for an ordinary file)."""
    m = SPLIT_NAME.match(path.name)
    if not m or int(m["count"]) < 2:
        return [path]
    count = int(m["count"])
    ext = path.name[-5:]
    return [path.with_name(f"{m['prefix']}-{i:05d}-of-{count:05d}{ext}") for i in range(1, count + 1)]


def check_header(path: str | os.PathLike[str], info: GGUFInfo) -> None:
    """What llama.cpp needs of the header of ``path`` (every part of a split model); else ModelInvalid."""
    parts = split_parts(Path(os.fspath(path)))
    check_loadable([info] if len(parts) == 1 else [read_gguf_info(p) for p in parts])


def describe_model(path: str | os.PathLike[str]) -> InstalledModel:
    """Describe one model file; a later part of a split model describes the whole model.

    Raises ``ModelNotFound`` or ``ModelInvalid`` (naming the file and the problem) for
    files that cannot be used, including a split model with a missing or incomplete part.
    """
    path = Path(os.fspath(path))
    parts = split_parts(path)
    first = parts[0]
    for i, part in enumerate(parts if len(parts) > 1 else (), 1):
        if not part.is_file():
            raise ModelInvalid(f"{path}: part {i} of {len(parts)} of this split model ({part.name}) is missing",
                               path=path, hint="Download every part of the model into the same folder.",
                               reason="part_missing", params={"part": i, "parts": len(parts), "file": part.name})
    infos = [read_gguf_info(part) for part in parts]
    info = infos[0]
    adapter = info.metadata.get("general.type") == "adapter" or "adapter.type" in info.metadata
    if adapter:
        raise ModelInvalid(f"{first}: it is a LoRA adapter, not a model", path=first,
                           hint="Adapters are applied to a model; they cannot be chosen on their own.",
                           reason="adapter")
    split_count = info.metadata.get("split.count")
    if len(parts) == 1 and isinstance(split_count, int) and split_count > 1:
        raise ModelInvalid(f"{first}: it is one part of a model split in {split_count}, but its name does not "
                           f"follow the pattern name-00001-of-{split_count:05d}.gguf", path=first,
                           hint="Keep the original file names of the parts.", reason="split_name",
                           params={"parts": split_count, "pattern": f"name-00001-of-{split_count:05d}.gguf"})
    parameters = sum(i.parameter_count for i in infos)
    if parameters == 0 and sum(i.n_tensors for i in infos) == 0:
        raise ModelInvalid(f"{first}: it contains no weights (a vocabulary-only file)", path=first,
                           hint="This file is not a model; pick another one.", reason="vocab_only")
    check_loadable(infos)  # what llama.cpp needs: known architecture, sane sizes, vocabulary, tensors
    arch = info.architecture
    name = info.name
    return InstalledModel(
        path=first, name=name, architecture=arch, parameters=parameters, quantization=info.quantization,
        size_bytes=sum(i.file_size or 0 for i in infos), context_length=info.context_length or 0,
        layers=info.block_count or 0, embedding_length=info.embedding_length or 0,
        head_count=_int(info, "attention.head_count"),
        head_count_kv=_int(info, "attention.head_count_kv") or _int(info, "attention.head_count"),
        is_embedding_model=is_embedding_model(info), is_projector=is_projector(info),
        key_length=_int(info, "attention.key_length"), value_length=_int(info, "attention.value_length"))


def _walk(folder: Path, skipped: list[tuple[Path, str]]) -> Iterable[Path]:
    if not folder.is_dir():
        skipped.append((folder, "the folder does not exist" if not folder.exists() else "it is not a folder"))
        return

    def failed(exc: OSError) -> None:
        skipped.append((Path(exc.filename or folder), f"the folder could not be read: {exc.strerror or exc}"))

    for root, dirs, names in os.walk(folder, onerror=failed):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.lower().endswith(".gguf") and not name.startswith("."):
                path = Path(root) / name
                reason = _not_regular(path)
                if reason:
                    log.info("skipped %s: %s", path, reason)
                    skipped.append((path, f"{path}: {reason}"))
                else:
                    yield path


def _not_regular(path: Path) -> str:
    """Why ``path`` is not a regular file to read ('' when it is one); links are followed, never opened."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if os.path.islink(path) and exc.errno == errno.ENOENT:
            return "it is a link to a file that does not exist"
        if exc.errno == errno.ELOOP:
            return "it is a symbolic link that loops back on itself"
        return f"it could not be read: {exc.strerror or exc}"
    what = not_a_file(mode)
    return f"it is {what}, not a model file; only regular files are read" if what else ""


def scan_models(folders: Iterable[Path], files: Iterable[Path] = ()) -> ModelScan:
    """Every ``*.gguf`` under ``folders`` (recursively) and in ``files``, each model once."""
    result = ModelScan()
    candidates: list[Path] = []
    for folder in folders:
        candidates.extend(_walk(Path(folder), result.skipped))
    candidates.extend(Path(f) for f in files)
    seen: set[Path] = set()
    for candidate in candidates:
        first = split_parts(candidate)[0]  # later parts stand for their first part
        try:
            key = first.resolve()
        except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
            key = first.absolute()
        if key in seen:
            continue
        seen.add(key)
        try:
            model = describe_model(candidate)
        except ModelError as exc:
            log.info("skipped %s: %s", candidate, exc)
            result.skipped.append((candidate, str(exc)))
            continue
        if model.is_projector:
            result.projectors.append(model)
        elif model.is_embedding_model:
            result.embedding.append(model)
        else:
            result.models.append(model)
    for group in (result.models, result.embedding, result.projectors):
        group.sort(key=lambda m: (m.name.casefold(), str(m.path)))
    return result
