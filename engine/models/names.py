"""Remote names that may become local paths: repository ids and file names from the Hub.

A repository or a file name comes from a server Hearth does not control, so it is
checked before it can touch the disk. Every check is made on the name's NFKC
normalisation as well as on the name as given, so a full-width look-alike
(``．．／x.gguf`` is ``../x.gguf`` after NFKC, and some file systems and Windows
code pages map it so) meets the same rules: no absolute paths, drive letters, ``..``,
backslashes, control or invisible formatting characters, empty path parts,
Windows device names or trailing dots/spaces; model files must end in ``.gguf``.
The local path is then resolved and must lie inside the destination folder.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from engine.errors import UnsafeFileName

MAX_NAME_BYTES = 200    # a file system allows 255 per name; leave room for ".part.json"
_REPO_PART = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_-])?$")
_WINDOWS_DEVICES = frozenset({"con", "prn", "aux", "nul", "conin$", "conout$",
                              *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))})
_REPO_HINT = "A repository is named owner/name, e.g. bartowski/Qwen2.5-7B-Instruct-GGUF. Pick another repository."


def normalise(name: str) -> str:
    """The NFKC form of a remote name (full-width and other compatibility characters folded)."""
    return unicodedata.normalize("NFKC", name)


def needs_normalising(name: str) -> bool:
    """True if NFKC changes ``name``: a look-alike that Hearth lists but never recommends."""
    return isinstance(name, str) and normalise(name) != name


def unsafe_reason(filename: str, *, gguf_only: bool = True) -> str | None:
    """Why a remote file name must not be written under the models folder (None: it is safe).

    The NFKC form is checked first, then the name as given."""
    if not isinstance(filename, str) or not filename:
        return "the name is empty"
    normal = normalise(filename)
    if normal != filename:
        reason = _unsafe_reason(normal, gguf_only)
        if reason is not None:
            return f"after Unicode normalisation (NFKC) it reads {normal!r}: {reason}"
    return _unsafe_reason(filename, gguf_only)


def _unsafe_reason(filename: str, gguf_only: bool) -> str | None:
    if not filename:
        return "the name is empty"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in filename):
        return "it contains control or invisible formatting characters"
    if "\\" in filename:
        return "it contains a backslash"
    if ":" in filename:
        return "it contains a drive letter or a colon"
    if filename.startswith("/"):
        return "it is an absolute path"
    for part in filename.split("/"):
        if part in ("", ".", ".."):
            return "it has an empty, '.' or '..' path part"
        if part != part.rstrip(". ") or part != part.lstrip(" "):
            return "a path part starts with a space or ends in a dot or a space"
        if part.split(".")[0].lower() in _WINDOWS_DEVICES:
            return "a path part is a reserved device name on Windows"
    if len(filename.rsplit("/", 1)[-1].encode("utf-8")) > MAX_NAME_BYTES:
        return "the name is too long"
    if gguf_only and not filename.lower().endswith(".gguf"):
        return "it is not a .gguf file"
    return None


def check_filename(filename: str, *, gguf_only: bool = True) -> str:
    """``filename`` if it is safe to download (see :func:`unsafe_reason`); else UnsafeFileName naming it."""
    reason = unsafe_reason(filename, gguf_only=gguf_only)
    if reason is not None:
        raise UnsafeFileName(f"Refused the remote file name {filename!r}: {reason}.", path=None)
    return filename


def check_repo_id(repo_id: str) -> str:
    """``repo_id`` if it is a well-formed ``owner/name`` (or legacy ``name``); else UnsafeFileName.

    A name that NFKC normalisation changes (a full-width look-alike) is refused."""
    parts = repo_id.split("/") if isinstance(repo_id, str) and not needs_normalising(repo_id) else []
    if not 1 <= len(parts) <= 2 or not all(_REPO_PART.fullmatch(p) and ".." not in p and "--" not in p for p in parts):
        raise UnsafeFileName(f"Refused the repository name {repo_id!r}: it is not a valid owner/name.",
                             hint=_REPO_HINT)
    return repo_id


def repo_folder_name(repo_id: str) -> str:
    """The folder a repository's files go to: ``owner__name`` (``name`` for a legacy one-part id)."""
    return "__".join(check_repo_id(repo_id).split("/"))


def local_target(folder: Path, filename: str) -> Path:
    """Where ``filename`` is stored: its NFKC-normalised basename inside ``folder``, checked to stay inside it
    (the name on disk is the very name that was checked)."""
    check_filename(filename)
    base = normalise(filename).rsplit("/", 1)[-1]
    root = Path(folder).resolve()
    target = (root / base).resolve()
    if target.parent != root or not target.is_relative_to(root):
        raise UnsafeFileName(f"Refused the remote file name {filename!r}: it would be written outside {root}.")
    return root / base
