"""Plain-text formats: decoding, and the readers for text, Markdown, source code and CSV.

Line numbers are the file's own, 1-based and exact. Lines end at ``\\n``,
``\\r\\n`` or ``\\r`` only, as in an editor; ``str.splitlines`` would also
split at form feeds, which licence texts are full of.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path
from typing import Iterator

from engine.errors import DocumentNotText, DocumentUnreadable
from engine.knowledge.records import Extracted, Section

SNIFF_BYTES = 8192

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


# --- decoding and lines -----------------------------------------------------------

def has_bom(head: bytes) -> bool:
    return any(head.startswith(bom) for bom, _ in _BOMS)


def decode_text(data: bytes, path: Path, *, partial: bool = False) -> str:
    """Text from bytes: a BOM's encoding, else UTF-16 without a BOM, else UTF-8, else what
    charset-normalizer finds (GB18030, Shift-JIS, Windows-1251...; Western code pages read as
    Windows-1252). Raises DocumentNotText when the bytes are not text in any of them.

    ``partial``: ``data`` is the head of a longer file, and a character cut at its end is dropped.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _checked(data.decode(codec, errors="replace"), path)
    head = data[:SNIFF_BYTES]
    if b"\0" in head:
        codec = _utf16_without_bom(head) or _utf16_cjk(data[:_GUESS_BYTES])
        if codec is None:
            raise _not_text(path, "it contains binary data")
        return _checked(data.decode(codec, errors="replace"), path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if partial and exc.reason == "unexpected end of data" and exc.start >= len(data) - 4:
            text = data[:exc.start].decode("utf-8")
        else:
            codec = _guess(data[:_GUESS_BYTES]) or _utf16_cjk(data[:_GUESS_BYTES])
            if codec is None:
                raise _not_text(path, "no text encoding fits its bytes") from None
            text = data.decode(codec, errors="replace")
    return _checked(text, path)


def _not_text(path: Path, why: str) -> DocumentNotText:
    return DocumentNotText(f"{path.name} is not a text file: not text ({why}).", path=path, reason="not_text",
                           params={"why": why})


_GUESS_BYTES = 64 << 10
# Western single-byte code pages charset-normalizer may name for Latin text; read as Windows-1252 when it fits.
_LATIN = frozenset({"cp1250", "cp1252", "cp1254", "cp1257", "latin_1", "iso8859_2", "iso8859_3", "iso8859_4",
                    "iso8859_9", "iso8859_10", "iso8859_13", "iso8859_14", "iso8859_15", "iso8859_16", "mac_roman",
                    "mac_latin2", "cp850", "cp437", "cp858"})


def _guess(sample: bytes) -> str | None:
    """charset-normalizer's encoding for ``sample``, or None when no encoding reads it as text."""
    for codec in ("gb18030", "cp1252"):  # the common cases, and short files the detector gets wrong
        if len(sample) < 64 and _fits(sample, codec, final=True):
            return codec
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a dependency; without it: the old fixed order
        return next((c for c in ("gb18030", "cp1252") if _fits(sample, c)), None)
    best = from_bytes(sample).best()
    if best is None:
        return None
    if best.encoding.startswith(("utf_16", "utf_32")):
        return _utf16_cjk(sample)  # only when it reads as East Asian text
    if best.encoding in _LATIN and _fits(sample, "cp1252"):
        return "cp1252"
    return best.encoding


def _fits(sample: bytes, codec: str, *, final: bool = False) -> bool:
    decoder = codecs.getincrementaldecoder(codec)()
    try:
        decoder.decode(sample, final=final)
        return True
    except UnicodeDecodeError:
        return False


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' for mostly-ASCII UTF-16 (every other byte NUL, the rest printable), else None."""
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    for nuls, chars, codec in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in chars)
        if nuls.count(0) > 0.7 * len(nuls) and printable > 0.9 * len(chars):
            return codec
    return None


# Scripts that fill BOM-less UTF-16 text written by East Asian tools: ASCII, CJK and its punctuation, kana,
# Hangul, full-width forms. Random bytes read as UTF-16 land here about a third of the time, Latin text half.
_EAST_ASIAN = re.compile("[\t\n\r\x20-\x7e\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]")


def _utf16_cjk(sample: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when the sample reads as East Asian text in one of them (no BOM, few NULs)."""
    sample = sample[: len(sample) & ~1]
    if len(sample) < 32:
        return None
    for codec in ("utf-16-le", "utf-16-be"):
        try:
            text = sample.decode(codec)
        except UnicodeDecodeError:  # a lone surrogate: not this byte order (or the sample ends inside a pair)
            text = sample[:-2].decode(codec, errors="replace")
            if text.count("\ufffd") > 1:
                continue
        if len(_EAST_ASIAN.sub("", text)) <= 0.05 * len(text):
            return codec
    return None


# C0 controls but tab, newline, form feed, carriage return and escape; C1 controls; the replacement character.
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f-\x9f\ufffd]")


def _checked(text: str, path: Path) -> str:
    """The text without NULs, or DocumentNotText when more than 2 % of it is control characters."""
    sample = text[:_GUESS_BYTES]
    bad = len(sample) - len(_CONTROL.sub("", sample))
    if bad > max(2, 0.02 * len(sample)):
        raise _not_text(path, f"{100 * bad // max(len(sample), 1)} % of its characters are control codes")
    return text.replace("\0", "") if "\0" in text else text


def read_bytes(path: Path, data: bytes | None = None) -> bytes:
    """``data`` when the caller read the file already (through a checked descriptor), else the file's bytes."""
    if data is not None:
        return data
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DocumentUnreadable(f"{path.name} could not be read ({exc.strerror or exc}).", path=path,
                                 reason="os_error", params={"why": str(exc.strerror or exc)}) from exc


def read_text(path: Path, data: bytes | None = None, *, partial: bool = False) -> str:
    return decode_text(read_bytes(path, data), path, partial=partial)


def lines_of(text: str) -> list[str]:
    """The text's lines, split as editors count them (``\\n``, ``\\r\\n``, ``\\r``)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def blocks(lines: list[str]) -> Iterator[tuple[int, int]]:
    """(first, last) 0-based indices of each run of non-blank lines."""
    start = None
    for i, line in enumerate(lines):
        if line.strip():
            if start is None:
                start = i
        elif start is not None:
            yield start, i - 1
            start = None
    if start is not None:
        yield start, len(lines) - 1


def joined(lines: list[str], first: int, last: int) -> str:
    return "\n".join(line.rstrip() for line in lines[first:last + 1])


class HeadingPath:
    """The chain of headings above the current point: push a heading, read 'A › B'."""

    SEPARATOR = " › "

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []

    def push(self, level: int, title: str) -> str:
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, title))
        return self.path

    @property
    def path(self) -> str:
        return self.SEPARATOR.join(title for _, title in self._stack)


# --- readers ------------------------------------------------------------------

def read_plain(path: Path, data: bytes | None = None) -> Extracted:
    """Paragraphs separated by blank lines."""
    lines = lines_of(read_text(path, data))
    sections = [Section(joined(lines, a, b), "paragraph", a + 1, b + 1) for a, b in blocks(lines)]
    return Extracted(str(path), "text", sections)


_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")


def _block_kind(first_line: str, lines: list[str]) -> str:
    if _LIST.match(first_line):
        return "list"
    if all(line.lstrip().startswith("|") for line in lines):
        return "table"
    return "paragraph"


def read_markdown(path: Path, data: bytes | None = None) -> Extracted:
    """Headings (ATX and setext), fenced code blocks kept whole, and blank-line-separated blocks."""
    lines = lines_of(read_text(path, data))
    sections: list[Section] = []
    headings = HeadingPath()
    para: int | None = None  # first line of the open paragraph

    def close(end: int) -> None:  # the open paragraph ends before line index `end`
        nonlocal para
        if para is not None:
            kind = _block_kind(lines[para], lines[para:end])
            sections.append(Section(joined(lines, para, end - 1), kind, para + 1, end, heading=headings.path))
            para = None

    i, n = 0, len(lines)
    if n > 2 and lines[0].strip() == "---":  # YAML front matter
        end = next((j for j in range(1, n) if lines[j].strip() in ("---", "...")), None)
        if end is not None:
            sections.append(Section(joined(lines, 0, end), "code", 1, end + 1))
            i = end + 1
    while i < n:
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            close(i)
            mark = fence.group(1)
            closing = re.compile(r"^\s*" + re.escape(mark[0]) + "{" + str(len(mark)) + r",}\s*$")
            end = next((j for j in range(i + 1, n) if closing.match(lines[j])), n - 1)
            sections.append(Section(joined(lines, i, end), "code", i + 1, end + 1, heading=headings.path))
            i = end + 1
            continue
        atx = _ATX.match(line)
        if atx:
            close(i)
            title = (atx.group(2) or "").strip()
            if title:
                level = len(atx.group(1))
                sections.append(Section(title, "heading", i + 1, i + 1, heading=headings.push(level, title),
                                        level=level))
            i += 1
            continue
        if not line.strip():
            close(i)
        elif para is not None and _SETEXT.match(line) and not _LIST.match(lines[para]):
            title = " ".join(part.strip() for part in lines[para:i])
            level = 1 if line.strip()[0] == "=" else 2
            sections.append(Section(title, "heading", para + 1, i + 1, heading=headings.push(level, title),
                                    level=level))
            para = None
        elif _BREAK.match(line):
            close(i)
        elif para is None:
            para = i
        i += 1
    close(n)
    return Extracted(str(path), "markdown", sections)


_CLOSERS = ("}", ")", "]", "end", "fi", "done", "esac")


def read_code(path: Path, data: bytes | None = None) -> Extracted:
    """Blocks that start at column 0 after a blank line (a function, a class, a comment before one)."""
    lines = lines_of(read_text(path, data))
    starts = []
    previous_blank = True
    for i, line in enumerate(lines):
        blank = not line.strip()
        if not blank and previous_blank and not line[0].isspace() and (not starts or not line.startswith(_CLOSERS)):
            starts.append(i)
        previous_blank = blank
    sections = []
    for k, first in enumerate(starts):
        last = (starts[k + 1] if k + 1 < len(starts) else len(lines)) - 1
        while last > first and not lines[last].strip():
            last -= 1
        sections.append(Section(joined(lines, first, last), "code", first + 1, last + 1))
    return Extracted(str(path), "code", sections)


_ROWS_PER_SECTION_CHARS = 1000


def read_csv(path: Path, data: bytes | None = None) -> Extracted:
    """Rows as 'column: value; column: value' lines, a few rows to a section, so each chunk explains itself."""
    text = read_text(path, data)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else _sniff_delimiter(text[:65536])
    old_limit = csv.field_size_limit(16 << 20)
    sections: list[Section] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        header: list[str] | None = None
        rows: list[str] = []
        first = last = 0
        previous_end = 0
        for row in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip() or f"column {i + 1}" for i, cell in enumerate(row)]
                continue
            names = header + [f"column {i + 1}" for i in range(len(header), len(row))]
            rendered = "; ".join(f"{name}: {cell.strip()}" for name, cell in zip(names, row) if cell.strip())
            if not rows:
                first = start
            rows.append(rendered)
            last = previous_end
            if sum(map(len, rows)) >= _ROWS_PER_SECTION_CHARS:
                sections.append(Section("\n".join(rows), "table", first, last))
                rows = []
        if rows:
            sections.append(Section("\n".join(rows), "table", first, last))
        elif header is not None and not sections:
            sections.append(Section("; ".join(header), "table", 1, max(previous_end, 1)))
    except csv.Error as exc:
        raise DocumentUnreadable(f"{path.name} is not valid CSV (line {reader.line_num}: {exc}).", path=path,
                                 reason="csv", params={"line": reader.line_num, "detail": str(exc)}) from exc
    finally:
        csv.field_size_limit(old_limit)
    return Extracted(str(path), "csv", sections)


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","
