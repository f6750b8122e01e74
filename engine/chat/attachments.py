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
from pathlib import Path

from engine import images
from engine.errors import AttachmentError, DocumentTimeout, DocumentTooLarge, DocumentUnreadable, DocumentUnsupported
from engine.store.attachment_files import Attachment, attachments_folder, store_bytes, store_file, stored_path

__all__ = ["Attachment", "load_rgb", "prepare", "prepare_attachment", "prepare_image_bytes"]

DOCUMENT_MIMES = {"text": "text/plain", "markdown": "text/markdown", "html": "text/html", "pdf": "application/pdf",
                  "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                  "code": "text/plain", "csv": "text/csv"}
_HINTS = {"DocumentUnsupported": DocumentUnsupported.hint, "DocumentUnreadable": DocumentUnreadable.hint,
          "DocumentTimeout": DocumentTimeout.hint, "DocumentTooLarge": DocumentTooLarge.hint}
_WHOLE = 1 << 40   # chunk sizes that keep every section whole: one chunk per heading section or page


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
    store_bytes(data, target)
    return Attachment("image", name, sha, len(data), facts.mime, target, facts.width, facts.height)


def _document(path: Path, folder: Path | None) -> Attachment:
    from engine.knowledge import extract
    from engine.knowledge.parsing import ParsePool

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
    store_file(path, target, result.size)
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


