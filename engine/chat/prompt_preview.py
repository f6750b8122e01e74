"""The exact text a model is given for a conversation, from its GGUF header alone: ``hearth prompt``.

No weights are loaded: the header names the chat template (or a built-in one is chosen as for a chat),
and the conversation goes through the same steps as a send: the system prompt first (merged into the
first user turn where the template refuses or drops it), every message's text defused of media markers,
runs of same-role messages joined so roles alternate, the thinking switch and today's date. Nothing is
dropped to fit a context (counting tokens needs the model), so this is the prompt of a chat that fits.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

from engine import errors
from engine.chat.fitting import join_run, role_runs
from engine.chat.turns import compose_turn, defuse
from engine.models.gguf import read_gguf_info
from engine.models.templates import ChatTemplate, template_for_file

ROLES = ("system", "user", "assistant")
MAX_MESSAGES_BYTES = 64 * 1024 * 1024   # a messages file larger than this is refused unread


def header_template(path: str | os.PathLike[str], *, builtin: str = "") -> ChatTemplate:
    """The chat template a chat with the model at ``path`` would use, read from the header only."""
    info = read_gguf_info(path, check_size=False)
    return template_for_file(info, str(path), builtin=builtin)


def read_messages(source: str | os.PathLike[str]) -> list[dict[str, str]]:
    """OpenAI-style messages from a JSON file: a list, or an object with a "messages" list."""
    path = Path(source)
    try:
        if path.stat().st_size > MAX_MESSAGES_BYTES:
            raise errors.ConversationInvalid(f"{path} is larger than {MAX_MESSAGES_BYTES // 2**20} MiB; "
                                             "it was not read.", path=path)
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise errors.ConversationInvalid(f"{path} could not be read as JSON: {exc}", path=path) from exc
    return check_messages(data.get("messages") if isinstance(data, dict) else data, origin=str(path))


def check_messages(data: Any, *, origin: str = "the conversation") -> list[dict[str, str]]:
    """``data`` as a list of {role, content} with text content, or ConversationInvalid saying what is wrong.

    Content may be a string or a list of parts of which the "text" ones are kept (OpenAI's format)."""
    if not isinstance(data, list) or not data:
        raise errors.ConversationInvalid(f"{origin} holds no list of messages.")
    messages = []
    for n, item in enumerate(data, 1):
        role = item.get("role") if isinstance(item, dict) else None
        if role not in ROLES:
            raise errors.ConversationInvalid(f"Message {n} of {origin} has no role "
                                             f"{', '.join(ROLES[:-1])} or {ROLES[-1]}.")
        content = item.get("content")
        if isinstance(content, list):
            content = "\n".join(p["text"] for p in content
                                if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str))
        if not isinstance(content, str):
            raise errors.ConversationInvalid(f"Message {n} of {origin} has no text content.")
        if role == "system" and n != 1:
            raise errors.ConversationInvalid(f"Message {n} of {origin} is a system message; only the first "
                                             "message may be one.")
        messages.append({"role": role, "content": content})
    if messages[-1]["role"] != "user":
        raise errors.ConversationInvalid(f"The last message of {origin} is not from the user: the prompt is "
                                         "what the model is given to answer a user's message.")
    return messages


def preview_prompt(template: ChatTemplate, messages: Sequence[dict[str, str]], *, system: str | None = None,
                   thinking: bool | None = None) -> str:
    """The text ``template`` gives the model for ``messages`` (checked by :func:`check_messages`).

    ``system`` replaces the conversation's system prompt (an empty one removes it)."""
    head = messages[0]["content"] if messages and messages[0]["role"] == "system" else ""
    rest = list(messages[1:] if messages and messages[0]["role"] == "system" else messages)
    rest = [m for n, m in enumerate(rest, 1) if m["content"] or m["role"] != "user" or n == len(rest)]  # as a send
    system_text = defuse(head if system is None else system)
    sent = [{"role": m["role"], "content": compose_turn(m["content"], (), delimiter="", show_images=False)}
            for m in rest]
    joined = [{"role": sent[r[0]]["role"], "content": join_run([sent[i]["content"] for i in r])}
              for r in role_runs(sent)]
    return template.render(([{"role": "system", "content": system_text}] if system_text else []) + joined,
                           thinking=thinking)


__all__ = ["check_messages", "header_template", "preview_prompt", "read_messages"]
