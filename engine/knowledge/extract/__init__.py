"""One file to structural sections: the kind of a file, why one is skipped, and ``extract``.

The kind comes from the suffix. Files without one (``LICENSE``, ``GPL-3``,
``LGPL-2.1``: a numeric "suffix" is a version, not a type) are read as text
when their first 8 KB hold no NUL byte. The readers live in
``extract_text`` (text, Markdown, code, CSV), ``extract_markup`` (HTML,
.docx) and ``extract_pdf``; each raises ``DocumentUnreadable`` naming the
file when it cannot make sense of it.

``open_document`` is the one way a document is opened for reading: never
blocking (a FIFO swapped in), only a regular file, and, given the folders the
user chose, only a file whose real path (of the opened descriptor) lies inside
one of them. ``extract`` reads at most ``max_chars`` characters of a document
and says so in ``Extracted.note`` when it stopped there.
"""
from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path
from typing import IO, Callable, Iterable

from engine.errors import DocumentNotAFile, DocumentOutsideFolder, DocumentTooLarge, DocumentUnreadable, \
    DocumentUnsupported
from engine.knowledge.extract.markup import read_docx, read_html
from engine.knowledge.extract.pdf import read_pdf
from engine.knowledge.extract.text import SNIFF_BYTES, has_bom, read_code, read_csv, read_markdown, read_plain
from engine.knowledge.records import Extracted

_CODE = (".py .pyi .pyw .js .mjs .cjs .ts .tsx .jsx .java .c .h .cpp .hpp .cc .hh .cxx .hxx .rs .go .rb .php "
         ".cs .swift .kt .kts .m .mm .sh .bash .zsh .fish .ps1 .bat .cmd .sql .toml .yaml .yml .json .jsonl "
         ".ini .cfg .conf .lua .r .scala .pl .pm .css .scss .sass .less .xml .xsl .svg .vue .svelte .dart .ex "
         ".exs .erl .hs .ml .clj .el .vim .zig .nim .jl .f90 .pas .groovy .gradle .tf .proto .graphql .cmake "
         ".mk .dockerfile .tex .bib .patch .diff .properties")
KINDS: dict[str, str] = {
    **{suffix: "code" for suffix in _CODE.split()},
    **dict.fromkeys((".txt", ".text", ".rst", ".log", ".asc", ".nfo"), "text"),
    ".md": "markdown", ".markdown": "markdown", ".mdown": "markdown",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".pdf": "pdf", ".docx": "docx", ".csv": "csv", ".tsv": "csv",
}
_CODE_NAMES = frozenset({"makefile", "dockerfile", "containerfile", "gemfile", "rakefile", "jenkinsfile",
                         "vagrantfile", "cmakelists.txt", "justfile", "procfile"})

MAX_CHARS = 10_000_000  # characters one indexed document may become (ParsePool's default); the rest is left out

_TEXT_READERS: dict[str, Callable[[Path, bytes], Extracted]] = {
    "text": read_plain, "markdown": read_markdown, "html": read_html, "code": read_code, "csv": read_csv,
}
_FILE_READERS: dict[str, Callable[[Path, IO[bytes], int], Extracted]] = {"pdf": read_pdf, "docx": read_docx}


def _suffix(path: Path) -> str:
    """The lower-case suffix, or "" when there is none or it is a version number ('LGPL-2.1')."""
    suffix = path.suffix.lower()
    return "" if suffix[1:].isdigit() else suffix


# --- opening, with the checks -------------------------------------------------------

_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
               | getattr(os, "O_BINARY", 0))


def special_kind(mode: int) -> str:
    """'a FIFO', 'a device'... for a mode that is not a regular file's."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def inside(real: str, roots: Iterable[str]) -> bool:
    """Whether the real path ``real`` is one of ``roots`` (real paths) or lies under one."""
    for root in roots:
        root = root.rstrip(os.sep) or os.sep
        if real == root or real.startswith(root if root.endswith(os.sep) else root + os.sep):
            return True
    return False


def _opened_path(fd: int, path: str) -> str:
    """The real path of the file open on ``fd`` (Linux: the kernel's; elsewhere realpath checked by inode)."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        pass
    real = os.path.realpath(path)
    st, now = os.fstat(fd), os.stat(real)
    if (st.st_dev, st.st_ino) != (now.st_dev, now.st_ino):
        raise OSError("the file changed while it was opened")
    return real


def open_document(path: str | os.PathLike[str], roots: Iterable[str] | None = None) -> IO[bytes]:
    """``path`` open for reading, checked: a regular file, and under one of ``roots`` (real paths) when given.

    Raises DocumentNotAFile (FIFO, device, socket, folder: never blocks on them), DocumentOutsideFolder
    (its real path leaves the chosen folders: a link, or a file swapped for one), DocumentUnreadable.
    """
    p = Path(path)
    try:
        fd = os.open(p, _OPEN_FLAGS)
    except FileNotFoundError:
        raise DocumentUnreadable(f"{p.name} does not exist (any more), or is a broken link.", path=p,
                                 reason="missing") from None
    except OSError as exc:
        raise unreadable(p, exc) from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise DocumentNotAFile(f"{p.name} is not read: it is {special_kind(st.st_mode)}.", path=p,
                                  reason="special", params={"kind": special_kind(st.st_mode)})
        if roots is not None:
            try:
                real = _opened_path(fd, os.fspath(p))
            except OSError as exc:
                raise unreadable(p, exc) from exc
            if not inside(real, [os.path.realpath(r) for r in roots]):
                raise DocumentOutsideFolder(f"{p.name} is not read: it leads outside the folder you chose "
                                            f"(to {real}).", path=p, reason="outside", params={"target": real})
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _head(path: Path) -> bytes | None:
    try:
        with open_document(path) as fh:
            return fh.read(SNIFF_BYTES)
    except (OSError, DocumentUnreadable, DocumentUnsupported):
        return None


def kind_of(path: str | os.PathLike[str], *, head: bytes | None = None) -> str | None:
    """'text', 'markdown', 'html', 'pdf', 'docx', 'code' or 'csv'; None for files Hearth cannot read.

    ``head``: the file's first bytes when the caller has them (else they are read when needed)."""
    p = Path(path)
    if p.name.lower() in _CODE_NAMES:
        return "code"
    suffix = _suffix(p)
    if suffix:
        return KINDS.get(suffix)
    head = _head(p) if head is None else head
    if head is None:
        return None
    return "text" if has_bom(head) or b"\0" not in head else None


def skip_reason(path: str | os.PathLike[str], *, head: bytes | None = None) -> str:
    """Why ``path`` is not read ('unsupported type .xlsx', 'binary file', ...), or "" when it is."""
    p = Path(path)
    if head is None:
        try:
            st = p.stat()
        except OSError:
            return "does not exist"
        if not stat.S_ISREG(st.st_mode):
            return f"is {special_kind(st.st_mode)}"
    if kind_of(p, head=head) is not None:
        return ""
    suffix = _suffix(p)
    if suffix:
        return f"unsupported type {suffix}"
    return "cannot be read" if (head if head is not None else _head(p)) is None else "binary file"


def unsupported(path: str | os.PathLike[str], head: bytes | None = None) -> DocumentUnsupported:
    """The refusal of a file Hearth does not read, with the code the window translates it by."""
    p = Path(path)
    why = skip_reason(p, head=head)
    if why.startswith("unsupported type "):
        reason, params = "type", {"suffix": why.removeprefix("unsupported type ")}
    elif why == "binary file":
        reason, params = "binary", {}
    else:
        reason, params = "skipped", {"why": why}
    return DocumentUnsupported(f"{p.name} is not read: {why}.", path=p, reason=reason, params=params)


def unreadable(path: Path, exc: OSError) -> DocumentUnreadable:
    """A document the system would not let Hearth read (permissions, I/O error), naming it."""
    why = str(exc.strerror or exc)
    return DocumentUnreadable(f"{path.name} could not be read ({why}).", path=path, reason="os_error",
                              params={"why": why})


def extract(path: str | os.PathLike[str], *, fh: IO[bytes] | None = None,
            max_chars: int | None = None) -> Extracted:
    """The file's sections, at most ``max_chars`` characters of them (None: all); an empty file gives none.

    Reads from ``fh`` when given (opened with ``open_document``), else opens ``path`` itself.
    Raises DocumentUnsupported / DocumentUnreadable / DocumentTooLarge (only DocumentError).
    """
    p = Path(path)
    if fh is None:
        with open_document(p) as opened:
            return extract(p, fh=opened, max_chars=max_chars)
    head = fh.read(SNIFF_BYTES)
    fh.seek(0)
    kind = kind_of(p, head=head)
    if kind is None:
        raise unsupported(p, head)
    if os.fstat(fh.fileno()).st_size == 0:
        return Extracted(str(p), kind, [], pages=0 if kind == "pdf" else None)
    cap = 1 << 62 if max_chars is None else max_chars
    try:
        if kind in _TEXT_READERS:
            limit = cap * 4 + 4  # enough bytes for max_chars characters in any encoding
            data = fh.read() if max_chars is None else fh.read(limit + 1)
            partial = len(data) > limit
            doc = _TEXT_READERS[kind](p, _trim_utf8_tail(data[:limit]) if partial else data)
        else:
            partial = False
            doc = _FILE_READERS[kind](p, fh, cap)
    except RecursionError:
        raise DocumentUnreadable(f"{p.name} is nested too deeply to read.", path=p, reason="nested") from None
    except MemoryError:
        raise DocumentTooLarge(f"{p.name} needed more memory than allowed to read.", path=p, reason="memory") from None
    except OSError as exc:
        raise unreadable(p, exc) from exc
    return _capped(doc, cap, partial)


def _trim_utf8_tail(data: bytes) -> bytes:
    """``data`` without a UTF-8 character cut at its end (harmless for other encodings: a few bytes less)."""
    i = len(data)
    while i > 0 and len(data) - i < 3 and data[i - 1] & 0xC0 == 0x80:
        i -= 1
    if i > 0 and data[i - 1] >= 0xC0:
        need = 2 if data[i - 1] < 0xE0 else 3 if data[i - 1] < 0xF0 else 4
        if len(data) - (i - 1) < need:
            return data[:i - 1]
    return data


def _capped(doc: Extracted, max_chars: int, partial: bool) -> Extracted:
    """The document cut after ``max_chars`` characters of section text, with a note when anything was left out."""
    total, kept = 0, []
    for section in doc.sections:
        room = max_chars - total
        if room <= 0:
            partial = True
            break
        if len(section.text) > room:
            kept.append(dataclasses.replace(section, text=section.text[:room]))
            partial = True
            break
        kept.append(section)
        total += len(section.text)
    if not partial:
        return doc
    return dataclasses.replace(doc, sections=kept, note=f"indexed the first {max_chars:,} characters (limit)")
