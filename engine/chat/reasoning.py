"""Split a model's streamed reply into its reasoning ("thinking") and its answer.

Reasoning models wrap their thinking in tags such as ``<think>…</think>``.
:class:`ReasoningSplitter` is fed the reply as it streams, in pieces of any
size, and hands back ``("reasoning", text)`` and ``("answer", text)`` pieces
with the tags removed. A tag may be split across pieces at any character, so
the splitter holds back only a suffix that could still become a tag.
"""
from __future__ import annotations

# The tags are part of a model's output format, so they live with the chat templates (which also need
# them: does a generation prompt already open a reasoning block?).
from engine.models.templates import REASONING_TAGS

__all__ = ["REASONING_TAGS", "ReasoningSplitter"]

_OPEN_TAGS = tuple(open_tag for open_tag, _ in REASONING_TAGS)
_CLOSE_TAGS = tuple(close_tag for _, close_tag in REASONING_TAGS)

# States of the splitter.
_START = "start"          # nothing but whitespace seen: an opening tag may still come
_REASONING = "reasoning"  # inside reasoning, waiting for the closing tag
_AFTER = "after"          # just after the closing tag: leading whitespace of the answer is dropped
_ANSWER = "answer"        # the answer: everything passes straight through


def _held_suffix(text: str, tags: tuple[str, ...]) -> int:
    """Length of the longest suffix of ``text`` that is the start of one of ``tags`` (but not a whole tag)."""
    longest = max(len(tag) for tag in tags) - 1
    for size in range(min(len(text), longest), 0, -1):
        tail = text[-size:]
        if any(tag.startswith(tail) for tag in tags):
            return size
    return 0


class ReasoningSplitter:
    """Streams text in, (kind, text) pieces out; kind is "reasoning" or "answer"."""

    def __init__(self, *, starts_in_reasoning: bool = False) -> None:
        self.reasoning = ""
        self.answer = ""
        self._pending = ""
        self._state = _REASONING if starts_in_reasoning else _START
        self._close_tags: tuple[str, ...] = _CLOSE_TAGS
        self._out: list[tuple[str, str]] = []

    def feed(self, text: str) -> list[tuple[str, str]]:
        """Take the next piece of the stream; return what can be shown now."""
        self._pending += text
        while self._pending and self._step():
            pass
        return self._take()

    def flush(self) -> list[tuple[str, str]]:
        """The stream ended: hand back anything held."""
        if self._pending:
            kind = "reasoning" if self._state == _REASONING else "answer"
            if self._state != _AFTER:
                self._emit(kind, self._pending)
            self._pending = ""
        return self._take()

    # --- internals ------------------------------------------------------------

    def _step(self) -> bool:
        """Consume what can be consumed of ``_pending``; True when the state changed and it should run again."""
        if self._state == _START:
            return self._step_start()
        if self._state == _REASONING:
            return self._step_reasoning()
        if self._state == _AFTER:
            stripped = self._pending.lstrip()
            self._pending = stripped
            if stripped:
                self._state = _ANSWER
                return True
            return False
        self._emit("answer", self._pending)
        self._pending = ""
        return False

    def _step_start(self) -> bool:
        body = self._pending.lstrip()
        for open_tag, close_tag in REASONING_TAGS:
            if body.startswith(open_tag):
                self._pending = body[len(open_tag):]
                self._state = _REASONING
                self._close_tags = (close_tag,)
                return True
        if not body or any(tag.startswith(body) for tag in _OPEN_TAGS):
            return False  # whitespace, or the start of an opening tag: wait for more
        self._state = _ANSWER
        return True

    def _step_reasoning(self) -> bool:
        if not self.reasoning:
            self._pending = self._pending.lstrip()
        found = [(self._pending.find(tag), tag) for tag in self._close_tags if tag in self._pending]
        if found:
            index, tag = min(found)
            self._emit("reasoning", self._pending[:index])
            self._pending = self._pending[index + len(tag):]
            self._state = _AFTER
            return True
        held = _held_suffix(self._pending, self._close_tags)
        self._emit("reasoning", self._pending[:len(self._pending) - held])
        self._pending = self._pending[len(self._pending) - held:]
        return False

    def _emit(self, kind: str, text: str) -> None:
        if not text:
            return
        if kind == "reasoning":
            self.reasoning += text
        else:
            self.answer += text
        if self._out and self._out[-1][0] == kind:
            self._out[-1] = (kind, self._out[-1][1] + text)
        else:
            self._out.append((kind, text))

    def _take(self) -> list[tuple[str, str]]:
        out, self._out = self._out, []
        return out
