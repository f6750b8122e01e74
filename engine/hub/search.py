"""Find GGUF models on the Hub and list what a user can pick in a repository.

``search_repos`` asks the Hub for GGUF repositories; ``list_model_files`` turns a
repository's files into :class:`ModelChoice` items: one model at one
quantization, with every part of a split model and the multimodal projector
(``mmproj``) that goes with it. Every remote file name is checked before it can
become a choice, by the same rules the downloader applies (:mod:`engine.models.names`:
no paths outside the models folder, no control characters, ``.gguf`` only).

All calls go through huggingface_hub's shared HTTP client with the endpoint read
at call time (:func:`engine.hub.config.hub_endpoint`) and a short timeout, and
never retry: when the Hub cannot be reached, :class:`HubOffline` comes within
seconds. huggingface_hub's errors are translated by :func:`hub_errors`. Every reply
is read within bounds of size, JSON depth and time (:mod:`engine.hub.replies`); an
item of a listing that is malformed is left out and counted (``Listing.skipped``).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HFValidationError,
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.hf_api import ModelInfo

from engine.errors import HubError, HubOffline, HubReplyMalformed, RemoteFileNotFound, RepoNotFound, UnsafeFileName
from engine.hub import replies
from engine.models import names
from engine.hub.config import hub_endpoint

log = logging.getLogger(__name__)

TIMEOUT = 10.0                # seconds for any one request to the Hub; nothing retries
MAX_LIMIT = 1000              # the Hub's own page size limit
SortKey = Literal["downloads", "likes", "recent"]
_SORTS = {"downloads": "downloads", "likes": "likes", "recent": "lastModified"}
_EXPAND = ["downloads", "likes", "lastModified", "tags", "gated"]

SPLIT_NAME = re.compile(r"^(?P<prefix>.+)-(?P<no>\d{5})-of-(?P<count>\d{5})$", re.IGNORECASE)
# llama.cpp quantization names as they appear in file names: Q4_K_M, Q8_0, Q4_0_4_4, IQ4_XS, TQ1_0, F16 …
_QUANT = re.compile(r"(?<![A-Za-z0-9])(I?Q[1-8](?:_(?:K|XXS|XS|XL|NL|S|M|L|\d))+|TQ[12]_0|MXFP4(?:_MOE)?"
                    r"|BF16|FP16|F16|FP32|F32)(?![A-Za-z0-9])", re.IGNORECASE)
_GENERIC_STEMS = frozenset({"model", "ggml-model", "ggml_model", "gguf", "weights"})
# projector quantizations in order of preference when none matches the model's own
_MMPROJ_PREFERENCE = ("F16", "BF16", "F32", "Q8_0")
_HEX64 = re.compile(r"[0-9a-f]{64}")
T = TypeVar("T")


class Listing(list, Generic[T]):  # type: ignore[type-arg]
    """A list of results, and ``skipped``: how many items of the Hub's reply were left out
    (malformed, or a file name Hearth refuses). A client shows "N items were left out"."""

    skipped: int = 0


@dataclass(frozen=True)
class RepoSummary:
    """One search result."""

    repo_id: str
    downloads: int
    likes: int
    last_modified: datetime | None
    tags: tuple[str, ...]
    gated: bool                   # downloads need a login and accepted conditions


@dataclass(frozen=True)
class RemoteFile:
    """A file in a Hub repository; ``sha256`` from the Hub's LFS metadata (None for a non-LFS file)."""

    filename: str
    size: int
    sha256: str | None


@dataclass(frozen=True)
class ModelChoice:
    """One model at one quantization: what a user picks to download."""

    repo_id: str
    name: str                          # "SmolLM2-135M-Instruct"
    quantization: str                  # "Q4_K_M", "Q8_0", "IQ4_XS", "F16" … ("unknown" if the name says none)
    files: tuple[RemoteFile, ...]      # every part of a split model, in order (one file otherwise)
    size_bytes: int                    # all of ``files`` together (the projector not included)
    mmproj: RemoteFile | None = None   # the multimodal projector to download with it, if the repo has one

    @property
    def filename(self) -> str:
        """The file llama.cpp loads: the first part."""
        return self.files[0].filename

    @property
    def is_split(self) -> bool:
        return len(self.files) > 1


# --- errors ---------------------------------------------------------------------------------

def _transport_errors() -> tuple[type[BaseException], ...]:
    """Connection-level failures of the HTTP stack under huggingface_hub (httpx2 in 2.x, httpx before)."""
    found: list[type[BaseException]] = [OfflineModeIsEnabled, ConnectionError, TimeoutError]
    for module in ("httpx2", "httpx"):
        try:
            mod = __import__(module)
        except ImportError:
            continue
        found.append(mod.TransportError)
    return tuple(found)


_TRANSPORT = _transport_errors()


@contextmanager
def hub_errors(repo_id: str | None = None, filename: str | None = None) -> Iterator[None]:
    """Translate huggingface_hub's and the HTTP stack's errors into Hearth's :class:`HubError` family."""
    what = f"{repo_id}/{filename}" if repo_id and filename else (repo_id or "the model hub")
    try:
        yield
    except HubError:
        raise
    except GatedRepoError as exc:
        raise RepoNotFound(f"{repo_id} is a gated repository: its files need a login and accepted conditions.",
                           hint="Open the repository on huggingface.co, accept its conditions and log in, "
                                "or pick another repository.") from exc
    except RepositoryNotFoundError as exc:
        raise RepoNotFound(f"The repository {repo_id} was not found on the model hub.",
                           params={"repo": repo_id}) from exc
    except RevisionNotFoundError as exc:
        raise RepoNotFound(f"The repository {repo_id} has no such revision.") from exc
    except EntryNotFoundError as exc:
        raise RemoteFileNotFound(f"{filename or 'The file'} is not in the repository {repo_id}.",
                                 path=filename) from exc
    except HFValidationError as exc:
        raise RepoNotFound(f"{repo_id!r} is not a valid repository name.",
                           hint="A repository is named owner/name, e.g. bartowski/Qwen2.5-7B-Instruct-GGUF.") from exc
    except HfHubHTTPError as exc:
        status = exc.response.status_code if getattr(exc, "response", None) is not None else "an error"
        raise HubError(f"The model hub answered {status} for {what}.") from exc
    except _TRANSPORT as exc:
        log.info("hub unreachable for %s: %r", what, exc)
        raise HubOffline(f"The model hub ({hub_endpoint()}) cannot be reached: {exc or type(exc).__name__}.",
                         params={"endpoint": hub_endpoint()}) from exc
    except ValueError as exc:  # a body that is not the JSON expected (a captive portal's page, a proxy)
        raise HubReplyMalformed(f"The model hub sent an unexpected answer for {what}: {exc}") from exc


def check_repo_id(repo_id: str) -> str:
    """``repo_id`` if it is a well-formed ``owner/name`` (rules in :mod:`engine.models.names`); else RepoNotFound."""
    try:
        return names.check_repo_id(repo_id)
    except UnsafeFileName as exc:
        raise RepoNotFound(f"{repo_id!r} is not a valid repository name.",
                           hint="A repository is named owner/name, e.g. bartowski/Qwen2.5-7B-Instruct-GGUF.") from exc


# Remote file names: one set of rules for listing and downloading (engine/hub/names.py).
unsafe_reason = names.unsafe_reason
check_filename = names.check_filename


def quantization_of(filename: str) -> str:
    """'Q4_K_M', 'Q8_0', 'IQ4_XS', 'F16', 'BF16' … from a file name (its folders if the name has none)."""
    parts = filename.split("/")
    stem = _split_stem(_strip_gguf(parts[-1]))[0]
    for text in (stem, *reversed(parts[:-1])):
        found = _QUANT.findall(text)
        if found:
            quant = found[-1].upper()
            return {"FP16": "F16", "FP32": "F32"}.get(quant, quant)
    return "unknown"


def _strip_gguf(name: str) -> str:
    return name[:-5] if name.lower().endswith(".gguf") else name


def _split_stem(stem: str) -> tuple[str, int, int]:
    """(prefix, part number, part count) of 'name-00002-of-00003'; (stem, 1, 1) when not split."""
    m = SPLIT_NAME.match(stem)
    if m and int(m["count"]) >= 1:
        return m["prefix"], int(m["no"]), int(m["count"])
    return stem, 1, 1


def _model_name(filename: str, repo_id: str) -> str:
    """'SmolLM2-135M-Instruct' from 'SmolLM2-135M-Instruct.Q4_1.gguf': no folder, quantization or split suffix."""
    parts = filename.split("/")
    stem = _split_stem(_strip_gguf(parts[-1]))[0]
    matches = list(_QUANT.finditer(stem))
    if matches:
        m = matches[-1]
        stem = stem[:m.start()].rstrip("-_. ") + ("-" if m.end() < len(stem) else "") + stem[m.end():].lstrip("-_. ")
        stem = stem.strip("-_. ")
    if sum(c.isalpha() for c in stem) >= 2 and stem.lower() not in _GENERIC_STEMS:
        return stem
    repo_name = repo_id.split("/")[-1]
    return re.sub(r"[-_.]gguf$", "", repo_name, flags=re.IGNORECASE) or repo_name


def _named_as_projector(filename: str) -> bool:
    """A remote file listed as a projector (only its name is known before it is downloaded)."""
    return "mmproj" in filename.split("/")[-1].lower()


# --- search -------------------------------------------------------------------------------------

def search_repos(query: str, *, sort: SortKey = "downloads", limit: int = 30) -> Listing[RepoSummary]:
    """GGUF repositories whose name contains ``query`` ('' lists all), best first by ``sort``.

    An item of the Hub's answer that is not a repository as expected is left out and counted in
    the result's ``skipped``; the reply itself is bounded (:mod:`engine.hub.replies`).
    """
    if sort not in _SORTS:
        raise ValueError(f"sort must be one of {sorted(_SORTS)}, not {sort!r}")
    limit = max(1, min(int(limit), MAX_LIMIT))
    params: dict[str, Any] = {"filter": "gguf", "sort": _SORTS[sort], "limit": limit, "expand": _EXPAND}
    if query.strip():
        params["search"] = query.strip()
    url = f"{hub_endpoint()}/api/models"
    with hub_errors():
        items = replies.fetch_json("GET", url, what="the model search", params=params, timeout=TIMEOUT)
    if not isinstance(items, list):
        raise HubReplyMalformed(f"The model hub's reply for the model search ({replies.endpoint_name(url)}) "
                                f"is not a list of repositories.", endpoint=replies.endpoint_name(url))
    results: Listing[RepoSummary] = Listing()
    for item in items[:limit]:
        summary = _summary(item)
        if summary is None:
            results.skipped += 1
        else:
            results.append(summary)
    if results.skipped:
        log.warning("left out %d malformed item(s) of the model search", results.skipped)
    return results


def _summary(item: Any) -> RepoSummary | None:
    """One search item as a RepoSummary; None when it is not one (a missing id, a field of the wrong type)."""
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return None
    try:
        info = ModelInfo(**{"siblings": None, **item})
        tags = info.tags or ()
        if not isinstance(tags, (list, tuple)) or not all(isinstance(t, str) for t in tags):
            return None
        return RepoSummary(repo_id=info.id, downloads=_count(info.downloads), likes=_count(info.likes),
                           last_modified=info.last_modified if isinstance(info.last_modified, datetime) else None,
                           tags=tuple(tags), gated=bool(info.gated))
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
        log.info("malformed search item %.200r: %s", item, exc)
        return None


def _count(value: Any) -> int:
    """A download or like count: a non-negative integer, 0 when absent."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"not a count: {value!r}")
    return value


# --- files of a repository ----------------------------------------------------------------------

def list_model_files(repo_id: str) -> Listing[ModelChoice]:
    """The repository's GGUF models, one :class:`ModelChoice` per model and quantization, smallest first.

    Split models become one choice with all their parts (a model with a missing part is left
    out); ``mmproj*.gguf`` projectors are paired with the models, not listed as choices; files
    with unsafe names or malformed entries are left out, logged and counted in ``skipped``.
    """
    check_repo_id(repo_id)
    url = f"{hub_endpoint()}/api/models/{repo_id}"
    with hub_errors(repo_id):
        info = replies.fetch_json("GET", url, what=f"the files of {repo_id}", params={"blobs": True},
                                  timeout=TIMEOUT)
    siblings = info.get("siblings") if isinstance(info, dict) else None
    if not isinstance(siblings, list):
        raise HubReplyMalformed(f"The model hub's reply for the files of {repo_id} ({replies.endpoint_name(url)}) "
                                f"does not list them.", endpoint=replies.endpoint_name(url))
    files: list[RemoteFile] = []
    skipped = 0
    for sibling in siblings:
        remote = _remote_file(sibling)
        if remote is None:
            log.warning("left out a malformed file entry of %s: %.200r", repo_id, sibling)
            skipped += 1
            continue
        if not remote.filename.lower().endswith(".gguf"):
            continue
        reason = unsafe_reason(remote.filename)
        if reason is not None:
            log.warning("left out %r from %s: %s", remote.filename, repo_id, reason)
            skipped += 1
            continue
        files.append(remote)
    choices = Listing(group_choices(repo_id, files))
    choices.skipped = skipped
    return choices


def _remote_file(sibling: Any) -> RemoteFile | None:
    """A file entry of the model info (``rfilename``, ``size``, ``lfs``); None when it is malformed."""
    if not isinstance(sibling, dict) or not isinstance(sibling.get("rfilename"), str):
        return None
    lfs = sibling.get("lfs")
    if lfs is not None and not isinstance(lfs, dict):
        return None
    sha = lfs.get("sha256") if lfs else None
    if sha is not None and not (isinstance(sha, str) and _HEX64.fullmatch(sha.lower())):
        return None
    size = sibling.get("size")
    if size is None and lfs:
        size = lfs.get("size")
    try:
        size = _count(size)
    except ValueError:
        return None
    return RemoteFile(sibling["rfilename"], size, sha.lower() if sha else None)


def group_choices(repo_id: str, files: list[RemoteFile]) -> list[ModelChoice]:
    """Group safe ``.gguf`` files into choices (see :func:`list_model_files`)."""
    projectors = [f for f in files if _named_as_projector(f.filename)]
    groups: dict[tuple[str, str, int], dict[int, RemoteFile]] = {}
    for f in files:
        if _named_as_projector(f.filename):
            continue
        folder, _, base = f.filename.rpartition("/")
        prefix, number, count = _split_stem(_strip_gguf(base))
        groups.setdefault((folder, prefix.lower(), count), {})[number] = f
    choices: list[ModelChoice] = []
    for (folder, _, count), parts in groups.items():
        if sorted(parts) != list(range(1, count + 1)):
            missing = sorted(set(range(1, count + 1)) - set(parts))
            log.warning("left out a split model in %s (%s): parts %s of %d are missing",
                        repo_id, next(iter(parts.values())).filename, missing, count)
            continue
        ordered = tuple(parts[i] for i in range(1, count + 1))
        first = ordered[0].filename
        quant = quantization_of(first)
        choices.append(ModelChoice(repo_id=repo_id, name=_model_name(first, repo_id), quantization=quant,
                                   files=ordered, size_bytes=sum(p.size for p in ordered),
                                   mmproj=_pick_projector(projectors, folder, quant)))
    choices.sort(key=lambda c: (c.size_bytes, c.filename.lower()))
    return choices


def _pick_projector(projectors: list[RemoteFile], folder: str, quant: str) -> RemoteFile | None:
    """The projector for a model in ``folder`` at ``quant``: same folder first, then the model's own
    quantization, then F16, BF16, F32, Q8_0, then any (by name)."""
    if not projectors:
        return None

    def rank(p: RemoteFile) -> tuple[int, int, str]:
        p_folder = p.filename.rpartition("/")[0]
        p_quant = quantization_of(p.filename)
        if p_quant == quant:
            q = 0
        elif p_quant in _MMPROJ_PREFERENCE:
            q = 1 + _MMPROJ_PREFERENCE.index(p_quant)
        else:
            q = 1 + len(_MMPROJ_PREFERENCE)
        return (0 if p_folder == folder else 1, q, p.filename.lower())

    return min(projectors, key=rank)
