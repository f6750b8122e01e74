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
from typing import TYPE_CHECKING, Any, Iterator, Union

from . import errors
from .budget import Budget, measure_budget
from .context import fit_prompt
from .reasoning import ReasoningSplitter
from .runtime.client import Done, ModelInfo, Runtime
from .sampling import CancelToken, Sampling
from .store import Conversation, Message, Store

if TYPE_CHECKING:
    from .kb.knowledge import KnowledgeBase
    from .kb.records import Hit

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
class KnowledgeRetrieved:
    """Chunks from the conversation's collections went into the prompt (numbered from 1)."""

    sources: tuple["Hit", ...]
    tokens: int              # what they take of the context
    searched: int            # hits the search returned before the relevance floor


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


ChatEvent = Union[UserSaved, ContextTrimmed, KnowledgeRetrieved, ReplyStarted, Piece, ReplyFinished]
CURRENT = -1  # parent_id meaning "after the conversation's current message"


class Chat:
    """Send messages in stored conversations through a loaded model."""

    def __init__(self, store: Store, runtime: Runtime, *, knowledge: "KnowledgeBase | None" = None) -> None:
        """``knowledge`` answers from the collections a conversation uses (none: they are ignored)."""
        self.store = store
        self.runtime = runtime
        self.knowledge = knowledge

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
        knowledge = knowledge_allowance(info.n_ctx, reserve) if self._collections(conversation_id) else 0
        return measure_budget(conv.system_prompt, [(m.id, m.role, m.content) for m in history], draft,
                              render=info.template.render, count=self.runtime.count_tokens,
                              n_ctx=info.n_ctx, reserve=reserve, policy=conv.context_policy, knowledge=knowledge)

    def _collections(self, conversation_id: int) -> list[Any]:
        if self.knowledge is None:
            return []
        from .kb import library
        return library.conversation_collections(self.store.db.conn, conversation_id)

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
        record = _record(info, settings, ())
        turn = user.content
        collections = self._collections(conv.id)
        if collections:
            found = yield from self._retrieve(conv, user, collections, reserve, record)
            if found is None:
                yield from self._not_found(conv, user, collections, record)
                return
            turn = found
        try:
            fitted = fit_prompt(
                conv.system_prompt, [{"role": m.role, "content": m.content} for m in history],
                {"role": "user", "content": turn},
                render=info.template.render, count=self.runtime.count_tokens,
                n_ctx=info.n_ctx, reserve=reserve, policy=conv.context_policy)
        except errors.ContextError as exc:
            self.store.update_message(user.id, status="error", error=exc.full_text())
            raise
        dropped_ids = tuple(history[i].id for i in fitted.dropped)
        if dropped_ids:
            yield ContextTrimmed(dropped_ids, fitted.dropped_tokens, fitted.tokens, info.n_ctx)
        record["dropped"] = list(dropped_ids)
        reply = self.store.add_message(conv.id, "assistant", "", parent_id=user.id, status="streaming",
                                       record=record, prompt_tokens=fitted.tokens)
        yield ReplyStarted(reply, fitted.tokens, reserve, info.n_ctx)
        yield from self._stream(reply, fitted.text, settings, info, record, cancel)

    def _retrieve(self, conv: Conversation, user: Message, collections: list[Any], reserve: int,
                  record: dict[str, Any]) -> Iterator[ChatEvent]:
        """Search the collections; returns the user turn with sources, or None when documents-only found nothing."""
        from .kb import library
        from .kb.prompting import compose, source_record
        assert self.knowledge is not None and self.runtime.info is not None
        only = library.documents_only(self.store.db.conn, conv.id)
        hits = self.knowledge.search(collections, user.content, k=8)
        relevant = self.knowledge.relevant(hits)
        count = self.runtime.count_tokens
        prompt = compose(user.content, relevant, documents_only=only, count=count,
                         budget_tokens=knowledge_allowance(self.runtime.info.n_ctx, reserve))
        tokens = count(prompt.text) - count(user.content) if prompt.sources else 0
        record["knowledge"] = {
            "collections": [c.name for c in collections], "documents_only": only, "tokens": tokens,
            "searched": len(hits), "min_similarity": self.knowledge.min_similarity,
            "sources": [source_record(n, h) for n, h in enumerate(prompt.sources, 1)],
        }
        yield KnowledgeRetrieved(prompt.sources, tokens, len(hits))
        if only and not prompt.sources:
            return None
        return prompt.text

    def _not_found(self, conv: Conversation, user: Message, collections: list[Any],
                   record: dict[str, Any]) -> Iterator[ChatEvent]:
        """Documents-only and nothing relevant: say so instead of answering from the model's memory."""
        from .kb.prompting import NOT_FOUND
        record["knowledge"]["not_found"] = True
        record["finish_reason"] = "not_found"
        text = NOT_FOUND.format(names=", ".join(c.name for c in collections))
        reply = self.store.add_message(conv.id, "assistant", "", parent_id=user.id, status="streaming",
                                       record=record, prompt_tokens=0)
        yield ReplyStarted(reply, 0, 0, self.runtime.info.n_ctx if self.runtime.info else 0)
        yield Piece("answer", text)
        self.store.update_message(reply.id, content=text, status="complete", completion_tokens=0)
        yield ReplyFinished(self.store.message(reply.id), {"finish_reason": "not_found"})

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
        if "knowledge" in record:
            from .kb.prompting import cited
            record["knowledge"]["cited"] = cited(splitter.answer, len(record["knowledge"]["sources"]))
        save(status="interrupted" if reason == "cancelled" else "complete",
             completion_tokens=stats.get("completion_tokens"), prompt_evaluated=stats.get("prompt_evaluated"),
             ttft_ms=round(stats.get("ttft_seconds", 0.0) * 1000, 1), tokens_per_s=stats.get("tokens_per_s"),
             record={**record, "finish_reason": reason})
        yield ReplyFinished(self.store.message(reply.id), stats)


def _prompt_inputs(earlier: list[Message], settings: Sampling, info: ModelInfo) -> tuple[list[Message], int]:
    """The earlier messages sent with a new one, and the tokens kept for the reply (send and budget alike)."""
    history = [m for m in earlier if m.role in ("user", "assistant") and m.status != "error" and m.content]
    return history, min(settings.max_tokens, info.n_ctx // 2)


def knowledge_allowance(n_ctx: int, reserve: int) -> int:
    """The most tokens retrieved sources may take: half of what the reply's reserve leaves, at most 2000."""
    return max(0, min(2000, (n_ctx - reserve) // 2))


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
