"""Sections to token-sized chunks that follow the document's structure.

Rules, in order of strength:

- a chunk never spans two PDF pages or two heading sections: every heading
  starts a chunk, and its text leads that chunk (it is also in ``heading``);
- a code block or table is never split unless it alone exceeds ``max_tokens``
  (then at line boundaries); a paragraph over ``max_tokens`` is split at
  sentence ends (``. ! ?`` before a space, ``。！？；``, line breaks), and a
  sentence still too long in windows of about ``target_tokens``, each cut
  after a clause mark or a space where one is near;
- no cut, window or overlap falls inside a run of Chinese characters (unless
  the run alone is longer than a chunk) or between a number and its unit
  (``4.5 GB``, ``32k tokens``, ``128 个 token``): see :mod:`engine.knowledge.cuts`;
- consecutive pieces are packed up to ``target_tokens``;
- when a heading section goes on in the next chunk, that chunk starts with
  the last ~``overlap_tokens`` of the previous chunk's last paragraph;
- ``line_start``/``line_end`` cover exactly the lines the text came from.

Token counts are estimates (``estimate_tokens``), no tokenizer needed.
"""
from __future__ import annotations

import re
from typing import Iterator

from engine.knowledge import cuts
from engine.knowledge.records import ChunkDraft, Extracted, Section

_CJK_RANGES = cuts.CJK_RANGES
_CJK = cuts.CJK
_WORD = re.compile(f"[^\\W_{_CJK_RANGES}]+")
_PUNCT = re.compile(r"[^\w\s]|_")
# The same three counts for ASCII text, with bytes.translate (ten times faster than the regexes):
# letters and digits become "a", everything else " "; a word starts at each " a".
_ASCII_WORDS = bytes(ord("a") if chr(c).isalnum() else ord(" ") for c in range(256))
_ASCII_PUNCT = bytes(c for c in range(128) if not chr(c).isalnum() and not chr(c).isspace())


def estimate_tokens(text: str) -> int:
    """Tokens a WordPiece/BPE embedding model would see, estimated without its tokenizer.

    Each CJK character (Han, kana, Hangul syllable) counts 1, each other word
    1.3 (rounded up over the text), each punctuation mark or symbol 1.

    Calibrated against all-MiniLM-L6-v2's WordPiece vocabulary (30,522 pieces;
    a reimplementation of BERT's basic + WordPiece tokenizer over its
    tokenizer.json): the estimate is 1.19–1.21× the real count on English
    prose (GPL-3, Apache-2.0), 1.01–1.03× on Python source, 1.0× on Chinese
    and Japanese, and 0.6× on Korean (BERT splits Hangul into jamo;
    multilingual models such as bge-m3 do not). Over-estimating prose keeps
    chunks inside a model's window; 400 estimated tokens stay under 512 real
    ones for everything but Korean.
    """
    if text.isascii():
        raw = text.encode("ascii")
        marks = raw.translate(_ASCII_WORDS)
        words = marks.count(b" a") + (marks[:1] == b"a")
        punct = len(raw) - len(raw.translate(None, _ASCII_PUNCT))
        return (words * 13 + 9) // 10 + punct + _long_words(text, _ASCII_LONG)
    cjk = len(text) - len(_CJK.sub("", text))
    words = len(_WORD.findall(text))
    return cjk + (words * 13 + 9) // 10 + len(_PUNCT.findall(text)) + _long_words(text, _LONG)


# A word longer than this many characters (a hash, base64, minified code, a run without spaces) is
# counted by characters: one token per 4, as WordPiece/BPE split such runs into short pieces.
LONG_WORD = 12
_ASCII_LONG = re.compile(f"[A-Za-z0-9]{{{LONG_WORD + 1},}}")
_LONG = re.compile(f"[^\\W_{_CJK_RANGES}]{{{LONG_WORD + 1},}}")


def _long_words(text: str, pattern: re.Pattern[str]) -> int:
    """Tokens that long words add beyond the 1.3 each one counted already."""
    extra = 0
    for match in pattern.finditer(text):
        extra += (match.end() - match.start() + 3) // 4 - 1
    return extra


# --- splitting an oversized section --------------------------------------------------

_PROSE = frozenset({"paragraph", "list"})


class _Unit:
    """A piece of a section on its way into a chunk."""

    __slots__ = ("text", "line_start", "line_end", "tokens", "kind", "sec", "overlap", "heading_level")

    def __init__(self, text: str, line_start: int, line_end: int, tokens: int, kind: str, sec: int,
                 overlap: bool = False, heading_level: int = 0) -> None:
        self.text, self.line_start, self.line_end, self.tokens = text, line_start, line_end, tokens
        self.kind, self.sec, self.overlap, self.heading_level = kind, sec, overlap, heading_level


def _cut_points(text: str, kind: str) -> list[int]:
    """Offsets where the text may be cut: after each line (code, tables) or sentence (prose)."""
    if kind in _PROSE:
        points = cuts.sentence_ends(text, 0, len(text))
    else:
        points = [m.end() for m in re.finditer("\n", text)]
    if not points or points[-1] != len(text):
        points.append(len(text))
    return points


def _windows(text: str, start: int, end: int, tokens: int, size: int, limit: int) -> Iterator[int]:
    """Cut points every ~``size`` tokens inside text[start:end] (a sentence too long for one chunk).

    Each cut goes after a clause mark, a space or where Chinese meets other text, looked for in the
    window's last third, then in the rest of it, then ahead up to halfway to ``limit``; only a run of
    Chinese characters (or a word) longer than that is cut inside, and never inside a number with its unit.
    """
    chars = max(end - start, 1)
    step = max(1, chars * size // max(tokens, 1))
    ahead = max(0, chars * (limit - size) // max(tokens, 1) // 2)
    pos = start
    while end - pos > step:
        cut = pos + step
        best = (cuts.best_cut(text, cut - step // 3, cut) or cuts.best_cut(text, pos + 1, cut - step // 3)
                or cuts.best_cut(text, cut + 1, min(cut + ahead, end - 1), near=cut))
        if best is None or best <= pos:
            best = cuts.outside_number(text, cut)
            if best <= pos:
                best = cut
        yield best
        pos = best
    yield end


def _split(section: Section, index: int, target: int, limit: int) -> list[_Unit]:
    """Pieces of an oversized section, each packed up to ``target`` tokens, none over ``limit``."""
    text = section.text
    pieces: list[tuple[int, int, int]] = []  # (start, end, tokens)
    start = 0
    for end in _cut_points(text, section.kind):
        if end <= start:
            continue
        tokens = estimate_tokens(text[start:end])
        if tokens > limit:
            sub = start
            for cut in _windows(text, start, end, tokens, target, limit):
                pieces.append((sub, cut, estimate_tokens(text[sub:cut])))
                sub = cut
        else:
            pieces.append((start, end, tokens))
        start = end
    units: list[_Unit] = []
    lines_before, counted_to = 0, 0  # newlines in text[:counted_to], counted incrementally

    def emit(a: int, b: int, tokens: int) -> None:
        nonlocal lines_before, counted_to
        piece = text[a:b]
        body = piece.strip()
        if not body:
            return
        lead = a + len(piece) - len(piece.lstrip())
        lines_before += text.count("\n", counted_to, lead)
        counted_to = lead
        first = min(section.line_start + lines_before, section.line_end)
        last = min(first + body.count("\n"), section.line_end)
        units.append(_Unit(piece, first, last, tokens, section.kind, index))

    group_start, group_tokens = 0, 0
    for a, b, tokens in pieces:
        if group_tokens and group_tokens + tokens > target:
            emit(group_start, a, group_tokens)
            group_start, group_tokens = a, 0
        group_tokens += tokens
    if group_tokens:
        emit(group_start, len(text), group_tokens)
    return units


def _tail(unit: _Unit, overlap: int, target: int) -> _Unit | None:
    """The last ~``overlap`` tokens of a prose unit, starting at a sentence, clause or word start.

    Never inside a number with its unit, nor inside a run of Chinese characters shorter than
    ``target`` (a run that long is cut anywhere); None when no such start leaves an overlap.
    """
    if overlap <= 0 or unit.kind not in _PROSE or unit.overlap:
        return None
    text = unit.text  # kept with its trailing whitespace: the next piece of the section follows it as is
    lead, end = len(text) - len(text.lstrip()), len(text.rstrip())
    if unit.tokens <= overlap:
        start = lead
    else:
        # ~overlap tokens from the end; moved back (up to twice as long) or forward to a sentence start,
        # else to a clause or word start, else (a long Chinese run) left where it is
        width = max(1, (end - lead) * overlap // unit.tokens)
        start = end - width
        low, high = max(lead, start - width), min(end, start + width * 3 // 5)
        before = cuts.sentence_ends(text, low, start)
        after = cuts.sentence_ends(text, start, high) if not before else []
        if before:
            start = before[-1]
        elif after:
            start = after[0]
        else:
            found = cuts.best_cut(text, low, high, near=start)
            if found is not None:
                start = found
            elif 0 < cuts.cjk_run_length(text, start) <= target:
                found = cuts.best_cut(text, high, end - 1, near=high)
                if found is None:
                    return None
                start = found
            else:
                start = cuts.outside_number(text, start)
    while start < end and text[start].isspace():
        start += 1
    if start >= end:
        return None
    piece = text[start:]
    first = min(unit.line_start + text.count("\n", lead, start), unit.line_end)
    return _Unit(piece, first, unit.line_end, estimate_tokens(piece), unit.kind, unit.sec, overlap=True)


# --- packing -----------------------------------------------------------------------

class _Packer:
    def __init__(self, target: int, overlap: int, limit: int) -> None:
        self.target, self.overlap, self.limit = target, overlap, limit
        self.chunks: list[ChunkDraft] = []
        self.units: list[_Unit] = []
        self.tokens = 0
        self.body = False       # holds something besides headings and overlap
        self.page: int | None = None
        self.heading = ""

    def start(self, page: int | None, heading: str) -> None:
        """A new page or heading section: what is pending is finished, with no overlap."""
        if (page, heading) != (self.page, self.heading):
            self.flush(carry=False)
            self.page, self.heading = page, heading

    def heading_unit(self, unit: _Unit, page: int | None, heading: str) -> None:
        deeper = self.units and not self.body and all(
            u.heading_level and u.heading_level < unit.heading_level for u in self.units)
        if deeper and page == self.page and self.tokens + unit.tokens <= self.limit:  # "# A" then "## B": together
            self.heading = heading
        else:
            self.flush(carry=False)
            self.page, self.heading = page, heading
        self.units.append(unit)
        self.tokens += unit.tokens

    def add(self, unit: _Unit) -> None:
        if self.units and self.tokens + unit.tokens > self.target:
            if self.body or self.tokens + unit.tokens > self.limit:
                self.flush(carry=True)
        if self.units and not self.body and self.tokens + unit.tokens > self.limit:
            self.flush(carry=False)  # an overlap (dropped) or a heading (kept alone) that leaves no room
        self.units.append(unit)
        self.tokens += unit.tokens
        self.body = True

    def flush(self, *, carry: bool) -> None:
        units = self.units
        if not units:
            return
        self.units, self.tokens, self.body = [], 0, False
        if all(u.overlap for u in units):
            return
        parts: list[str] = []
        previous = -1
        for u in units:
            if parts and u.sec != previous:
                parts[-1] = parts[-1].rstrip()
                parts.append("\n\n")
                parts.append(u.text.lstrip())
            else:
                parts.append(u.text)
            previous = u.sec
        text = "".join(parts).strip()
        self.chunks.append(ChunkDraft(
            text=text, line_start=min(u.line_start for u in units), line_end=max(u.line_end for u in units),
            tokens=estimate_tokens(text), page=self.page, heading=_short(self.heading)))
        tail = _tail(units[-1], self.overlap, self.target) if carry else None
        if tail is not None and tail.tokens < self.target:
            self.units, self.tokens = [tail], tail.tokens


MAX_HEADING_CHARS = 300  # of a chunk's heading path (an unclosed <h1> can swallow a page)


def _short(heading: str) -> str:
    return heading if len(heading) <= MAX_HEADING_CHARS else heading[:MAX_HEADING_CHARS - 1].rstrip() + "…"


MAX_CHUNKS = 20_000  # chunks one indexed document may become (ParsePool's default; a 276 KB .docx made 248k)


def chunk(extracted: Extracted, *, target_tokens: int = 200, overlap_tokens: int = 40,
          max_tokens: int = 400, max_chunks: int | None = None) -> list[ChunkDraft]:
    """The document's chunks, in order (see the module's docstring for the rules); at most ``max_chunks``."""
    if not 0 < target_tokens <= max_tokens or not 0 <= overlap_tokens < target_tokens:
        raise ValueError("need 0 < target_tokens <= max_tokens and 0 <= overlap_tokens < target_tokens")
    packer = _Packer(target_tokens, overlap_tokens, max_tokens)
    for index, section in enumerate(extracted.sections):
        if max_chunks is not None and len(packer.chunks) >= max_chunks:
            break
        text = section.text
        if not text.strip():
            continue
        if section.kind == "heading" and estimate_tokens(text) <= max_tokens // 2:
            title = text.strip()
            unit = _Unit(title, section.line_start, section.line_end, estimate_tokens(title), "heading", index,
                         heading_level=max(section.level, 1))
            packer.heading_unit(unit, section.page, section.heading)
            continue
        packer.start(section.page, section.heading)
        tokens = estimate_tokens(text)
        if tokens <= max_tokens:
            packer.add(_Unit(text, section.line_start, section.line_end, tokens, section.kind, index))
        else:
            for unit in _split(section, index, target_tokens, max_tokens):
                packer.add(unit)
    packer.flush(carry=False)
    return packer.chunks[:max_chunks] if max_chunks is not None else packer.chunks
