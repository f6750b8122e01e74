"""One file to structural sections: the kind of a file, why one is skipped, and ``extract``.

The kind comes from the suffix. Files without one (``LICENSE``, ``GPL-3``,
``LGPL-2.1``: a numeric "suffix" is a version, not a type) are read as text
when their first 8 KB hold no NUL byte. The readers live in
``extract_text`` (text, Markdown, code, CSV), ``extract_markup`` (HTML,
.docx) and ``extract_pdf``; each raises ``DocumentUnreadable`` naming the
file when it cannot make sense of it.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from engine.errors import DocumentUnreadable, DocumentUnsupported
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

_READERS: dict[str, Callable[[Path], Extracted]] = {
    "text": read_plain, "markdown": read_markdown, "html": read_html, "pdf": read_pdf,
    "docx": read_docx, "code": read_code, "csv": read_csv,
}


def _suffix(path: Path) -> str:
    """The lower-case suffix, or "" when there is none or it is a version number ('LGPL-2.1')."""
    suffix = path.suffix.lower()
    return "" if suffix[1:].isdigit() else suffix


def _head(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read(SNIFF_BYTES)
    except OSError:
        return None


def kind_of(path: str | os.PathLike[str]) -> str | None:
    """'text', 'markdown', 'html', 'pdf', 'docx', 'code' or 'csv'; None for files Hearth cannot read."""
    p = Path(path)
    if p.name.lower() in _CODE_NAMES:
        return "code"
    suffix = _suffix(p)
    if suffix:
        return KINDS.get(suffix)
    head = _head(p)
    if head is None:
        return None
    return "text" if has_bom(head) or b"\0" not in head else None


def skip_reason(path: str | os.PathLike[str]) -> str:
    """Why ``path`` is not read ('unsupported type .xlsx', 'binary file', ...), or "" when it is."""
    p = Path(path)
    if not p.exists():
        return "does not exist"
    if p.is_dir():
        return "is a folder"
    if not p.is_file():
        return "not a regular file"
    if kind_of(p) is not None:
        return ""
    suffix = _suffix(p)
    if suffix:
        return f"unsupported type {suffix}"
    return "cannot be read" if _head(p) is None else "binary file"


def extract(path: str | os.PathLike[str]) -> Extracted:
    """The file's sections; an empty file gives none. Raises DocumentUnsupported / DocumentUnreadable."""
    p = Path(path)
    kind = kind_of(p)
    if kind is None:
        raise DocumentUnsupported(f"{p.name} is not read: {skip_reason(p)}.", path=p)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise DocumentUnreadable(f"{p.name} does not exist (any more).", path=p) from None
    except OSError as exc:
        raise DocumentUnreadable(f"{p.name} could not be read ({exc.strerror or exc}).", path=p) from exc
    if size == 0:
        return Extracted(str(p), kind, [], pages=0 if kind == "pdf" else None)
    return _READERS[kind](p)
