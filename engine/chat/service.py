"""Conversations with a model: send, regenerate, edit, all streamed and stored.

``Chat`` joins the store and the runtime. The user's message is committed
before generation starts; the reply is saved as it grows (at least once a
second) and finished with its timings and a reproducibility record. Events
are plain dataclasses yielded from generators: a GUI wraps them in a worker
thread, the terminal prints them.

Attachments (:mod:`engine.chat.attachments`) are checked before anything is saved
or sent: images need a model that can see (``VisionUnsupported``, with the
catalog's vision models), documents must fit in the context whole
(``AttachmentTooLarge``; nothing is ever cut). A document's text goes into
its turn in a fenced block (:mod:`engine.chat.turns`) and stays there in later
turns: earlier documents are re-sent while their turn fits, and dropping the
oldest turns drops them with their turn. Images go to the model only for one
user turn, the newest that has any: the new message's images, or else those
of the latest earlier message with images (so a follow-up question still
sees the picture), while that turn fits; older turns' images are named in a
note instead.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from engine import errors
from engine.chat.attachments import Attachment, load_rgb
from engine.store.attachment_files import remove_copy, stored_path
from engine.chat.meter import Budget, measure_budget
from engine.chat.fitting import (SourcesRoom, fit_prompt, join_run, knowledge_allowance, role_runs,
                                 sources_room)
# The events live in engine.chat.events; ``from engine.chat.service import Piece`` keeps working.
from engine.chat.summary import summarized
from engine.chat.reply_record import attachments_record, render_for, reply_record, title_from
from engine.chat.events import ChatEvent, ContextTrimmed, KnowledgeRetrieved, Piece, ReplyFinished, ReplyStarted, UserSaved
from engine.images import fit_size
from engine.chat.reasoning import reply_pieces, splitter_for
from engine.runtime.client import ModelInfo, Runtime
from engine.sampling import CancelToken, Sampling
from engine.store import Conversation, Message, Store
from engine.chat.turns import PLACEHOLDER, compose_turn, defuse, document_block, image_counter, new_delimiter
from engine.models.vision import MEDIA_MARKER, vision_model_names

if TYPE_CHECKING:
    from engine.knowledge.base import KnowledgeBase

SAVE_INTERVAL_S = 0.5
PROMPT_KEPT = 200_000   # characters of the prompt text a reply's record keeps
CURRENT = -1  # parent_id meaning "after the conversation's current message"


@dataclass
class _Plan:
    """The parts of a prompt before fitting: earlier turns with their documents, the new turn, images."""

    history: list[Message]              # the earlier messages that may be sent
    messages: list[dict[str, str]]      # their contents as sent (documents included, markers defused)
    turn: str                           # the new user turn
    reserve: int
    count: Callable[[str], int]         # counts a prompt, each media marker as its image's positions
    images: list[Attachment]            # the images the prompt's markers stand for, in order
    image_tokens: list[int]
    image_turn: int | None              # the earlier message whose images are re-sent (None: the new turn's)
    documents: list[Attachment]         # the new turn's documents
    delimiter: str                      # the new turn's ("": not drawn yet, measured with PLACEHOLDER)
    joined: dict[int, tuple[int, ...]] = field(default_factory=dict)  # a sent message's id -> earlier ids in it
    carried: str = ""                   # earlier user messages without a reply, sent at the start of the turn

    def carry(self, text: str) -> str:
        """``text`` as the new turn sends it: after earlier user messages that got no reply."""
        return join_run([self.carried, text]) if self.carried else text

    def ids_of(self, index: int) -> tuple[int, ...]:
        """The ids of the stored messages that ``history[index]`` stands for, oldest first."""
        m = self.history[index]
        return (*self.joined.get(m.id, ()), m.id)

    @cached_property
    def document_tokens(self) -> list[int]:
        """Each document's block, counted alone (on first use: the context meter never needs it)."""
        token = self.delimiter or PLACEHOLDER
        return [self.count(document_block(n, a, token)) for n, a in enumerate(self.documents, 1)]

    def tokens_of(self, att: Attachment) -> int | None:
        """What one of this plan's documents or images takes of the context (None for any other)."""
        for items, tokens in ((self.documents, self.document_tokens), (self.images, self.image_tokens)):
            for item, n in zip(items, tokens):
                if item is att:
                    return n
        return None

    def images_sent(self, prompt: str) -> list[Attachment]:
        """The images a fitted prompt carries: all of ``images``, or none when their turn was dropped."""
        n = prompt.count(MEDIA_MARKER)
        if n == 0:
            return []
        if n != len(self.images):
            raise errors.ModelError(f"The prompt has {n} image markers for {len(self.images)} images; "
                                    "the chat template may repeat a message.")
        return list(self.images)


class Chat:
    """Send messages in stored conversations through a loaded model."""

    def __init__(self, store: Store, runtime: Runtime, *, knowledge: "KnowledgeBase | None" = None) -> None:
        """``knowledge`` answers from the collections a conversation uses (none: they are ignored)."""
        self.store = store
        self.runtime = runtime
        self.knowledge = knowledge

    def send(self, conversation_id: int, text: str, *, attachments: Sequence[Attachment] = (),
             parent_id: int | None = CURRENT, sampling: Sampling | None = None,
             cancel: CancelToken | None = None) -> Iterator[ChatEvent]:
        """Store ``text`` and its ``attachments`` as the user's message, then stream the reply.

        With attachments, nothing is saved or sent unless they can go: images need a model that
        can see (``VisionUnsupported``), documents must fit whole (``AttachmentTooLarge``).
        """
        conv = self.store.conversation(conversation_id)
        if parent_id == CURRENT:
            thread = self.store.thread(conversation_id)
            parent_id = thread[-1].id if thread else None
        user, saved = self._save_user(conv, text, tuple(attachments), parent_id, sampling)
        if not conv.title:
            self.store.update_conversation(conversation_id, title=title_from(text or ", ".join(
                a.name for a in saved)))
        yield UserSaved(user, saved)
        yield from self._reply(conv, user, sampling, cancel)

    def summarize(self, conversation_id: int, text: str, *, attachments: Sequence[Attachment],
                  parent_id: int | None = CURRENT, sampling: Sampling | None = None,
                  cancel: CancelToken | None = None) -> Iterator[ChatEvent]:
        """Store ``text`` with documents too big for the context, and answer it from a section-by-section
        summary of them (:mod:`engine.chat.summary`); images cannot go this way."""
        from engine.chat.summary import Summarizer
        documents = [a for a in attachments if a.kind == "document"]
        if not documents or len(documents) != len(attachments):
            raise errors.AttachmentError("Only documents can be summarised section by section.",
                                         hint="Remove the images, then send again.", reason="summary_images")
        conv = self.store.conversation(conversation_id)
        if parent_id == CURRENT:
            thread = self.store.thread(conversation_id)
            parent_id = thread[-1].id if thread else None
        delimiter = new_delimiter([text, *(a.text for a in documents), *(a.name for a in documents)])
        with self.store.db.atomic():
            user = self.store.add_message(conv.id, "user", text, parent_id=parent_id,
                                          record={"attachments": {"delimiter": delimiter, "summarized": True}})
            saved = self.store.add_attachments(user.id, documents, tokens=[None] * len(documents))
        if not conv.title:
            self.store.update_conversation(conversation_id, title=title_from(text or ", ".join(a.name for a in saved)))
        yield UserSaved(user, tuple(saved))
        yield from Summarizer(self).run(conv, user, saved, sampling, cancel)

    def regenerate(self, reply_id: int, *, sampling: Sampling | None = None,
                   cancel: CancelToken | None = None) -> Iterator[ChatEvent]:
        """A new reply to the same user message, as a sibling; nothing is erased."""
        from engine.chat.summary import Summarizer, summarized
        reply = self.store.message(reply_id)
        if reply.parent_id is None:
            raise errors.MessageNotFound("This reply has no message to answer.")
        user = self.store.message(reply.parent_id)
        conv = self.store.conversation(reply.conversation_id)
        if summarized(user):
            yield from Summarizer(self).run(conv, user, self.store.attachments(user.id), sampling, cancel)
            return
        yield from self._reply(conv, user, sampling, cancel)

    def edit(self, user_message_id: int, text: str, *, attachments: Sequence[Attachment] | None = None,
             sampling: Sampling | None = None, cancel: CancelToken | None = None) -> Iterator[ChatEvent]:
        """An edited copy of a user message (a sibling) and a reply to it; ``attachments`` default to the
        old message's."""
        old = self.store.message(user_message_id)
        conv = self.store.conversation(old.conversation_id)
        atts = tuple(self.store.attachments(old.id) if attachments is None else attachments)
        user, saved = self._save_user(conv, text, atts, old.parent_id, sampling)
        yield UserSaved(user, saved)
        yield from self._reply(conv, user, sampling, cancel)

    def budget(self, conversation_id: int, draft: str, *, attachments: Sequence[Attachment] = (),
               leaf_id: int | None = None, sampling: Sampling | None = None) -> Budget:
        """The context's use if ``draft`` with ``attachments`` were sent after ``leaf_id`` (default: the
        current leaf) with ``sampling``.

        ``Budget.attachments`` is what the draft's attachments take: each document's block and, for
        a model that can see, each image's positions as the loaded projector counts them (the worker
        preprocesses an image of the size that would be sent; once per size). Images the prompt would
        re-send from an earlier turn are counted in ``history``.
        """
        info = self._info("Choose a model first.")
        conv = self.store.conversation(conversation_id)
        atts = tuple(attachments)
        settings = sampling or Sampling.from_dict(conv.sampling)
        plan = self._plan(info, self.store.thread(conversation_id, leaf_id), draft, atts, PLACEHOLDER, settings)
        knowledge = knowledge_allowance(info.n_ctx, plan.reserve) if self._collections(conversation_id) else 0
        # each attachment's own count (the number its chip and the "too big" refusal show); the line
        # introducing the documents counts with the draft
        images = list(zip(plan.images, plan.image_tokens)) if plan.image_turn is None else []
        counts = [(a.sha256, n) for a, n in [*zip(plan.documents, plan.document_tokens), *images]]
        budget = measure_budget(defuse(conv.system_prompt), [(m.id, d["role"], d["content"])
                                                              for m, d in zip(plan.history, plan.messages)],
                                plan.turn, render=render_for(info, settings), count=plan.count, n_ctx=info.n_ctx,
                                reserve=plan.reserve, policy=conv.context_policy, knowledge=knowledge,
                                attachments=sum(n for _, n in counts), counts=counts, n_ctx_max=info.n_ctx_train)
        index = {m.id: i for i, m in enumerate(plan.history)}
        return replace(budget, dropped_ids=tuple(x for d in budget.dropped_ids for x in plan.ids_of(index[d])))

    # --- attachments ----------------------------------------------------------
    def _info(self, hint: str = "Choose a model, then send again.") -> ModelInfo:
        info = self.runtime.info
        if info is None:
            raise errors.NoModelLoaded("No model is loaded.", hint=hint)
        return info

    def _save_user(self, conv: Conversation, text: str, atts: tuple[Attachment, ...], parent_id: int | None,
                   sampling: Sampling | None) -> tuple[Message, tuple[Attachment, ...]]:
        """Check the attachments (nothing saved when they cannot go), then save the message with them."""
        if not atts:
            return self.store.add_message(conv.id, "user", text, parent_id=parent_id), ()
        delimiter = new_delimiter([text, *(a.text for a in atts), *(a.name for a in atts)])
        try:
            tokens = self._check(conv, text, atts, delimiter, parent_id, sampling)
        except errors.HearthError:
            self._discard(atts)
            raise
        with self.store.db.atomic():
            user = self.store.add_message(conv.id, "user", text, parent_id=parent_id,
                                          record={"attachments": {"delimiter": delimiter}})
            saved = self.store.add_attachments(user.id, atts, tokens=tokens)
        return user, tuple(saved)

    def _discard(self, atts: Sequence[Attachment]) -> None:
        """A refused send saves nothing: remove the copies prepare() stored that no saved message uses.
        Only copies of files (sending them again makes the copies again from the files); pasted image
        data has no file, so its copy stays for the draft that still shows it."""
        folder = self.store.attachments_dir
        for att in (a for a in atts if a.id is None and a.source is not None):
            rows = self.store.conn.execute("SELECT kind, name, mime FROM attachments WHERE sha256 = ?",
                                           (att.sha256,)).fetchall()
            if not any(stored_path(folder, att.sha256, *row) == Path(att.stored) for row in rows):
                remove_copy(att, folder)

    def _check(self, conv: Conversation, text: str, atts: tuple[Attachment, ...], delimiter: str,
               parent_id: int | None, sampling: Sampling | None) -> list[int | None]:
        """Raise unless the message and its attachments can be sent; each attachment's tokens."""
        info = self._info()
        self._can_see(info, atts)
        settings = (sampling or Sampling.from_dict(conv.sampling)).resolved()
        earlier = self.store.thread(conv.id, parent_id) if parent_id is not None else []
        plan = self._plan(info, earlier, text, atts, delimiter, settings)
        reserve = plan.reserve + (knowledge_allowance(info.n_ctx, plan.reserve) if self._collections(conv.id) else 0)
        system = defuse(conv.system_prompt)

        def fit(turn: str) -> Any:
            return fit_prompt(system, plan.messages, {"role": "user", "content": turn},
                              render=render_for(info, settings), count=plan.count, n_ctx=info.n_ctx, reserve=reserve,
                              policy=conv.context_policy)
        try:
            fit(plan.turn)
        except errors.ContextError:
            if not plan.documents:
                raise
            bare = plan.carry(compose_turn(text, [a for a in atts if a.kind == "image"], delimiter="",
                                           show_images=info.vision))
            without = fit(bare)   # the text alone too long: that error, not the documents'
            if conv.context_policy == "drop_oldest":
                head = [{"role": "system", "content": system}] if system else []
                used = plan.count(render_for(info, settings)(head + [{"role": "user", "content": bare}]))
            else:
                used = without.tokens
            raise self._too_large(plan, info.n_ctx, reserve, info.n_ctx - reserve - used) from None
        return [plan.tokens_of(a) for a in atts]

    @staticmethod
    def _can_see(info: ModelInfo, atts: Sequence[Attachment]) -> None:
        images = [a.name for a in atts if a.kind == "image"]
        if images and not info.vision:
            raise errors.VisionUnsupported(
                f"{info.name} cannot see images, so {', '.join(images)} cannot be sent to it.",
                suggestions=vision_model_names(), path=info.path)

    @staticmethod
    def _too_large(plan: _Plan, n_ctx: int, reserve: int, room: int) -> errors.AttachmentTooLarge:
        docs = sorted(zip(plan.documents, plan.document_tokens), key=lambda d: -d[1])
        total = sum(t for _, t in docs)
        room = max(room, 0)
        where = f"the context holds {n_ctx:,} tokens and {reserve:,} are kept for the reply"
        if len(docs) == 1:
            what = f"{docs[0][0].name} is {total:,} tokens"
        else:
            what = (", ".join(f"{a.name} ({t:,} tokens)" for a, t in docs[:-1]) + f" and {docs[-1][0].name} "
                    f"({docs[-1][1]:,} tokens) need {total:,} tokens")
        return errors.AttachmentTooLarge(
            f"{what}, but only {room:,} tokens are left for documents in this message ({where}). "
            "Nothing was sent.", names=[a.name for a, _ in docs], tokens=total, room=room)

    def _plan(self, info: ModelInfo, earlier: list[Message], text: str, atts: Sequence[Attachment],
              delimiter: str, settings: Sampling) -> _Plan:
        """Earlier turns (documents included) and the new turn, with the images to send (see the module)."""
        attached = self.store.attachments_of([m.id for m in earlier if m.role == "user"])
        # A reply is sent even when it failed or stopped before any text (as it is: the model said that);
        # a user message refused before sending (status error) is not.
        history = [m for m in earlier if m.role == "assistant" or (m.role == "user" and m.status != "error"
                                                                    and (m.content or m.id in attached))]
        reserve = min(settings.max_tokens, info.n_ctx // 2)
        new_images = [a for a in atts if a.kind == "image"]
        image_turn: int | None = None
        images: list[Attachment] = []
        if info.vision:
            if new_images:
                images = new_images
            else:
                image_turn = next((m.id for m in reversed(history) if m.role == "user"
                                   and any(a.kind == "image" for a in attached.get(m.id, ()))), None)
                images = [a for a in attached.get(image_turn, ()) if a.kind == "image"] if image_turn else []
        sent = []
        for m in history:   # a summarised message goes without its documents: its reply holds their summary
            files = [a for a in attached.get(m.id, ()) if a.kind == "image" or not summarized(m)]
            content = compose_turn(m.content, files, show_images=m.id == image_turn,
                                   delimiter=str(m.record.get("attachments", {}).get("delimiter", "")))
            sent.append({"role": m.role, "content": content})
        runs = role_runs(sent)   # roles alternate: a run of same-role messages goes as one message
        messages = [{"role": sent[r[0]]["role"], "content": join_run([sent[i]["content"] for i in r])} for r in runs]
        joined = {history[r[-1]].id: tuple(history[i].id for i in r[:-1]) for r in runs if len(r) > 1}
        history = [history[r[-1]] for r in runs]
        carried = ""
        if messages and messages[-1]["role"] == "user":   # no reply came: it goes with the new turn
            carried = messages.pop()["content"]
            last = history.pop()
            joined[-1] = (*joined.pop(last.id, ()), last.id)
        turn = compose_turn(text, atts, delimiter=delimiter, show_images=info.vision)
        turn = join_run([carried, turn]) if carried else turn
        count = self.runtime.count_tokens
        image_tokens: list[int] = []
        if images:
            image_tokens = self.runtime.image_tokens([fit_size(a.width or 1, a.height or 1) for a in images])
            count = image_counter(count, image_tokens, self.runtime.count_tokens(MEDIA_MARKER))
        documents = [a for a in atts if a.kind == "document"]
        return _Plan(history, messages, turn, reserve, count, images, image_tokens, image_turn, documents, delimiter,
                     joined, carried)

    def _collections(self, conversation_id: int) -> list[Any]:
        if self.knowledge is None:
            return []
        from engine.knowledge import collections as library
        return library.conversation_collections(self.store.db.conn, conversation_id)

    # --- the reply ------------------------------------------------------------
    def _reply(self, conv: Conversation, user: Message, sampling: Sampling | None,
               cancel: CancelToken | None) -> Iterator[ChatEvent]:
        info = self._info()
        settings = (sampling or Sampling.from_dict(conv.sampling)).resolved()
        if info.template.stop_strings:
            settings = replace(settings, stop=tuple(dict.fromkeys(settings.stop + info.template.stop_strings)))
        atts = self.store.attachments(user.id)
        self._can_see(info, atts)
        delimiter = str(user.record.get("attachments", {}).get("delimiter", ""))
        plan = self._plan(info, self.store.thread(conv.id, user.id)[:-1], user.content, atts, delimiter, settings)
        reserve = plan.reserve
        record = reply_record(info, settings)
        turn = plan.turn
        collections = self._collections(conv.id)
        if collections:
            room = sources_room(defuse(conv.system_prompt), plan.messages, turn, render=render_for(info, settings),
                                count=plan.count, n_ctx=info.n_ctx, reserve=reserve, policy=conv.context_policy,
                                max_tokens=settings.max_tokens, n_ctx_max=info.n_ctx_train)
            found = yield from self._retrieve(conv, user, collections, room, record, turn)
            if found is None:
                yield from self._not_found(conv, user, collections, record)
                return
            turn = found
        try:
            fitted = fit_prompt(
                defuse(conv.system_prompt), plan.messages, {"role": "user", "content": turn},
                render=render_for(info, settings), count=plan.count,
                n_ctx=info.n_ctx, reserve=reserve, policy=conv.context_policy)
        except errors.ContextError as exc:
            self.store.update_message(user.id, status="error", error=exc.full_text())
            raise
        dropped_ids = tuple(x for i in fitted.dropped for x in plan.ids_of(i))
        if dropped_ids:
            yield ContextTrimmed(dropped_ids, fitted.dropped_tokens, fitted.tokens, info.n_ctx)
        record["dropped"] = list(dropped_ids)
        record["prompt"] = fitted.text[-PROMPT_KEPT:]   # what "Show prompt" shows; a longer one loses its start
        if len(fitted.text) > PROMPT_KEPT:
            record["prompt_cut"] = len(fitted.text) - PROMPT_KEPT
        if plan.joined:   # messages sent as one: a reply that never came leaves two user turns in a row
            record["joined"] = {str(k if k != -1 else user.id): list(v) for k, v in plan.joined.items()}
        sent = plan.images_sent(fitted.text)
        rgb = [load_rgb(a) for a in sent]
        if atts or sent:
            record["attachments"] = attachments_record(atts, plan, sent)
        reply = self.store.add_message(conv.id, "assistant", "", parent_id=user.id, status="streaming",
                                       record=record, prompt_tokens=fitted.tokens)
        yield ReplyStarted(reply, fitted.tokens, reserve, info.n_ctx)
        yield from self._stream(reply, fitted.text, settings, info, record, cancel, rgb)

    def _retrieve(self, conv: Conversation, user: Message, collections: list[Any], room: SourcesRoom,
                  record: dict[str, Any], turn: str) -> Iterator[ChatEvent]:
        """Search the collections; returns the user turn with sources, or None when documents-only sent none.
        Relevant passages that do not fit ``room`` are counted in the record (``unfitted``) with the context
        at which they would (``fit_ctx``): "nothing relevant" is not "relevant but too long"."""
        from engine.knowledge import collections as library
        from engine.knowledge.prompting import compose, needed_tokens, source_record
        assert self.knowledge is not None and self.runtime.info is not None
        only = library.documents_only(self.store.db.conn, conv.id)
        hits = self.knowledge.search(collections, user.content, k=8)
        relevant = self.knowledge.relevant(hits, user.content)
        count = self.runtime.count_tokens
        prompt = compose(turn, relevant, documents_only=only, count=count, budget_tokens=room.allowance())
        tokens = count(prompt.text) - count(turn) if prompt.sources else 0
        unfitted = len(relevant) - len(prompt.sources)
        fit_ctx = None
        if unfitted:   # the context at which all of them fit; else the best one alone
            fit_ctx = (room.context_for(needed_tokens(relevant, documents_only=only, count=count))
                       or room.context_for(needed_tokens(relevant[:1], documents_only=only, count=count)))
        record["knowledge"] = {
            "collections": [c.name for c in collections], "documents_only": only, "tokens": tokens,
            "searched": len(hits), "relevant": len(relevant), "unfitted": unfitted, "fit_ctx": fit_ctx,
            "n_ctx": room.n_ctx,
            "min_similarity": self.knowledge.min_similarity,
            "sources": [source_record(n, h) for n, h in enumerate(prompt.sources, 1)],
        }
        yield KnowledgeRetrieved(prompt.sources, tokens, len(hits))
        if only and not prompt.sources:
            return None
        return prompt.text

    def _not_found(self, conv: Conversation, user: Message, collections: list[Any],
                   record: dict[str, Any]) -> Iterator[ChatEvent]:
        """Documents-only and nothing relevant: say so instead of answering from the model's memory."""
        from engine.knowledge.prompting import NOT_FITTED, NOT_FOUND
        names = ", ".join(c.name for c in collections)
        if record["knowledge"]["relevant"]:   # found, but too long for this context: not "nothing found"
            record["knowledge"]["not_fitted"] = True
            record["finish_reason"] = "not_fitted"
            text = NOT_FITTED.format(names=names, n_ctx=record["n_ctx"])
        else:
            record["knowledge"]["not_found"] = True
            record["finish_reason"] = "not_found"
            text = NOT_FOUND.format(names=names)
        reply = self.store.add_message(conv.id, "assistant", "", parent_id=user.id, status="streaming",
                                       record=record, prompt_tokens=0)
        yield ReplyStarted(reply, 0, 0, self.runtime.info.n_ctx if self.runtime.info else 0)
        yield Piece("answer", text)
        self.store.update_message(reply.id, content=text, status="complete", completion_tokens=0)
        yield ReplyFinished(self.store.message(reply.id), {"finish_reason": record["finish_reason"]})

    def _stream(self, reply: Message, prompt: str, settings: Sampling, info: ModelInfo,
                record: dict[str, Any], cancel: CancelToken | None,
                images: list[tuple[int, int, bytes]]) -> Iterator[ChatEvent]:
        splitter = splitter_for(info.template.source, prompt)
        stats: dict[str, Any] = {}
        last_save = time.monotonic()

        def save(**fields: Any) -> None:
            self.store.update_message(reply.id, content=splitter.answer, reasoning=splitter.reasoning, **fields)

        try:
            for kind, text in reply_pieces(self.runtime.generate(prompt, settings, images=images, cancel=cancel),
                                           splitter, stats):
                yield Piece(kind, text)
                now = time.monotonic()
                if now - last_save >= SAVE_INTERVAL_S:
                    save()
                    last_save = now
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
            from engine.knowledge.prompting import cited
            record["knowledge"]["cited"] = cited(splitter.answer, len(record["knowledge"]["sources"]))
        if "remote" in stats:   # who answered, how the prompt was counted, a prompt the server cut
            record["remote"] = stats["remote"]
        save(status="interrupted" if reason == "cancelled" else "complete",
             completion_tokens=stats.get("completion_tokens"), prompt_evaluated=stats.get("prompt_evaluated"),
             ttft_ms=round(stats.get("ttft_seconds", 0.0) * 1000, 1), tokens_per_s=stats.get("tokens_per_s"),
             record={**record, "finish_reason": reason})
        yield ReplyFinished(self.store.message(reply.id), stats)
