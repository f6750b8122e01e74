"""Markup formats: HTML (the standard library's parser) and Word .docx (zipfile and ElementTree).

No third-party parser is involved. ElementTree's expat refuses entity-expansion
bombs, and a .docx whose main part would inflate past ``MAX_DOCX_XML`` is
refused before it is read, so a small hostile file cannot exhaust memory.
"""
from __future__ import annotations

import re
import zipfile
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import IO
from xml.etree import ElementTree as ET

from engine.errors import DocumentTooLarge, DocumentUnreadable
from engine.knowledge.extract.text import HeadingPath, decode_text, read_bytes
from engine.knowledge.records import Extracted, Section

MAX_DOCX_XML = 200 * 1024 * 1024

# --- HTML ---------------------------------------------------------------------

_SKIP = frozenset({"script", "style", "head", "noscript", "template", "svg", "math", "iframe", "object"})
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot",
    "thead", "ul"})
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)
_CELL = "\x1f"


class _HtmlSections(HTMLParser):
    """Collects text blocks; a block ends at any block-level tag. Table rows become one block each."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[Section] = []
        self._headings = HeadingPath()
        self._skip = 0
        self._pre = 0
        self._level = 0     # inside <hN>
        self._items = 0     # inside <li>
        self._row = False   # inside <tr>
        self._buf: list[str] = []
        self._first = self._last = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self._skip = 0  # a <head> that was never closed ends here
        if tag in _SKIP:
            self._skip += 1
            return
        if self._skip:
            return
        if tag == "br":
            self._buf.append("\n")
        elif tag == "tr":
            self._flush()
            self._row = True
        elif tag in ("td", "th"):
            self._buf.append(_CELL)
        elif tag in _BLOCKS and not self._row:
            self._flush()
            self._level = _HEADINGS.get(tag, self._level)
            self._pre += tag == "pre"
            self._items += tag == "li"

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
            return
        if self._skip:
            return
        if tag in ("tr", "table"):
            self._flush()
            self._row = False
        elif tag in _BLOCKS and not self._row:
            self._flush()
            if tag in _HEADINGS:
                self._level = 0
            self._pre -= tag == "pre" and self._pre > 0
            self._items -= tag == "li" and self._items > 0

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self._buf.append(data)
        stripped = data.strip()
        if stripped:
            line = self.getpos()[0]
            if not self._first:
                self._first = line + data[: len(data) - len(data.lstrip())].count("\n")
            self._last = line + data.rstrip().count("\n")

    def close(self) -> None:
        super().close()
        self._flush()

    def _flush(self) -> None:
        raw = "".join(self._buf)
        self._buf = []
        first, last = self._first, max(self._last, self._first)
        self._first = self._last = 0
        if self._row:
            text, kind = " | ".join(c for c in (" ".join(cell.split()) for cell in raw.split(_CELL)) if c), "table"
        elif self._pre:
            text, kind = raw.strip("\n").rstrip(), "code"
        else:
            text = "\n".join(c for c in (" ".join(line.split()) for line in raw.split("\n")) if c)
            kind = "list" if self._items else "paragraph"
        text = text.replace(_CELL, " ")
        if not text.strip():
            return
        if self._level and not self._row:
            title = " ".join(text.split())
            self.sections.append(Section(title, "heading", first, last,
                                         heading=self._headings.push(self._level, title), level=self._level))
        else:
            self.sections.append(Section(text, kind, first, last, heading=self._headings.path))


def _decode_html(data: bytes, path: Path) -> str:
    declared = _CHARSET.search(data[:4096])
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(data, path)


def read_html(path: Path, data: bytes | None = None) -> Extracted:
    """Headings h1–h6, paragraphs, list items, preformatted blocks and table rows; scripts and styles dropped."""
    data = read_bytes(path, data)
    parser = _HtmlSections()
    parser.feed(_decode_html(data, path))
    parser.close()
    return Extracted(str(path), "html", parser.sections)


# --- DOCX ---------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_NAME = re.compile(r"heading ?([1-9])")


def _level_from_name(name: str | None) -> int:
    name = (name or "").strip().lower()
    if name == "title":
        return 1
    match = _HEADING_NAME.fullmatch(name)
    return int(match.group(1)) if match else 0


def _outline_level(ppr: ET.Element | None) -> int:
    outline = ppr.find(_W + "outlineLvl") if ppr is not None else None
    value = outline.get(_W + "val", "") if outline is not None else ""
    return int(value) + 1 if value.isdigit() and int(value) < 9 else 0


def _style_levels(zf: zipfile.ZipFile) -> dict[str, int]:
    """styleId → heading level, from word/styles.xml (localised Word names styles '1', 'berschrift1'...)."""
    try:
        info = zf.getinfo("word/styles.xml")
        if info.file_size > 20 * 1024 * 1024:
            return {}
        root = ET.fromstring(zf.read(info))
    except (KeyError, ET.ParseError, zipfile.BadZipFile, zlib.error, EOFError):
        return {}
    levels = {}
    for style in root.iter(_W + "style"):
        style_id = style.get(_W + "styleId")
        name = style.find(_W + "name")
        level = _level_from_name(name.get(_W + "val") if name is not None else None) or \
            _outline_level(style.find(_W + "pPr"))
        if style_id and level:
            levels[style_id] = level
    return levels


def _paragraph_text(p: ET.Element) -> str:
    parts = []
    for run in p.iter(_W + "r"):
        for node in run:
            tag = node.tag
            if tag == _W + "t":
                parts.append(node.text or "")
            elif tag == _W + "tab":
                parts.append("\t")
            elif tag in (_W + "br", _W + "cr"):
                parts.append("\n")
            elif tag == _W + "noBreakHyphen":
                parts.append("-")
    return "".join(parts)


def _heading_level(p: ET.Element, styles: dict[str, int]) -> tuple[int, bool]:
    """(heading level or 0, is a list item)."""
    ppr = p.find(_W + "pPr")
    if ppr is None:
        return 0, False
    style = ppr.find(_W + "pStyle")
    style_id = style.get(_W + "val", "") if style is not None else ""
    level = styles.get(style_id) or _level_from_name(style_id) or _outline_level(ppr)
    return level, ppr.find(_W + "numPr") is not None


def _docx_sections(fh: IO[bytes], styles: dict[str, int], max_chars: int) -> list[Section]:
    """The body's sections, until they hold more than ``max_chars`` characters."""
    sections: list[Section] = []
    chars = 0
    headings = HeadingPath()
    line = depth = tables = counted = 0
    body: ET.Element | None = None
    for event, el in ET.iterparse(fh, events=("start", "end")):
        tag = el.tag
        if event == "start":
            depth += 1
            if tag == _W + "tbl":
                tables += 1
            elif tag == _W + "body":
                body = el
            continue
        depth -= 1
        if tag == _W + "p" and not tables:
            line += 1
            text = _paragraph_text(el).strip()
            level, listed = _heading_level(el, styles)
            if text and level:
                title = " ".join(text.split())
                sections.append(Section(title, "heading", line, line, heading=headings.push(level, title),
                                        level=level))
            elif text:
                sections.append(Section(text, "list" if listed else "paragraph", line, line,
                                        heading=headings.path))
        elif tag == _W + "tr" and tables == 1:
            line += 1
            cells = (" ".join(" ".join(_paragraph_text(p).split()) for p in tc.iter(_W + "p"))
                     for tc in el.findall(_W + "tc"))
            text = " | ".join(c.strip() for c in cells if c.strip())
            if text:
                sections.append(Section(text, "table", line, line, heading=headings.path))
            el.clear()
        elif tag == _W + "tbl":
            tables -= 1
        if depth == 2 and body is not None:  # a finished child of <w:body>: drop it, keep memory flat
            body.clear()
            chars += sum(len(s.text) for s in sections[counted:])
            counted = len(sections)
            if chars > max_chars:
                break
    return sections


def read_docx(path: Path, fh: IO[bytes] | None = None, max_chars: int = 1 << 62) -> Extracted:
    """Paragraphs, headings (Title, Heading 1–9, outline levels) and table rows; line = paragraph number.

    Reads from ``fh`` when given; stops once the sections hold more than ``max_chars`` characters."""
    name = path.name
    try:
        zf = zipfile.ZipFile(fh if fh is not None else path)
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
        raise DocumentUnreadable(f"{name} is damaged or not a Word document (not a valid zip archive).",
                                 path=path, reason="not_zip") from exc
    except OSError as exc:
        raise DocumentUnreadable(f"{name} could not be read ({exc.strerror or exc}).", path=path,
                                 reason="os_error", params={"why": str(exc.strerror or exc)}) from exc
    with zf:
        try:
            info = zf.getinfo("word/document.xml")
        except KeyError:
            raise DocumentUnreadable(f"{name} is not a Word document (word/document.xml is missing).",
                                     path=path, reason="no_document_xml") from None
        if info.file_size > MAX_DOCX_XML:
            raise DocumentTooLarge(f"{name} is too large: its text part inflates to "
                                   f"{info.file_size // 2**20} MB (the limit is {MAX_DOCX_XML // 2**20} MB).",
                                   path=path, reason="inflates",
                                   params={"size_mb": info.file_size // 2**20, "limit_mb": MAX_DOCX_XML // 2**20})
        try:
            styles = _style_levels(zf)
            with zf.open(info) as part:
                sections = _docx_sections(part, styles, max_chars)
        except ET.ParseError as exc:
            if "memory" in str(exc):
                raise DocumentTooLarge(f"{name} needed more memory than allowed to read.", path=path,
                                       reason="memory") from exc
            raise DocumentUnreadable(f"{name} is damaged: its text is not valid XML ({exc}).", path=path,
                                     reason="bad_xml", params={"detail": str(exc)}) from exc
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, LookupError, OSError) as exc:
            raise DocumentUnreadable(f"{name} is damaged ({exc}).", path=path, reason="damaged",
                                     params={"detail": str(exc)}) from exc
    return Extracted(str(path), "docx", sections)
