"""The records the store hands out: frozen snapshots of database rows.

Rows are turned into records here and nowhere else, so JSON columns
(``sampling``, ``record``) are decoded in one place.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Mapping

ROLES = ("system", "user", "assistant")
STATUSES = ("complete", "streaming", "interrupted", "error")
CONTEXT_POLICIES = ("drop_oldest", "refuse")


def _json_dict(text: str | None) -> dict[str, Any]:
    """Decode a JSON object column; anything unreadable becomes ``{}``."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def dump_json(value: Mapping[str, Any] | None) -> str:
    """Encode a mapping for a JSON column (``{}`` for ``None``)."""
    return json.dumps(dict(value or {}), ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Conversation:
    """One conversation: its settings and where its current branch ends."""

    id: int
    title: str
    created_at: float
    updated_at: float
    model_path: str | None
    system_prompt: str
    sampling: dict[str, Any] = field(default_factory=dict)
    context_policy: str = "drop_oldest"
    ctx_size: int | None = None
    current_leaf_id: int | None = None
    deleted_at: float | None = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @classmethod
    def from_row(cls, row: sqlite3.Row | Mapping[str, Any]) -> "Conversation":
        return cls(
            id=row["id"],
            title=row["title"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            model_path=row["model_path"],
            system_prompt=row["system_prompt"],
            sampling=_json_dict(row["sampling"]),
            context_policy=row["context_policy"],
            ctx_size=row["ctx_size"],
            current_leaf_id=row["current_leaf_id"],
            deleted_at=row["deleted_at"],
        )


@dataclass(frozen=True)
class Message:
    """One node of a conversation's message tree."""

    id: int
    conversation_id: int
    parent_id: int | None
    role: str
    content: str
    reasoning: str
    status: str
    error: str | None
    created_at: float
    updated_at: float
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    prompt_evaluated: int | None = None
    ttft_ms: float | None = None
    tokens_per_s: float | None = None
    record: dict[str, Any] = field(default_factory=dict)
    writer_pid: int | None = None

    @property
    def is_reply(self) -> bool:
        """True for the model's messages."""
        return self.role == "assistant"

    @classmethod
    def from_row(cls, row: sqlite3.Row | Mapping[str, Any]) -> "Message":
        return cls(
            id=row["id"],
            conversation_id=row["conversation_id"],
            parent_id=row["parent_id"],
            role=row["role"],
            content=row["content"],
            reasoning=row["reasoning"],
            status=row["status"],
            error=row["error"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            prompt_tokens=row["prompt_tokens"],
            completion_tokens=row["completion_tokens"],
            prompt_evaluated=row["prompt_evaluated"],
            ttft_ms=row["ttft_ms"],
            tokens_per_s=row["tokens_per_s"],
            record=_json_dict(row["record"]),
            writer_pid=row["writer_pid"],
        )


@dataclass(frozen=True)
class SearchHit:
    """A message that matched a search, with a snippet around the match."""

    conversation_id: int
    message_id: int
    conversation_title: str
    role: str
    snippet: str
    rank: float
