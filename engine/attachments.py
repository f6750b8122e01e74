"""Files attached to a message: images for vision models, documents whose text goes into the turn.

:func:`prepare` turns a path into an :class:`Attachment`: an image is checked
and decoded by :mod:`engine.images` (format allowlist, pixel limit); a
document is read by the knowledge base's extractors in a :class:`ParsePool`
worker, under the same time and memory limits as indexing, and its text is
kept. Either way the file is copied, by content, into the attachments folder
(``paths().attachments / sha[:2] / <sha256><suffix>``), so a conversation
never depends on the original path. :func:`prepare_image_bytes` does the same
for pasted image data, and :func:`load_rgb` decodes a stored image for the
model.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from . import images
from .errors import AttachmentError, DocumentTimeout, DocumentTooLarge, DocumentUnreadable, DocumentUnsupported

KINDS = ("image", "document")
DOCUMENT_MIMES = {"text": "text/plain", "markdown": "text/markdown", "html": "text/html", "pdf": "application/pdf",
                  "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                  "code": "text/plain", "csv": "text/csv"}
_HINTS = {"DocumentUnsupported": DocumentUnsupported.hint, "DocumentUnreadable": DocumentUnreadable.hint,
          "DocumentTimeout": DocumentTimeout.hint, "DocumentTooLarge": DocumentTooLarge.hint}
_WHOLE = 1 << 40   # chunk sizes that keep every section whole: one chunk per heading section or page
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
    from .paths import paths
    return paths().attachments


def stored_path(folder: Path, sha256: str, kind: str, name: str, mime: str) -> Path:
    """Where the copy of a file with this content lives in ``folder``."""
    if kind == "image":
        suffix = next((s for m, s in images.FORMATS.values() if m == mime), "")
    else:
        suffix = Path(name).suffix.lower()
        suffix = suffix if _SUFFIX.match(suffix) else ""
    return Path(folder) / sha256[:2] / f"{sha256}{suffix}"


def _store_bytes(data: bytes, target: Path) -> None:
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


def _store_file(src: Path, target: Path, size: int) -> None:
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
        _store_file(Path(att.stored), target, att.size)
    return replace(att, stored=target)


def _read(path: Path, name: str, limit: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > limit:
            raise AttachmentError(f"{name} is {size / 1e6:,.0f} MB; files up to {limit // 2**20} MB can be "
                                  "attached.", path=path)
        return path.read_bytes()
    except FileNotFoundError:
        raise AttachmentError(f"{name} does not exist (any more).", path=path,
                              hint="Check the file and attach it again.") from None
    except IsADirectoryError:
        raise AttachmentError(f"{name} is a folder; attach the files in it instead.", path=path) from None
    except OSError as exc:
        raise AttachmentError(f"{name} could not be read ({exc.strerror or exc}).", path=path,
                              hint="Check that the file exists and that you are allowed to read it.") from exc


def prepare(path: str | os.PathLike[str], *, folder: Path | None = None) -> Attachment:
    """Check, read and store one file for attaching (an image or a document).

    Raises :class:`ImageRejected` for an image that is not allowed or not intact,
    :class:`AttachmentError` (naming the file) for anything else that cannot be attached.
    """
    p = Path(os.fspath(path)).expanduser()
    name = p.name
    if p.is_dir():
        raise AttachmentError(f"{name} is a folder; attach the files in it instead.", path=p)
    try:
        with open(p, "rb") as fh:
            head = fh.read(64)
    except FileNotFoundError:
        raise AttachmentError(f"{name} does not exist.", path=p, hint="Check the path and attach it again.") from None
    except OSError as exc:
        raise AttachmentError(f"{name} could not be read ({exc.strerror or exc}).", path=p) from exc
    if images.looks_like_image(name, head):
        return _image(_read(p, name, images.MAX_BYTES), name, folder)
    return _document(p, folder)


prepare_attachment = prepare   # the name ``engine``'s front door gives it


def prepare_image_bytes(data: bytes, name: str = "pasted.png", *, folder: Path | None = None) -> Attachment:
    """An image pasted from the clipboard (encoded bytes: PNG, JPEG …), checked and stored like a file."""
    return _image(bytes(data), name, folder)


def _image(data: bytes, name: str, folder: Path | None) -> Attachment:
    facts = images.inspect_bytes(data, name)
    sha = hashlib.sha256(data).hexdigest()
    target = stored_path(folder or attachments_folder(), sha, "image", name, facts.mime)
    _store_bytes(data, target)
    return Attachment("image", name, sha, len(data), facts.mime, target, facts.width, facts.height)


def _document(path: Path, folder: Path | None) -> Attachment:
    from .kb import extract
    from .kb.parsing import ParsePool

    name = path.name
    kind = extract.kind_of(path)
    if kind is None:
        raise AttachmentError(f"{name} cannot be attached: {extract.skip_reason(path)}.", path=path)
    with ParsePool(workers=1, target_tokens=_WHOLE, overlap_tokens=0, max_tokens=_WHOLE) as pool:
        result = next(iter(pool.parse([path])))
    if not result.ok:
        raise AttachmentError(result.reason or f"{name} could not be read.", path=path,
                              hint=_HINTS.get(result.error or "", ""))
    parts: list[str] = []
    page: int | None = None
    for chunk in result.chunks:
        if chunk.page is not None and chunk.page != page:
            page = chunk.page
            parts.append(f"[page {page}]")
        parts.append(chunk.text)
    text = "\n\n".join(parts).strip()
    if not text:
        raise AttachmentError(f"{name} has no text to send" + (" (a scanned PDF has only pictures of text)."
                                                                if kind == "pdf" else "."), path=path,
                              hint="Attach a file that contains text, or paste the text into the message.")
    assert result.sha256 is not None
    mime = DOCUMENT_MIMES.get(kind, "application/octet-stream")
    target = stored_path(folder or attachments_folder(), result.sha256, "document", name, mime)
    _store_file(path, target, result.size)
    return Attachment("document", name, result.sha256, result.size, mime, target, text=text, pages=result.pages)


def load_rgb(att: Attachment) -> tuple[int, int, bytes]:
    """The stored image as ``(width, height, RGB bytes)`` for the model, shrunk to 2048 pixels at most."""
    if att.kind != "image":
        raise AttachmentError(f"{att.name} is not an image.")
    try:
        data = Path(att.stored).read_bytes()
    except OSError:
        raise AttachmentError(f"The stored copy of {att.name} is missing ({att.stored}).", path=att.stored,
                              hint="Attach the image again.") from None
    return images.rgb_bytes(data, att.name)


