"""Attached files as the store keeps them: the record, and content-addressed copies in the home.

An :class:`Attachment` names a file the user attached to a message; its bytes
live under the attachments folder at ``sha[:2]/<sha256><suffix>``, written
atomically, so a conversation never depends on the original path.
Preparing a file (checking, decoding, extracting its text) is the chat's
business: :mod:`engine.chat.attachments`.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from engine import images
from engine.errors import AttachmentError, AttachmentNotAFile

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
    # what it took of the context when it was sent, as the model counted it (None: not sent, or not counted)
    tokens: int | None = field(default=None, compare=False)
    # the file it was prepared from (not stored): a copy removed after a refused send is made again from it
    source: Path | None = field(default=None, compare=False, repr=False)

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


def _what(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _regular(st: os.stat_result, name: str, path: Path) -> None:
    if not stat.S_ISREG(st.st_mode):
        what = _what(st.st_mode)
        hint = "Attach the files in it instead." if what == "a folder" else ""
        raise AttachmentNotAFile(f"{name} is {what}, not a file; only regular files can be attached.",
                                 path=path, hint=hint)


def open_regular(path: Path, name: str | None = None) -> tuple[BinaryIO, os.stat_result]:
    """``path`` opened for reading, which must be a regular file: a folder, a device, a pipe or a socket
    (a symlink to one included) is refused before it is opened, and again on the opened descriptor
    (opened non-blocking, so a pipe never hangs the open)."""
    name = name or path.name or str(path)
    try:
        _regular(os.stat(path), name, path)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    except (FileNotFoundError, NotADirectoryError):
        raise AttachmentError(f"{name} does not exist (any more).", path=path,
                              hint="Check the file and attach it again.") from None
    except OSError as exc:
        raise AttachmentError(f"{name} could not be read ({exc.strerror or exc}).", path=path,
                              hint="Check that you are allowed to read the file.") from None
    try:
        st = os.fstat(fd)
        _regular(st, name, path)     # swapped for a pipe or a device since the first look
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb"), st
    except BaseException:
        os.close(fd)
        raise


def read_at_most(fh: BinaryIO, size: int, limit: int) -> bytes:
    """The file's bytes from the start, ``limit + 1`` at most (more than ``limit``: it is too large);
    ``size`` is what the file's stat said."""
    fh.seek(0)
    data = fh.read(min(size, limit) + 1)
    if size < len(data) <= limit:      # it grew since: read on, still bounded
        data += fh.read(limit + 1 - len(data))
    return data


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


def store_file(src: Path, target: Path, size: int, sha256: str | None = None, name: str | None = None) -> None:
    """Copy ``src`` (a regular file, read ``size + 1`` bytes at most) to ``target``; with ``sha256``, only
    when its content is still that."""
    if target.is_file() and target.stat().st_size == size:
        return
    name = name or src.name
    fh, _ = open_regular(src, name)
    with fh:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        digest, copied = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as out:
                while copied <= size:
                    block = fh.read(min(1 << 20, size + 1 - copied))
                    if not block:
                        break
                    digest.update(block)
                    out.write(block)
                    copied += len(block)
            if copied != size or (sha256 is not None and digest.hexdigest() != sha256):
                raise AttachmentError(f"{name} has changed since it was attached.", path=src,
                                      hint="Attach it again.")
            os.replace(tmp, target)
        except OSError as exc:
            raise AttachmentError(f"{name} could not be copied into Hearth's data folder "
                                  f"({exc.strerror or exc}).", path=src,
                                  hint="Check that the disk is not full.") from exc
        finally:
            Path(tmp).unlink(missing_ok=True)


def copy_into(att: Attachment, folder: Path) -> Attachment:
    """The same attachment with its copy in ``folder``: copied there from its copy elsewhere, or made
    again from the file it was prepared from when its copy was removed (after a refused send)."""
    target = stored_path(folder, att.sha256, att.kind, att.name, att.mime)
    if not (target.is_file() and target.stat().st_size == att.size):
        sources = [Path(att.stored)] if Path(att.stored) != target else []
        sources += [att.source] if att.source is not None else []
        for src in sources:
            try:
                store_file(src, target, att.size, att.sha256, att.name)
                break
            except AttachmentError:
                if src is sources[-1]:
                    raise
        else:
            raise AttachmentError(f"The copy of {att.name} is gone ({target}).", path=target,
                                  hint="Attach the file again.")
    return replace(att, stored=target)


def remove_copy(att: Attachment, folder: Path) -> None:
    """Remove ``att``'s copy from ``folder`` (the caller knows no saved message uses it)."""
    target = stored_path(folder, att.sha256, att.kind, att.name, att.mime)
    if Path(att.stored) != target:
        return
    target.unlink(missing_ok=True)
    try:
        target.parent.rmdir()      # only when empty
    except OSError:
        pass
