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

Hostile input is refused before it costs anything: only a regular file is
opened (a folder, a device or a pipe behind any name, a symlink to
``/dev/zero`` included, is refused; the open is non-blocking so a pipe never
hangs it), at most ``limit + 1`` bytes are read, a document has a size limit
in bytes (``MAX_TEXT_BYTES`` / ``MAX_BINARY_BYTES``) checked before it is read
and one in characters of text (``MAX_TEXT_CHARS``) checked after extraction.
The copy is written only once the file has passed every check: a document is
parsed from a private copy (in a ``.part-`` folder, removed whatever happens)
that is then renamed into place, so a refusal leaves nothing behind.

:func:`attachment_tokens` is the one count of what a document takes of the
context -- its block as the turn sends it -- with the model's tokenizer when
one is given, estimated otherwise; the chip, the context meter and the "too
big" refusal all show this number.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Callable

from engine import images
from engine.errors import (AttachmentError, AttachmentFileTooLarge, DocumentTimeout, DocumentTooLarge,
                           DocumentUnreadable, DocumentUnsupported)
from engine.store.attachment_files import (Attachment, attachments_folder, open_regular, read_at_most, store_bytes,
                                           stored_path)

__all__ = ["Attachment", "attachment_tokens", "load_rgb", "prepare", "prepare_attachment", "prepare_image_bytes"]

DOCUMENT_MIMES = {"text": "text/plain", "markdown": "text/markdown", "html": "text/html", "pdf": "application/pdf",
                  "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                  "code": "text/plain", "csv": "text/csv"}
_HINTS = {"DocumentUnsupported": DocumentUnsupported.hint, "DocumentUnreadable": DocumentUnreadable.hint,
          "DocumentTimeout": DocumentTimeout.hint, "DocumentTooLarge": DocumentTooLarge.hint}
_WHOLE = 1 << 40   # chunk sizes that keep every section whole: one chunk per heading section or page
MAX_TEXT_CHARS = 2_000_000           # characters of a document's text (~500,000 tokens: more than any context)
MAX_TEXT_BYTES = 8 * 1024 * 1024     # a text document (.txt, .md, .html, .csv, code): 4 bytes a character at most
MAX_BINARY_BYTES = 64 * 1024 * 1024  # a PDF or a .docx, whose pictures take room but give no text
_BINARY_KINDS = ("pdf", "docx")


def _mb(n: int) -> str:
    return f"{n / 2**20:,.1f} MB".replace(".0 MB", " MB")


def _too_large(name: str, path: Path, size: int, limit: int, what: str, hint: str = "") -> AttachmentFileTooLarge:
    return AttachmentFileTooLarge(f"{name} is too large to attach: {_mb(size)} ({size:,} bytes); the limit for "
                                  f"{what} is {_mb(limit)}. Nothing was read or stored.", size=size, limit=limit,
                                  path=path, hint=hint)


def prepare(path: str | os.PathLike[str], *, folder: Path | None = None) -> Attachment:
    """Check, read and store one file for attaching (an image or a document).

    Raises :class:`ImageRejected` for an image that is not allowed or not intact,
    :class:`AttachmentNotAFile` for a folder, device or pipe, :class:`AttachmentFileTooLarge` for a file
    over the limits, :class:`AttachmentError` (naming the file) for anything else that cannot be attached.
    Nothing is stored unless the file is accepted.
    """
    p = Path(os.fspath(path)).expanduser()
    name = p.name or str(p)
    fh, st = open_regular(p, name)
    with fh:
        try:
            head = fh.read(64)
            if images.looks_like_image(name, head):
                if st.st_size > images.MAX_BYTES:
                    raise _too_large(name, p, st.st_size, images.MAX_BYTES, "images",
                                     "Shrink the image or save it as JPEG, then attach it again.")
                data = read_at_most(fh, st.st_size, images.MAX_BYTES)
                if len(data) > images.MAX_BYTES:
                    raise _too_large(name, p, len(data), images.MAX_BYTES, "images")
                att = _image(data, name, folder)
            else:
                from engine.knowledge import extract
                kind = extract.KINDS.get(p.suffix.lower())
                limit, what = ((MAX_BINARY_BYTES, "PDF and Word documents") if kind in _BINARY_KINDS
                               else (MAX_TEXT_BYTES, "text documents"))
                if st.st_size > limit:
                    raise _too_large(name, p, st.st_size, limit, what)
                data = read_at_most(fh, st.st_size, limit)
                if len(data) > limit:
                    raise _too_large(name, p, len(data), limit, what)
                att = _document(data, name, p, folder)
        except OSError as exc:
            raise AttachmentError(f"{name} could not be read ({exc.strerror or exc}).", path=p,
                                  hint="Check the file and attach it again.", reason="os_error",
                                  params={"name": name, "why": str(exc.strerror or exc)}) from None
    return replace(att, source=p.absolute())


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


def _document(data: bytes, name: str, path: Path, folder: Path | None) -> Attachment:
    """A document's text, read from a private copy of ``data`` that becomes the stored copy if it is accepted."""
    from engine.knowledge import extract
    from engine.knowledge.parsing import ParsePool

    folder = Path(folder or attachments_folder())
    folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".part-", dir=folder))
    try:
        copy = work / (name if name not in ("", ".", "..") and os.sep not in name else "document")
        copy.write_bytes(data)
        kind = extract.kind_of(copy)
        if kind is None:
            why = extract.skip_reason(copy)
            kind_params = ({"suffix": why.removeprefix("unsupported type ")} if why.startswith("unsupported type ")
                           else {"why": why})
            raise AttachmentError(f"{name} cannot be attached: {why}.", path=path,
                                  reason="unsupported_type" if "suffix" in kind_params else "unsupported",
                                  params={"name": name, **kind_params})
        with ParsePool(workers=1, target_tokens=_WHOLE, overlap_tokens=0, max_tokens=_WHOLE) as pool:
            result = next(iter(pool.parse([copy])))
        if not result.ok:
            # the reader's own message (recorded as text by the parse worker) and its error's code, by
            # which the window finds the message's translation
            raise AttachmentError(result.reason or f"{name} could not be read.", path=path,
                                  hint=_HINTS.get(result.error or "", ""), reason="document",
                                  params={"name": name, "document_error": result.error or ""})
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
                                  hint="Attach a file that contains text, or paste the text into the message.",
                                  reason="no_text_pdf" if kind == "pdf" else "no_text", params={"name": name})
        if len(text) > MAX_TEXT_CHARS:
            raise AttachmentFileTooLarge(f"{name} is too large to attach: its text is {len(text):,} characters; "
                                         f"the limit is {MAX_TEXT_CHARS:,}. Nothing was stored.",
                                         size=len(text), limit=MAX_TEXT_CHARS, path=path, reason="text",
                                         params={"name": name})
        sha = hashlib.sha256(data).hexdigest()
        mime = DOCUMENT_MIMES.get(kind, "application/octet-stream")
        target = stored_path(folder, sha, "document", name, mime)
        if not (target.is_file() and target.stat().st_size == len(data)):
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(copy, target)
            except OSError as exc:
                raise AttachmentError(f"{name} could not be stored in Hearth's data folder "
                                      f"({exc.strerror or exc}).", path=path,
                                      hint="Check that the disk is not full.", reason="store",
                                      params={"name": name, "why": str(exc.strerror or exc)}) from None
        return Attachment("document", name, sha, len(data), mime, target, text=text, pages=result.pages)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def attachment_tokens(att: Attachment, count: Callable[[str], int] | None = None, *, number: int = 1) -> int:
    """What document ``att`` takes of the context: its block (header, text, end line) as a turn sends it.

    ``count`` is the loaded model's tokenizer; without it the count is estimated (the knowledge base's
    estimate, which runs high on English prose and low on Chinese for English-trained models), and
    whoever shows it marks it as such. ``number`` is the document's place in its message (1, 2, …).
    An image has no text: 0 (what it takes depends on the model's projector)."""
    if att.kind != "document":
        return 0
    from engine.chat.turns import PLACEHOLDER, document_block
    block = document_block(number, att, PLACEHOLDER)   # the placeholder costs what the real delimiter will
    if count is not None:
        return count(block)
    from engine.knowledge.chunking import estimate_tokens
    return estimate_tokens(block)


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


