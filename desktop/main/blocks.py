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


@dataclass(frozen=True)
class _State:
    """Where the scanner stands at the start of a line: open fence, just after one, blank line before, in a list."""

    fence: str | None = None
    after_fence: bool = False
    blank_before: bool = False
    in_list: bool = False


def _scan(text: str, offset: int, state: _State) -> list[tuple[int, _State]]:
    """Where the pieces of ``text[offset:]`` start, each with the scanner's state there (the first is
    ``(offset, state)``). Resuming at any of them with its state finds the same cuts after it."""
    starts = [(offset, state)]
    fence, after_fence, blank_before, in_list = state.fence, state.after_fence, state.blank_before, state.in_list
    pos, current = offset, 0    # current: characters in the piece being gathered
    for line in text[offset:].splitlines(keepends=True):
        stripped = line.strip()
        if fence is not None:
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                fence, after_fence = None, True
        else:
            match = _FENCE.match(line)
            cut = False
            if match or (after_fence and stripped):
                cut, after_fence = True, False  # a code block is a piece of its own
            elif (blank_before and stripped and not line[:1].isspace()
                  and not (in_list and _LIST_ITEM.match(line)) and current >= MIN_SEGMENT_CHARS):
                cut = True
            if cut and current:
                starts.append((pos, _State(fence, after_fence, blank_before, in_list)))
                current = 0
            if match:
                fence = match.group(1)[0] * len(match.group(1))
            elif stripped:
                in_list = bool(_LIST_ITEM.match(line)) or (in_list and (line[:1].isspace() or not blank_before))
            blank_before = not stripped
        pos += len(line)
        current += len(line)
    return starts


def _pieces(text: str, starts: list[tuple[int, _State]]) -> list[str]:
    ends = [start for start, _state in starts[1:]] + [len(text)]
    return [text[start:end] for (start, _state), end in zip(starts, ends) if end > start]


def split_blocks(text: str) -> list[str]:
    """``text`` cut at safe block boundaries; ``"".join(result) == text``."""
    return _pieces(text, _scan(text, 0, _State()))


class BlockSplitter:
    """``split_blocks`` for a text that grows at its end (a streaming reply): each call scans only from
    the last cut made before the previous text's last line (a line still being written may yet change
    whether it starts a block), so the cost per call is the growing block, not the whole reply."""

    def __init__(self) -> None:
        self._text = ""
        self._starts: list[tuple[int, _State]] = [(0, _State())]

    def split(self, text: str) -> list[str]:
        keep = 0
        if text.startswith(self._text):
            tail_start = self._starts[-1][0]
            tail_lines = self._text[tail_start:].splitlines(keepends=True) or [""]
            last_line = len(self._text) - len(tail_lines[-1])
            keep = next((i for i in range(len(self._starts) - 1, -1, -1) if self._starts[i][0] < last_line), 0)
        else:
            self._starts = [(0, _State())]
        offset, state = self._starts[keep]
        self._starts = self._starts[:keep] + _scan(text, offset, state)
        self._text = text
        return _pieces(text, self._starts)


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
