"""Real documents for the knowledge-base tests, written by hand (no new dependencies).

Everything here produces files that real readers accept: PDFs with a correct
cross-reference table that pypdf reads back, and .docx files that are the zip
layout Word writes (content types, package relationships, the main document).
The hostile ones (a PDF that keeps pypdf busy, a corrupt .docx, a zip bomb)
are as small on disk as the real attacks they stand for.
"""
from __future__ import annotations

import random
import zipfile
import zlib
from pathlib import Path
from typing import Sequence
from xml.sax.saxutils import escape

# --- text ---------------------------------------------------------------------

_WORDS = ("the licence grants each person permission to copy modify and distribute software provided that "
          "notices stay intact while warranties are disclaimed under applicable law and every recipient "
          "receives the same freedoms").split()


def prose(rng: random.Random, sentences: int) -> str:
    """Random English-like sentences, wrapped at 70 characters like a plain-text file."""
    out = []
    for _ in range(sentences):
        words = rng.choices(_WORDS, k=rng.randint(6, 18))
        out.append(" ".join(words).capitalize() + rng.choice([".", ".", "?", "!"]))
    text = " ".join(out)
    return "\n".join(text[i:i + 70] for i in range(0, len(text), 70))


def make_big_text(path: str | Path, megabytes: int, seed: int = 1) -> Path:
    """A plain-text file of about ``megabytes`` MB: paragraphs of 1–12 sentences between blank lines."""
    rng = random.Random(seed)
    block = "\n\n".join(prose(rng, rng.randint(1, 12)) for _ in range(300)) + "\n\n"
    with open(path, "w", encoding="utf-8") as fh:
        for _ in range(megabytes * 2**20 // len(block) + 1):
            fh.write(block)
    return Path(path)


# --- PDF ------------------------------------------------------------------------

_HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def _stream(data: bytes, *, compress: bool = False, extra: bytes = b"") -> bytes:
    if compress:
        data = zlib.compress(data, 9)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), extra, data)


def _pdf_bytes(objects: Sequence[bytes]) -> bytes:
    """A PDF file from object bodies; object 1 must be the catalog."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _pdf_literal(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _pages_pdf(contents: list[bytes], font: bytes, extra_objects: Sequence[bytes] = ()) -> bytes:
    """Catalog, page tree, one font (object 3), the pages and their contents, then extras."""
    n = len(contents)
    first_page = 4 + len(extra_objects)
    kids = b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(n))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n),
               font, *extra_objects]
    for i, content in enumerate(contents):
        page, stream = first_page + 2 * i, first_page + 2 * i + 1
        assert len(objects) + 1 == page
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                       b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % stream)
        objects.append(_stream(content))
    return _pdf_bytes(objects)


def _lines_content(lines: list[str], show) -> bytes:  # type: ignore[no-untyped-def]
    parts = []
    for i, line in enumerate(lines):
        y = 750 - 16 * (i % 45)
        parts.append(b"BT /F1 12 Tf 72 %d Td %s Tj ET" % (y, show(line)))
    return b"\n".join(parts) + b"\n"


def make_pdf(path: str | Path, pages: list[str]) -> Path:
    """A PDF with one page per string; each line of a string is one text object (Helvetica, WinAnsi)."""
    contents = [_lines_content(page.split("\n"), _pdf_literal) for page in pages]
    Path(path).write_bytes(_pages_pdf(contents, _HELVETICA))
    return Path(path)


def make_pdf_cjk(path: str | Path, pages: list[str]) -> Path:
    """A PDF whose text (Chinese included) is shown with a Type0 font, Identity-H, and a ToUnicode map.

    Each character's CID is its Unicode code point (BMP only), and the ToUnicode
    CMap maps it back, so text extraction recovers the characters; no glyphs are
    embedded, so viewers draw boxes, which is fine for a test.
    """
    chars = sorted({c for page in pages for c in page if c != "\n"})
    assert all(ord(c) < 0x10000 for c in chars), "BMP characters only"
    entries = [b"<%04X> <%04X>" % (ord(c), ord(c)) for c in chars]
    blocks = [b"%d beginbfchar\n%s\nendbfchar" % (len(entries[i:i + 100]), b"\n".join(entries[i:i + 100]))
              for i in range(0, len(entries), 100)]
    cmap = (b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            b"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            b"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            + b"\n".join(blocks) +
            b"\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
    # objects 4.. : descendant CID font, its descriptor, the ToUnicode stream
    font = b"<< /Type /Font /Subtype /Type0 /BaseFont /HearthCJK /Encoding /Identity-H " \
           b"/DescendantFonts [4 0 R] /ToUnicode 6 0 R >>"
    extras = [b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /HearthCJK "
              b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
              b"/FontDescriptor 5 0 R /DW 1000 /CIDToGIDMap /Identity >>",
              b"<< /Type /FontDescriptor /FontName /HearthCJK /Flags 4 /FontBBox [0 -120 1000 880] "
              b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>",
              _stream(cmap)]

    def show(line: str) -> bytes:
        return b"<" + "".join(f"{ord(c):04X}" for c in line).encode() + b">"

    contents = [_lines_content(page.split("\n"), show) for page in pages]
    Path(path).write_bytes(_pages_pdf(contents, font, extras))
    return Path(path)


def make_hanging_pdf(path: str | Path, calls: int = 5000, shows: int = 20_000) -> Path:
    """A ~1 KB PDF that keeps pypdf's text extraction busy for half an hour, using little memory.

    One page draws a form XObject ``calls`` times (pypdf 7 stops at 5,000
    invocations); the form shows an empty string ``shows`` times. pypdf
    interprets every one of those operators (~15 µs each), so extraction takes
    ``calls * shows * 15 µs``; the strings are empty, so no text piles up.
    Both streams are deflated, which is how the file stays tiny.
    """
    form = _stream(b"BT /F1 1 Tf " + b"() Tj " * shows + b"ET", compress=True,
                   extra=b" /Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /Font << /F1 3 0 R >> >>")
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> /XObject << /X 4 0 R >> >> /Contents 6 0 R >>")
    content = b"BT /F1 12 Tf 72 700 Td (Before the trap.) Tj ET\n" + b"q /X Do Q\n" * calls
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
               _HELVETICA, form, page, _stream(content, compress=True)]
    Path(path).write_bytes(_pdf_bytes(objects))
    return Path(path)


def make_encrypted_pdf(path: str | Path, text: str = "secret") -> Path:
    """A PDF that needs a user password, written with pypdf itself."""
    from pypdf import PdfReader, PdfWriter
    plain = Path(path).with_suffix(".plain.pdf")
    make_pdf(plain, [text])
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(user_password="hunter2", owner_password="owner", algorithm="RC4-128")
    with open(path, "wb") as fh:
        writer.write(fh)
    plain.unlink()
    return Path(path)


# --- DOCX -----------------------------------------------------------------------

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '</Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>')


def _docx_paragraph(style: str | None, text: str) -> str:
    ppr = f'<w:pPr><w:pStyle w:val="{escape(style)}"/></w:pPr>' if style else ""
    runs = []
    for i, line in enumerate(text.split("\n")):
        if i:
            runs.append("<w:r><w:br/></w:r>")
        for j, piece in enumerate(line.split("\t")):
            if j:
                runs.append("<w:r><w:tab/></w:r>")
            if piece:
                runs.append(f'<w:r><w:t xml:space="preserve">{escape(piece)}</w:t></w:r>')
    return f"<w:p>{ppr}{''.join(runs)}</w:p>"


def _docx_table(rows: list[list[str]]) -> str:
    body = "".join("<w:tr>" + "".join(f"<w:tc>{_docx_paragraph(None, cell)}</w:tc>" for cell in row) + "</w:tr>"
                   for row in rows)
    return f"<w:tbl>{body}</w:tbl>"


def _write_docx(path: str | Path, document_xml: str | bytes) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("word/document.xml", document_xml)
    return Path(path)


def make_docx(path: str | Path, paragraphs: list[tuple[str | None, str]],
              tables: list[list[list[str]]] = ()) -> Path:  # type: ignore[assignment]
    """A .docx: ``(style, text)`` paragraphs ("Heading1", "Title" or None), then the tables (rows of cells).

    A "\\n" in a text becomes a line break (w:br), a "\\t" a tab (w:tab).
    """
    body = "".join(_docx_paragraph(style, text) for style, text in paragraphs)
    body += "".join(_docx_table(rows) for rows in tables)
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f'<w:document xmlns:w="{_W}"><w:body>{body}<w:sectPr/></w:body></w:document>')
    return _write_docx(path, xml)


def make_corrupt_docx(path: str | Path) -> Path:
    """A .docx cut off half-way, as an interrupted copy leaves it."""
    whole = make_docx(Path(path), [(None, "This document was truncated. " * 50)]).read_bytes()
    Path(path).write_bytes(whole[: len(whole) // 2])
    return Path(path)


def make_docx_bomb(path: str | Path, megabytes: int = 150) -> Path:
    """A ~150 KB .docx whose document.xml inflates to ``megabytes`` MB: one paragraph of one huge run."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{_W}"><w:body><w:p><w:r><w:t>'.encode()
    tail = b"</w:t></w:r></w:p></w:body></w:document>"
    block = b"lorem ipsum dolor sit amet " * 40_000  # ~1 MB
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            fh.write(head)
            for _ in range(megabytes * 1_000_000 // len(block)):
                fh.write(block)
            fh.write(tail)
    return Path(path)


def make_heading_docx(path: str | Path, headings: int) -> Path:
    """A small .docx (~1 KB per 4,000 headings, deflated) of one-word headings: each would start a chunk."""
    para = _docx_paragraph("Heading1", "Chapter")
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f'<w:document xmlns:w="{_W}"><w:body>{para * headings}<w:sectPr/></w:body></w:document>')
    return _write_docx(path, xml)
