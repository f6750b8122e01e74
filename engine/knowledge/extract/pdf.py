"""PDF text with pypdf: paragraphs per page, with page numbers and line numbers within the page.

pypdf is imported on first use, so processes that never read a PDF do not load it.
A page that pypdf cannot read is skipped (and logged); a document whose every
page fails, or that needs a password, is unreadable.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import IO

from engine.errors import DocumentUnreadable
from engine.knowledge.extract.text import blocks, joined, lines_of
from engine.knowledge.records import Extracted, Section

log = logging.getLogger(__name__)


def read_pdf(path: Path, fh: IO[bytes] | None = None, max_chars: int = 1 << 62) -> Extracted:
    """One section per paragraph (a run of lines without a blank line) on each page.

    Reads from ``fh`` when given; stops after the page that takes the text past ``max_chars`` characters."""
    name = path.name
    try:
        from pypdf import PdfReader
        from pypdf.errors import DependencyError, FileNotDecryptedError
    except ImportError as exc:
        raise DocumentUnreadable(f"{name} cannot be read: the pypdf package is not installed.", path=path,
                                 reason="no_pypdf") from exc
    try:
        reader = PdfReader(fh if fh is not None else str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentUnreadable(f"{name} is password-protected.", path=path, reason="password")
        pages = list(reader.pages)
    except DocumentUnreadable:
        raise
    except FileNotDecryptedError as exc:
        raise DocumentUnreadable(f"{name} is password-protected.", path=path, reason="password") from exc
    except DependencyError as exc:
        raise DocumentUnreadable(f"{name} is encrypted in a way Hearth cannot read ({exc}).", path=path,
                                 reason="encryption", params={"detail": str(exc)}) from exc
    except MemoryError:
        raise
    except RecursionError as exc:
        raise DocumentUnreadable(f"{name} is damaged: its objects are nested too deeply.", path=path,
                                 reason="pdf_nested") from exc
    except Exception as exc:  # pypdf raises many kinds (PdfReadError, ValueError, KeyError...) for broken files
        raise DocumentUnreadable(f"{name} is damaged or not a PDF ({type(exc).__name__}: {exc}).",
                                 path=path, reason="not_pdf",
                                 params={"detail": f"{type(exc).__name__}: {exc}"}) from exc
    sections: list[Section] = []
    failed = chars = 0
    for number, page in enumerate(pages, start=1):
        if chars > max_chars:
            break
        try:
            text = page.extract_text() or ""
        except MemoryError:
            raise
        except DependencyError as exc:  # AES-encrypted streams need the cryptography package
            raise DocumentUnreadable(f"{name} is encrypted in a way Hearth cannot read ({exc}).",
                                     path=path, reason="encryption", params={"detail": str(exc)}) from exc
        except Exception as exc:  # one bad page should not cost the others
            failed += 1
            log.warning("%s: page %d could not be read: %s", name, number, exc)
            continue
        chars += len(text)
        lines = lines_of(text)
        sections.extend(Section(joined(lines, a, b), "paragraph", a + 1, b + 1, page=number)
                        for a, b in blocks(lines))
    if pages and failed == len(pages):
        raise DocumentUnreadable(f"{name} is damaged: none of its {len(pages)} pages could be read.", path=path,
                                 reason="no_pages", params={"pages": len(pages)})
    return Extracted(str(path), "pdf", sections, pages=len(pages))
