"""Keeping the API's chats as conversations, when the user opts in (``hearth serve --store-conversations``,
or the window's switch).

Off by default: other programs' prompts are theirs, and the server logs no prompt text. When on, each
chat request becomes a conversation titled "API · …" holding the request's messages, then the reply,
saved before generation starts and as it grows like any reply, with the same reproducibility record
(sampling, model, context) plus which API model name the client asked for.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from engine.chat.reply_record import reply_record, title_from

if TYPE_CHECKING:
    from engine.runtime.records import ModelInfo
    from engine.sampling import Sampling
    from engine.store import Message, Store

SAVE_INTERVAL_S = 0.5
TITLE_PREFIX = "API · "


class ApiRecorder:
    """One API chat as a stored conversation: ``start`` before generating, ``grow`` per piece, ``finish``."""

    def __init__(self, store: "Store", info: "ModelInfo", settings: "Sampling", asked_for: str) -> None:
        self.store = store
        self.record = {**reply_record(info, settings), "api": {"model": asked_for}}
        self._info = info
        self.reply: "Message | None" = None
        self.answer = ""
        self.reasoning = ""
        self._saved_at = 0.0

    def start(self, messages: list[dict[str, str]], sources: list[dict[str, Any]]) -> None:
        """Store the request's messages (a system message becomes the system prompt) and an empty reply."""
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        turns = [m for m in messages if m["role"] in ("user", "assistant")]
        last_user = next((m["content"] for m in reversed(turns) if m["role"] == "user"), "")
        if sources:
            self.record["api"]["sources"] = sources
        with self.store.db.atomic():
            conv = self.store.create_conversation(title=TITLE_PREFIX + title_from(last_user),
                                                  model_path=self._info.path, system_prompt=system,
                                                  sampling=self.record["sampling"], ctx_size=self._info.n_ctx)
            parent = None
            for m in turns:
                parent = self.store.add_message(conv.id, m["role"], m["content"], parent_id=parent).id
            self.reply = self.store.add_message(conv.id, "assistant", "", parent_id=parent, status="streaming",
                                                record=self.record)

    def grow(self, kind: str, text: str) -> None:
        if kind == "reasoning":
            self.reasoning += text
        else:
            self.answer += text
        now = time.monotonic()
        if self.reply is not None and now - self._saved_at >= SAVE_INTERVAL_S:
            self.store.update_message(self.reply.id, content=self.answer, reasoning=self.reasoning)
            self._saved_at = now

    def finish(self, stats: dict[str, Any], *, error: str = "") -> None:
        if self.reply is None:
            return
        reason = stats.get("finish_reason", "")
        status = "error" if error else ("interrupted" if reason == "cancelled" else "complete")
        self.store.update_message(
            self.reply.id, content=self.answer, reasoning=self.reasoning, status=status, error=error or None,
            completion_tokens=stats.get("completion_tokens"), prompt_tokens=stats.get("prompt_tokens"),
            ttft_ms=round(stats.get("ttft_seconds", 0.0) * 1000, 1), tokens_per_s=stats.get("tokens_per_s"),
            record={**self.record, "finish_reason": reason})
