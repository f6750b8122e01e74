"""Split a model's streamed reply into its reasoning ("thinking") and its answer.

Reasoning models wrap their thinking in tags such as ``<think>…</think>``.
:class:`ReasoningSplitter` is fed the reply as it streams, in pieces of any
size, and hands back ``("reasoning", text)`` and ``("answer", text)`` pieces
with the tags removed. A tag may be split across pieces at any character, so
the splitter holds back only a suffix that could still become a tag.

Newer formats mark reasoning with channels instead, and :func:`splitter_for`
picks the splitter from the chat template's text: Gemma 4 thinks in
``<|channel>thought…<channel|>`` before its answer; gpt-oss (OpenAI's "harmony"
format) writes messages ``<|channel|>analysis<|message|>…<|end|>`` then
``<|start|>assistant<|channel|>final<|message|>…`` (:class:`HarmonySplitter`).
"""
from __future__ import annotations

# The tags are part of a model's output format, so they live with the chat templates (which also need
# them: does a generation prompt already open a reasoning block?).
import re
from typing import Any, Iterable, Iterator

from engine.models.templates import GEMMA4_TAGS, REASONING_TAGS
from engine.runtime.records import Done

__all__ = ["GEMMA4_TAGS", "REASONING_TAGS", "HarmonySplitter", "ReasoningSplitter", "reasoning_format",
           "splitter_for"]

# gpt-oss: a message's header ends at <|message|>; its text ends at one of these.
_HARMONY_MESSAGE = "<|message|>"
_HARMONY_ENDS = ("<|end|>", "<|return|>", "<|call|>")
_HARMONY_HEADS = ("<|start|>", "<|channel|>")
_HARMONY_CHANNEL = re.compile(r"<\|channel\|>\s*(\w+)")
_MAX_HEADER = 256   # longer than any header: text without one is answer

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

    def __init__(self, *, starts_in_reasoning: bool = False,
                 tags: tuple[tuple[str, str], ...] = REASONING_TAGS) -> None:
        """``tags``: the (open, close) pairs of the model's format; ``starts_in_reasoning``: the prompt
        already opened one (the reply begins inside reasoning and ends it with any of the closing tags)."""
        self.reasoning = ""
        self.answer = ""
        self._pending = ""
        self._state = _REASONING if starts_in_reasoning else _START
        self._tags = tags
        self._close_tags: tuple[str, ...] = tuple(close_tag for _, close_tag in tags)
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
        for open_tag, close_tag in self._tags:
            if body.startswith(open_tag):
                self._pending = body[len(open_tag):]
                self._state = _REASONING
                self._close_tags = (close_tag,)
                return True
        if not body or any(open_tag.startswith(body) for open_tag, _ in self._tags):
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


class HarmonySplitter(ReasoningSplitter):
    """gpt-oss's messages: the "analysis" channel is reasoning, every other channel (final, commentary) answer.

    Text before any header (a model that does not use channels) is answer.
    """

    def __init__(self) -> None:
        super().__init__()
        self._kind = ""   # "": reading a header (or the start); else the kind of the message being read

    def flush(self) -> list[tuple[str, str]]:
        if self._pending and (self._kind or (not self.reasoning and not self.answer and "<|" not in self._pending)):
            self._emit(self._kind or "answer", self._pending)
        self._pending = ""
        return self._take()

    def _step(self) -> bool:
        if not self._kind:
            return self._step_header()
        if not (self.reasoning if self._kind == "reasoning" else self.answer):
            self._pending = self._pending.lstrip()
        found = [(self._pending.find(end), end) for end in _HARMONY_ENDS if end in self._pending]
        if found:
            index, end = min(found)
            self._emit(self._kind, self._pending[:index])
            self._pending, self._kind = self._pending[index + len(end):], ""
            return True
        held = _held_suffix(self._pending, _HARMONY_ENDS)
        self._emit(self._kind, self._pending[:len(self._pending) - held])
        self._pending = self._pending[len(self._pending) - held:]
        return False

    def _step_header(self) -> bool:
        body = self._pending.lstrip()
        if not body:
            return False
        if not body.startswith(_HARMONY_HEADS) and not any(head.startswith(body) for head in _HARMONY_HEADS):
            self._pending, self._kind = body, "answer"   # plain text, no header
            return True
        index = body.find(_HARMONY_MESSAGE)
        if index < 0:
            if len(body) > _MAX_HEADER:
                self._pending, self._kind = body, "answer"
                return True
            return False   # the header is still coming
        channel = _HARMONY_CHANNEL.search(body[:index])
        self._kind = "reasoning" if channel and channel.group(1) == "analysis" else "answer"
        self._pending = body[index + len(_HARMONY_MESSAGE):]
        return True


def reasoning_format(template_source: str) -> str:
    """How a model marks its reasoning, read from its chat template: "harmony", "gemma4" or "tags"."""
    if "<|channel|>" in template_source:
        return "harmony"
    if "<|channel>" in template_source:
        return "gemma4"
    return "tags"


def splitter_for(template_source: str, prompt: str = "") -> ReasoningSplitter:
    """A splitter for replies of the model whose chat template is ``template_source``, to ``prompt``
    (which may already open the reasoning block: Qwen3, DeepSeek-R1, DeepSeek V3.1 with thinking on ...)."""
    fmt = reasoning_format(template_source)
    if fmt == "harmony":
        return HarmonySplitter()
    tags = GEMMA4_TAGS if fmt == "gemma4" else REASONING_TAGS
    opened = prompt.rstrip().endswith(tuple(open_tag for open_tag, _ in tags))
    return ReasoningSplitter(starts_in_reasoning=opened, tags=tags)


def reply_pieces(stream: Iterable[str | Done], splitter: ReasoningSplitter,
                 stats: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """A runtime's generation ``stream`` (text pieces, then one ``Done``) as (kind, text) pieces of a reply:
    leading whitespace dropped (a reply starts at its first visible character), reasoning told apart by
    ``splitter``, what it held handed back at the end. The ``Done``'s statistics go into ``stats``."""
    begun = False
    for item in stream:
        if isinstance(item, Done):
            stats.update(item.stats)
            break
        if not begun:
            item = item.lstrip()
            begun = bool(item)
        yield from splitter.feed(item)
    yield from splitter.flush()
