"""A document cut into sections that each fit a token budget, for reading it piece by piece.

The map-reduce summary (:mod:`engine.chat.summary`) reads a document too big
for the context one section at a time. Sections end at blank lines where they
can (paragraphs stay whole), otherwise at a line's end, a sentence's end or a
space; a line longer than a whole section (a PDF's one-line page, Chinese
without line breaks) is cut at its sentence ends (。！？ too). Each section
keeps the lines it covers, for citations. The sizes are planned with the
document's own characters-per-token ratio and then counted with the model's
tokenizer; a section over the budget is halved until it fits.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

_BREAKS = re.compile(r"(?<=[.!?。！？；;])\s*|\s+")   # where a long line may be cut: sentence ends, then spaces


@dataclass(frozen=True)
class Section:
    n: int              # from 1
    text: str
    line_start: int     # 1-based, inclusive
    line_end: int


def _lines(text: str) -> list[tuple[int, str]]:
    """``text``'s lines as (line number, line), each with its line end."""
    return [(i, line) for i, line in enumerate(text.splitlines(keepends=True), 1)]


def _cut_long(line: str, limit: int) -> list[str]:
    """A line of more than ``limit`` characters in pieces of at most ``limit``, cut at a sentence end or
    a space when one lies in the second half of the piece, else hard."""
    pieces: list[str] = []
    while len(line) > limit:
        cut = 0
        for m in _BREAKS.finditer(line, limit // 2, limit):
            cut = m.end() if m.end() <= limit else cut
        if cut <= 0:
            cut = limit
        pieces.append(line[:cut])
        line = line[cut:]
    if line:
        pieces.append(line)
    return pieces


def split_sections(text: str, count: Callable[[str], int], budget: int) -> list[Section]:
    """``text`` in sections of at most ``budget`` tokens as ``count`` counts them (``budget`` ≥ 16)."""
    if budget < 16:
        raise ValueError(f"a section budget of {budget} tokens is too small")
    stripped = text.strip()
    if not stripped:
        return []
    total = max(1, count(stripped))
    chars_per_token = max(0.5, len(stripped) / total)
    limit = max(32, int(budget * chars_per_token * 0.9))
    units: list[tuple[int, str]] = []
    for number, line in _lines(text):
        units.extend((number, piece) for piece in _cut_long(line, limit))
    groups: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    size = 0
    for number, piece in units:
        if current and size + len(piece) > limit:
            groups.append(current)
            current, size = [], 0
        if not current and not piece.strip():
            continue   # a section never starts with blank lines
        current.append((number, piece))
        size += len(piece)
        if not piece.strip() and size >= limit * 0.7:   # a paragraph ended late in the section: end it here
            groups.append(current)
            current, size = [], 0
    if current:
        groups.append(current)
    fitted: list[list[tuple[int, str]]] = []
    for group in groups:
        fitted.extend(_fit(group, count, budget))
    sections = []
    for group in fitted:
        body = "".join(piece for _, piece in group).strip()
        if body:
            sections.append(Section(len(sections) + 1, body, group[0][0], group[-1][0]))
    return sections


def _fit(group: list[tuple[int, str]], count: Callable[[str], int], budget: int) -> list[list[tuple[int, str]]]:
    """``group`` as it is when the tokenizer agrees it fits, else its halves (each fitted)."""
    if len(group) == 1 or count("".join(p for _, p in group)) <= budget:
        if len(group) == 1 and count(group[0][1]) > budget:   # one piece, still too long: halve the text
            number, piece = group[0]
            half = len(piece) // 2
            return [*_fit([(number, piece[:half])], count, budget), *_fit([(number, piece[half:])], count, budget)]
        return [group]
    half = len(group) // 2
    return [*_fit(group[:half], count, budget), *_fit(group[half:], count, budget)]
