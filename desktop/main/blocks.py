"""Split Markdown into top-level blocks, so a long reply is drawn piece by piece.

A message is shown as a column of rich-text segments. While a reply
streams, only its last segment changes; earlier ones are rendered once and
left alone, so drawing stays cheap however long the reply grows. Text is cut
at blank lines outside code fences where the next line starts a new,
unindented block that does not continue a list; every fenced code block is
a piece of its own, and a long one is drawn in chunks of ``CODE_CHUNK_LINES``
lines (one block to the eye, one Copy for all of it). The pieces always join
back to the exact text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)")
_LIST_ITEM = re.compile(r"^ {0,3}([-+*]|\d{1,9}[.)])(\s|$)")
MIN_SEGMENT_CHARS = 400    # merge small text blocks: fewer widgets, same cost
CODE_CHUNK_LINES = 16


@dataclass(frozen=True)
class Fenced:
    """A piece that is one fenced code block."""

    language: str
    code: str       # the lines between the fences (without the closing fence)
    closed: bool


def split_blocks(text: str) -> list[str]:
    """``text`` cut at safe block boundaries; ``"".join(result) == text``."""
    pieces: list[str] = []
    current: list[str] = []
    fence: str | None = None
    after_fence = blank_before = in_list = False

    def cut() -> None:
        if current:
            pieces.append("".join(current))
            current.clear()

    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if fence is not None:
            current.append(line)
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                fence, after_fence = None, True
            continue
        match = _FENCE.match(line)
        if match or (after_fence and stripped):
            cut()  # a code block is a piece of its own
            after_fence = False
        elif (blank_before and stripped and not line[:1].isspace() and not (in_list and _LIST_ITEM.match(line))
              and sum(map(len, current)) >= MIN_SEGMENT_CHARS):
            cut()
        if match:
            fence = match.group(1)[0] * len(match.group(1))
        elif stripped:
            in_list = bool(_LIST_ITEM.match(line)) or (in_list and (line[:1].isspace() or not blank_before))
        current.append(line)
        blank_before = not stripped
    cut()
    return pieces


def fenced(piece: str) -> Fenced | None:
    """The code block a piece consists of, or None if it is not exactly one fenced block."""
    lines = piece.splitlines(keepends=True)
    match = _FENCE.match(lines[0]) if lines else None
    if match is None:
        return None
    marker = match.group(1)
    body: list[str] = []
    for index, line in enumerate(lines[1:], start=1):
        stripped = line.strip()
        if stripped.startswith(marker[0] * len(marker)) and not stripped.strip(marker[0]):
            if any(rest.strip() for rest in lines[index + 1:]):
                return None
            return Fenced(match.group(2), "".join(body), True)
        body.append(line)
    return Fenced(match.group(2), "".join(body), False)


def code_chunks(code: str, size: int = CODE_CHUNK_LINES) -> list[str]:
    lines = code.splitlines(keepends=True) or [""]
    return ["".join(lines[i:i + size]) for i in range(0, len(lines), size)]
