"""Where a text may be cut into chunks: sentence ends, clause ends, and the places it must never be cut.

The chunker (:mod:`engine.knowledge.chunking`) asks here for the offsets to
cut at. The rules, for English and Chinese alike:

- a sentence ends at ``. ! ? …`` followed by a space, at ``。！？；`` (and at
  ``!?;`` right after Chinese text), each with any closing quotes or
  brackets after it (``”’」』）》``), and at a line break, except one between
  two CJK characters (a line wrapped inside a Chinese sentence);
- a cut never falls inside a run of CJK characters (Chinese words have no
  spaces, so any cut inside a run may split a word) unless the run alone is
  too long for a chunk; inside a long sentence the cut goes, in order of
  preference, after a clause mark (``，、：`` or ``, :`` before a space),
  after a space, or where Chinese meets Latin letters, digits or punctuation;
- a cut never falls between a number and its unit or inside the number:
  ``4.5 GB``, ``7B``, ``32k tokens``, ``128 个 token``, ``30%``, ``0.7`` stay
  whole (:data:`NUMBER_UNIT`).

Offsets are positions between characters: a cut at ``i`` ends one piece
with ``text[i - 1]`` and starts the next with ``text[i]``.
"""
from __future__ import annotations

import re

# Han (with extensions A–G and compatibility ideographs), kana, Hangul syllables, half-width kana.
CJK_RANGES = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
CJK = re.compile(f"[{CJK_RANGES}]")
_CLOSERS = "\"'”’」』）)\\]》】"

SENTENCE_END = re.compile(
    f"[.!?…]+[{_CLOSERS}]*[ \\t]+"                 # English: the mark, closing quotes, a space
    f"|[。！？；]+[{_CLOSERS}]*"                    # Chinese (full-width) marks
    f"|(?<=[{CJK_RANGES}])[!?;]+[{_CLOSERS}]*"     # ASCII marks right after Chinese text
    f"|(?<![{CJK_RANGES}])\\n|\\n(?![{CJK_RANGES}])")  # a line break, unless inside a Chinese run

# Units a number keeps: attached letters or signs (7B, 32k, 30%, 5x), a unit word after one space
# (4.5 GB, 32k tokens, 200 ms) and a Chinese measure word, with the noun it counts (128 个 token).
_UNIT_WORDS = (r"(?i:[KMGTP]i?B|[KMGTP]b|bytes?|bits?|tokens?|words?|char(?:acter)?s?|pages?|lines?|ms|µs|ns|"
               r"s|secs?|seconds?|min|minutes?|h|hours?|days?|[kMG]?Hz|px|pt|cm|mm|km|kg|mg|m|g|l|ml|"
               r"W|kW|V|A|dB|x|×|°C|°F|℃|percent|per ?cent)")
_MEASURE = "个位条种项台张次倍年月日天周岁元块万亿千百件名篇页章节段行字秒分钟小时米克升度"
NUMBER_UNIT = re.compile(
    r"(?<![\d.,])[-+−]?\d+(?:[.,:]\d+)*"            # 4.5, 1,000, 0.7, 12:30
    r"(?:[A-Za-z%‰°℃]+)?"                          # 7B, 32k, 30%
    f"(?:\\s?{_UNIT_WORDS}(?![A-Za-z]))?"          # 4.5 GB, 32k tokens
    f"(?:\\s?[{_MEASURE}](?:\\s?[A-Za-z]+)?)?")     # 128 个 token

_CLAUSE_END = re.compile(r"[，、：；;]|[,:](?=\s)")
_SPACE_END = re.compile(r"\s+")
_OPENERS = "“‘「『（(\\[《【<{"
# where Chinese meets a letter or digit, after punctuation and before an opening quote or bracket
# (never just after an opening one: it belongs to what follows)
_SOFT = re.compile(f"(?<=[{CJK_RANGES}])(?=[^\\W_{CJK_RANGES}])|(?<=[^\\W_{CJK_RANGES}])(?=[{CJK_RANGES}])"
                   f"|(?<=[”’」』）》】。，、：；！？])(?=\\w)|(?<=[^\\w\\s{_OPENERS}])(?=[{CJK_RANGES}])"
                   f"|(?<=\\S)(?=[{_OPENERS}])")
_CLASSES = (_CLAUSE_END, _SPACE_END, _SOFT)
_REACH = 48   # characters around a range in which numbers with their units are looked for


def glued_spans(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """(start, end) of each number with its unit near ``text[lo:hi]``: no cut may fall strictly inside."""
    return [m.span() for m in NUMBER_UNIT.finditer(text, max(0, lo - _REACH), min(len(text), hi + _REACH))
            if m.end() - m.start() > 1]


def _inside(spans: list[tuple[int, int]], at: int) -> bool:
    return any(start < at < end for start, end in spans)


def inside_cjk_run(text: str, at: int) -> bool:
    """Whether a cut at ``at`` would fall between two CJK characters."""
    return 0 < at < len(text) and bool(CJK.match(text, at - 1)) and bool(CJK.match(text, at))


def cjk_run_length(text: str, at: int) -> int:
    """The length of the run of CJK characters around ``at`` (0 when ``at`` is not inside one)."""
    if not inside_cjk_run(text, at):
        return 0
    start, end = at - 1, at
    while start > 0 and CJK.match(text, start - 1):
        start -= 1
    while end < len(text) and CJK.match(text, end):
        end += 1
    return end - start


def best_cut(text: str, lo: int, hi: int, *, near: int | None = None) -> int | None:
    """The best place to cut ``text`` in [lo, hi]: after a clause mark, else after a space, else where
    Chinese meets other text; of the best kind, the one nearest ``near`` (default: ``hi``, the last).
    None when there is none."""
    lo, hi = max(lo, 1), min(hi, len(text) - 1)
    if lo > hi:
        return None
    near = hi if near is None else near
    spans = glued_spans(text, lo, hi)
    for pattern in _CLASSES:
        found = None
        for match in pattern.finditer(text, lo - 1 if pattern is not _SOFT else lo, min(len(text), hi + 1)):
            at = match.end()
            if lo <= at <= hi and not _inside(spans, at) and not inside_cjk_run(text, at):
                if found is None or abs(at - near) < abs(found - near):
                    found = at
                elif at > near:
                    break   # past ``near`` and farther: the rest are farther still
        if found is not None:
            return found
    return None


def sentence_ends(text: str, lo: int, hi: int) -> list[int]:
    """Offsets just after each sentence end in ``text[lo:hi]`` (see the module's docstring)."""
    return [m.end() for m in SENTENCE_END.finditer(text, lo, hi)]


def outside_number(text: str, at: int) -> int:
    """``at``, moved back to the start of the number-with-unit it falls inside (if any)."""
    for start, end in glued_spans(text, at, at):
        if start < at < end:
            return start
    return at
