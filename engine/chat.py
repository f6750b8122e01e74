"""Conversations with a model: send, regenerate, edit, all streamed and stored.

``Chat`` joins the store and the runtime. The user's message is committed
before generation starts; the reply is saved as it grows (at least once a
second) and finished with its timings and a reproducibility record. Events
are plain dataclasses yielded from generators: a GUI wraps them in a worker
thread, the terminal prints them.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Iterator, Union

from . import errors
from .budget import Budget, measure_budget
from .context import fit_prompt
from .reasoning import ReasoningSplitter
from .runtime.client import Done, ModelInfo, Runtime
from .sampling import CancelToken, Sampling
from .store import Conversation, Message, Store

SAVE_INTERVAL_S = 0.5


@dataclass(frozen=True)
class UserSaved:
    message: Message


@dataclass(frozen=True)
class ContextTrimmed:
    """Older turns were left out of the prompt to make room."""

    dropped_ids: tuple[int, ...]
    dropped_tokens: int
    prompt_tokens: int
    n_ctx: int


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


ChatEvent = Union[UserSaved, ContextTrimmed, ReplyStarted, Piece, ReplyFinished]
CURRENT = -1  # parent_id meaning "after the conversation's current message"


class Chat:
    """Send messages in stored conversations through a loaded model."""

    def __init__(self, store: Store, runtime: Runtime) -> None:
        self.store = store
        self.runtime = runtime

    def send(self, conversation_id: int, text: str, *, parent_id: int | None = CURRENT,
             sampling: Sampling | None = None, cancel: CancelToken | None = None) -> Iterator[ChatEvent]:
        """Store ``text`` as the user's message, then stream the reply."""
        conv = self.store.conversation(conversation_id)
        if parent_id == CURRENT:
            thread = self.store.thread(conversation_id)
            parent_id = thread[-1].id if thread else None
        user = self.store.add_message(conversation_id, "user", text, parent_id=parent_id)
        if not conv.title:
            self.store.update_conversation(conversation_id, title=_title_from(text))
        yield UserSaved(user)
        yield from self._reply(conv, user, sampling, cancel)

    def regenerate(self, reply_id: int, *, sampling: Sampling | None = None,
                   cancel: CancelToken | None = None) -> Iterator[ChatEvent]:
        """A new reply to the same user message, as a sibling; nothing is erased."""
        reply = self.store.message(reply_id)
        if reply.parent_id is None:
            raise errors.MessageNotFound("This reply has no message to answer.")
        user = self.store.message(reply.parent_id)
        yield from self._reply(self.store.conversation(reply.conversation_id), user, sampling, cancel)

    def edit(self, user_message_id: int, text: str, *, sampling: Sampling | None = None,
             cancel: CancelToken | None = None) -> Iterator[ChatEvent]:
        """An edited copy of a user message (a sibling) and a reply to it."""
        old = self.store.message(user_message_id)
        user = self.store.add_message(old.conversation_id, "user", text, parent_id=old.parent_id)
        yield UserSaved(user)
        yield from self._reply(self.store.conversation(old.conversation_id), user, sampling, cancel)

    def budget(self, conversation_id: int, draft: str, *, leaf_id: int | None = None,
               sampling: Sampling | None = None) -> Budget:
        """The context's use if ``draft`` were sent after ``leaf_id`` (default: the current leaf) with ``sampling``."""
        info = self.runtime.info
        if info is None:
            raise errors.NoModelLoaded("No model is loaded.", hint="Choose a model first.")
        conv = self.store.conversation(conversation_id)
        history, reserve = _prompt_inputs(self.store.thread(conversation_id, leaf_id),
                                          sampling or Sampling.from_dict(conv.sampling), info)
        return measure_budget(conv.system_prompt, [(m.id, m.role, m.content) for m in history], draft,
                              render=info.template.render, count=self.runtime.count_tokens,
                              n_ctx=info.n_ctx, reserve=reserve, policy=conv.context_policy)

    # --- the reply ------------------------------------------------------------
    def _reply(self, conv: Conversation, user: Message, sampling: Sampling | None,
               cancel: CancelToken | None) -> Iterator[ChatEvent]:
        info = self.runtime.info
        if info is None:
            raise errors.NoModelLoaded("No model is loaded.", hint="Choose a model, then send again.")
        settings = (sampling or Sampling.from_dict(conv.sampling)).resolved()
        if info.template.stop_strings:
            settings = replace(settings, stop=tuple(dict.fromkeys(settings.stop + info.template.stop_strings)))
        history, reserve = _prompt_inputs(self.store.thread(conv.id, user.id)[:-1], settings, info)
        try:
            fitted = fit_prompt(
                conv.system_prompt, [{"role": m.role, "content": m.content} for m in history],
                {"role": "user", "content": user.content},
                render=info.template.render, count=self.runtime.count_tokens,
                n_ctx=info.n_ctx, reserve=reserve, policy=conv.context_policy)
        except errors.ContextError as exc:
            self.store.update_message(user.id, status="error", error=exc.full_text())
            raise
        dropped_ids = tuple(history[i].id for i in fitted.dropped)
        if dropped_ids:
            yield ContextTrimmed(dropped_ids, fitted.dropped_tokens, fitted.tokens, info.n_ctx)
        record = _record(info, settings, dropped_ids)
        reply = self.store.add_message(conv.id, "assistant", "", parent_id=user.id, status="streaming",
                                       record=record, prompt_tokens=fitted.tokens)
        yield ReplyStarted(reply, fitted.tokens, reserve, info.n_ctx)
        yield from self._stream(reply, fitted.text, settings, info, record, cancel)

    def _stream(self, reply: Message, prompt: str, settings: Sampling, info: ModelInfo,
                record: dict[str, Any], cancel: CancelToken | None) -> Iterator[ChatEvent]:
        splitter = ReasoningSplitter(starts_in_reasoning=info.template.generation_starts_in_reasoning)
        stats: dict[str, Any] = {}
        last_save = time.monotonic()
        begun = False

        def save(**fields: Any) -> None:
            self.store.update_message(reply.id, content=splitter.answer, reasoning=splitter.reasoning, **fields)

        try:
            for item in self.runtime.generate(prompt, settings, cancel=cancel):
                if isinstance(item, Done):
                    stats = item.stats
                    break
                if not begun:  # a reply starts at its first visible character
                    item = item.lstrip()
                    begun = bool(item)
                for kind, text in splitter.feed(item):
                    yield Piece(kind, text)
                now = time.monotonic()
                if now - last_save >= SAVE_INTERVAL_S:
                    save()
                    last_save = now
            for kind, text in splitter.flush():
                yield Piece(kind, text)
        except errors.HearthError as exc:
            splitter.flush()
            crashed = isinstance(exc, errors.ModelCrashed)
            save(status="interrupted" if crashed else "error", error=exc.full_text())
            raise
        except BaseException:  # the caller stopped listening (GeneratorExit) or was interrupted
            splitter.flush()
            save(status="interrupted")
            raise
        reason = stats.get("finish_reason", "")
        save(status="interrupted" if reason == "cancelled" else "complete",
             completion_tokens=stats.get("completion_tokens"), prompt_evaluated=stats.get("prompt_evaluated"),
             ttft_ms=round(stats.get("ttft_seconds", 0.0) * 1000, 1), tokens_per_s=stats.get("tokens_per_s"),
             record={**record, "finish_reason": reason})
        yield ReplyFinished(self.store.message(reply.id), stats)


def _prompt_inputs(earlier: list[Message], settings: Sampling, info: ModelInfo) -> tuple[list[Message], int]:
    """The earlier messages sent with a new one, and the tokens kept for the reply (send and budget alike)."""
    history = [m for m in earlier if m.role in ("user", "assistant") and m.status != "error" and m.content]
    return history, min(settings.max_tokens, info.n_ctx // 2)


def _record(info: ModelInfo, settings: Sampling, dropped: tuple[int, ...]) -> dict[str, Any]:
    """Everything needed to reproduce a reply."""
    return {
        "sampling": settings.to_dict(),
        "model": {"name": info.name, "path": info.path, "sha256": info.sha256,
                  "quantization": info.quantization, "backend": info.backend, "gpu_layers": info.gpu_layers},
        "template": {"name": info.template.name, "hash": info.template.hash},
        "n_ctx": info.n_ctx,
        "dropped": list(dropped),
    }


def _title_from(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 60 else line[:57].rstrip() + "…"
