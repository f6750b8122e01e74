"""Conversations as Markdown (to read) and JSON (to keep or re-import), and a clean file name for them.

A reply the person stopped (status ``interrupted``) is marked as stopped in both: a reader of the file
must not take a cut-short answer for a whole one.
"""
from __future__ import annotations

import dataclasses
import re
import time
import unicodedata
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from engine.store.records import Conversation, Message

if TYPE_CHECKING:
    from engine.store.attachment_files import Attachment

JSON_FORMAT = "hearth.conversation"
JSON_VERSION = 1

_HEADINGS = {"system": "System", "user": "User", "assistant": "Assistant"}


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def to_markdown(conversation: Conversation, thread: Sequence[Message],
                attachments: Mapping[int, Sequence["Attachment"]] | None = None) -> str:
    """Title, model, system prompt, then each message under its role (with the names of its attachments)."""
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
        attached = (attachments or {}).get(message.id, ())
        if attached:
            lines += ["*Attached: " + ", ".join(f"{a.name} ({a.kind})" for a in attached) + "*", ""]
        if message.status == "interrupted":   # with an error: the model's process stopped, not the person
            lines += [f"*(stopped before the end: {message.error})*" if message.error else
                      "*(stopped before the end)*", ""]
        elif message.status == "error":
            lines += [f"*(error: {message.error or 'unknown'})*", ""]
    return "\n".join(lines).rstrip() + "\n"


def _attachment_dict(att: "Attachment") -> dict[str, Any]:
    """An attachment without its local path (the file itself is ``attachments/<sha256[:2]>/<file>``)."""
    data = {k: v for k, v in dataclasses.asdict(att).items() if k != "stored"}
    data["file"] = f"attachments/{att.sha256[:2]}/{att.stored.name}"
    return data


def to_json(
    conversation: Conversation, messages: Sequence[Message], thread_ids: Sequence[int],
    attachments: Mapping[int, Sequence["Attachment"]] | None = None,
) -> dict[str, Any]:
    """Every message (all branches) with its attachments (documents with their text), plus the ids
    of the selected branch."""
    attached = attachments or {}
    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "exported_at": time.time(),
        "conversation": dataclasses.asdict(conversation),
        "messages": [{**dataclasses.asdict(message), "stopped": message.status == "interrupted",
                      "attachments": [_attachment_dict(a) for a in attached.get(message.id, ())]}
                     for message in messages],
        "thread": list(thread_ids),
    }


_NOT_IN_NAMES = re.compile(r'[\\/:*?"<>|]+')   # refused by Windows or macOS, or a folder separator


def file_name(title: str, suffix: str, *, fallback: str = "chat", limit: int = 80) -> str:
    """``title`` as a file name ending in ``suffix`` (".md"): no control or format characters, no
    characters a file system refuses, one space between words, no dot or space at either end (a title
    "Read these lines." gives "Read these lines.md", never "Read these lines..md")."""
    text = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in title or "")
    text = _NOT_IN_NAMES.sub(" ", text)
    text = " ".join(text.split())[:limit]
    text = text.lstrip(" .").rstrip(" .…。")   # a leading dot hides the file; a trailing one doubles the suffix's
    return (text or fallback) + suffix
