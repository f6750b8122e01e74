"""Conversations as Markdown (to read) and JSON (to keep or re-import)."""
from __future__ import annotations

import dataclasses
import time
from typing import Any, Sequence

from engine.store.records import Conversation, Message

JSON_FORMAT = "hearth.conversation"
JSON_VERSION = 1

_HEADINGS = {"system": "System", "user": "User", "assistant": "Assistant"}


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def to_markdown(conversation: Conversation, thread: Sequence[Message]) -> str:
    """Title, model, system prompt, then each message under its role."""
    lines: list[str] = [f"# {conversation.title or 'Untitled conversation'}", ""]
    lines.append(f"- Model: `{conversation.model_path}`" if conversation.model_path else "- Model: (none)")
    lines.append(f"- Created: {_when(conversation.created_at)}")
    lines.append("")
    if conversation.system_prompt:
        lines += ["## System prompt", "", conversation.system_prompt, ""]
    for message in thread:
        lines += [f"## {_HEADINGS.get(message.role, message.role.title())}", ""]
        if message.reasoning:
            lines += [
                "<details>",
                "<summary>Reasoning</summary>",
                "",
                message.reasoning,
                "",
                "</details>",
                "",
            ]
        lines += [message.content, ""]
        if message.status == "interrupted":
            lines += ["*(interrupted)*", ""]
        elif message.status == "error":
            lines += [f"*(error: {message.error or 'unknown'})*", ""]
    return "\n".join(lines).rstrip() + "\n"


def to_json(
    conversation: Conversation, messages: Sequence[Message], thread_ids: Sequence[int]
) -> dict[str, Any]:
    """Every message (all branches), plus the ids of the selected branch."""
    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "exported_at": time.time(),
        "conversation": dataclasses.asdict(conversation),
        "messages": [dataclasses.asdict(message) for message in messages],
        "thread": list(thread_ids),
    }
