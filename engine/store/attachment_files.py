"""Attached files as the store keeps them: the record, and content-addressed copies in the home.

An :class:`Attachment` names a file the user attached to a message; its bytes
live under the attachments folder at ``sha[:2]/<sha256><suffix>``, written
atomically, so a conversation never depends on the original path.
Preparing a file (checking, decoding, extracting its text) is the chat's
business: :mod:`engine.chat.attachments`.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from engine import images
from engine.errors import AttachmentError

KINDS = ("image", "document")
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,15}$")


@dataclass(frozen=True)
class Attachment:
    """One attached file, as stored; ``stored`` is its content-addressed copy."""

    kind: str                   # "image" | "document"
    name: str                   # the file's name as the user knows it (no folder)
    sha256: str                 # of the file's bytes
    size: int                   # bytes
    mime: str
    stored: Path
    width: int | None = None    # images: pixels, upright, as attached (the model gets it shrunk to 2048 at most)
    height: int | None = None
    text: str = ""              # documents: the extracted text ("" for images)
    pages: int | None = None    # documents: PDF pages
    id: int | None = None       # the database row, once saved with a message

    @property
    def is_image(self) -> bool:
        return self.kind == "image"


def attachments_folder() -> Path:
    from engine.paths import paths
    return paths().attachments


def stored_path(folder: Path, sha256: str, kind: str, name: str, mime: str) -> Path:
    """Where the copy of a file with this content lives in ``folder``."""
    if kind == "image":
        suffix = next((s for m, s in images.FORMATS.values() if m == mime), "")
    else:
        suffix = Path(name).suffix.lower()
        suffix = suffix if _SUFFIX.match(suffix) else ""
    return Path(folder) / sha256[:2] / f"{sha256}{suffix}"


def store_bytes(data: bytes, target: Path) -> None:
    if target.is_file() and target.stat().st_size == len(data):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise AttachmentError(f"{target.name} could not be written into Hearth's data folder "
                              f"({exc.strerror or exc}).", path=target,
                              hint="Check that the disk is not full.") from exc


def store_file(src: Path, target: Path, size: int) -> None:
    if target.is_file() and target.stat().st_size == size:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise AttachmentError(f"{src.name} could not be copied into Hearth's data folder ({exc.strerror or exc}).",
                              path=src, hint="Check that the disk is not full.") from exc


def copy_into(att: Attachment, folder: Path) -> Attachment:
    """The same attachment with its copy in ``folder`` (copied there when it is elsewhere)."""
    target = stored_path(folder, att.sha256, att.kind, att.name, att.mime)
    if Path(att.stored) != target:
        store_file(Path(att.stored), target, att.size)
    return replace(att, stored=target)
