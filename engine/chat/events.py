"""The events a conversation yields while a message is sent and answered.

Plain frozen dataclasses: the window wraps them in queued signals, the
terminal prints them. :class:`engine.chat.service.Chat` produces them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

from engine.store.attachment_files import Attachment
from engine.store import Message

if TYPE_CHECKING:
    from engine.knowledge.records import Hit


@dataclass(frozen=True)
class UserSaved:
    message: Message
    attachments: tuple[Attachment, ...] = ()   # as stored with the message


@dataclass(frozen=True)
class ContextTrimmed:
    """Older turns were left out of the prompt to make room."""

    dropped_ids: tuple[int, ...]
    dropped_tokens: int
    prompt_tokens: int
    n_ctx: int


@dataclass(frozen=True)
class KnowledgeRetrieved:
    """Chunks from the conversation's collections went into the prompt (numbered from 1)."""

    sources: tuple["Hit", ...]
    tokens: int              # what they take of the context
    searched: int            # hits the search returned before the relevance floor


@dataclass(frozen=True)
class SummaryProgress:
    """A summary of documents too big for the context is being written (engine.chat.summary)."""

    stage: str       # "reading" (section ``done + 1`` of ``total``), "combining" (``total`` summaries), "answering"
    done: int
    total: int
    document: str    # the documents' names


@dataclass(frozen=True)
class ReplyStarted:
    message: Message
    prompt_tokens: int
    reserve: int
    n_ctx: int


@dataclass(frozen=True)
class Piece:
    kind: str   # "answer" or "reasoning"
    text: str


@dataclass(frozen=True)
class ReplyFinished:
    message: Message
    stats: dict[str, Any] = field(default_factory=dict)


ChatEvent = Union[UserSaved, ContextTrimmed, KnowledgeRetrieved, SummaryProgress, ReplyStarted, Piece, ReplyFinished]
