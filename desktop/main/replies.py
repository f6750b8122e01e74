"""What happens while a reply is written: start, stream, stop, finish or fail.

A mixin of the main window: it uses the window's chat view, composer,
status bar and job threads. One reply is written at a time (one model, one
worker process); its events carry a generation id, so a late event of an
earlier reply is ignored, and a reply keeps streaming into its own
conversation while another one is shown.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from PySide6.QtCore import QCoreApplication

from engine import (CancelToken, Chat, ContextTrimmed, KnowledgeRetrieved, Piece, ReplyFinished, ReplyStarted,
                    UserSaved, errors)

from desktop.main.chat_view import LiveReply
from desktop.main.sources_view import searched_text
from desktop.background.engine import Loaded, Loading, StreamEvent

# Strings here are translated in the main window's context ("MainWindow"): this is its mixin.

if TYPE_CHECKING:
    from desktop.main.window import MainWindow


@dataclass
class Generation:
    """The reply being written (one at a time: one model, one worker)."""

    gen_id: int
    conversation_id: int
    cancel: CancelToken = field(default_factory=CancelToken)
    live: LiveReply | None = None
    user_saved: bool = False
    draft: str = ""
    attachments: tuple[Any, ...] = ()          # engine.chat.attachments.Attachment, sent with the draft
    sources: tuple[str | None, ...] = ()       # the files they came from (to give the chips back)


class RepliesMixin:
    """Sending, regenerating, editing and stopping, for ``MainWindow``."""

    def send(self: "MainWindow", text: str) -> None:
        if self.generation is not None:
            return
        if self.conversation is None:
            self._create_conversation(lambda _data: self.send(text))
            return
        attachments = self.composer.attachments()
        if self.cannot_see(attachments):
            return  # told why; the draft and its attachments stay
        conversation_id = self.conversation.id
        self.settings.flush()
        self._start(lambda chat, cancel: chat.send(conversation_id, text, attachments=attachments, cancel=cancel),
                    draft=text, attachments=attachments, sources=self.composer.strip.sources())
        self.composer.accept_sent()

    def regenerate(self: "MainWindow", reply_id: int) -> None:
        self._start(lambda chat, cancel: chat.regenerate(reply_id, cancel=cancel))

    def edit(self: "MainWindow", message_id: int, text: str) -> None:
        self._start(lambda chat, cancel: chat.edit(message_id, text, cancel=cancel))

    def _start(self: "MainWindow", start: Callable[[Chat, CancelToken], Iterator[object]], *, draft: str = "",
               attachments: list[Any] | None = None, sources: list[str | None] | None = None) -> None:
        conv = self.conversation
        if conv is None or self.generation is not None:
            return
        wanted = self._wanted(conv)
        if wanted is None:
            self.show_error(errors.NoModelLoaded(
                "No model is installed.", hint="Add a model file (File → Add a model file…), then send again."))
            return
        self._gen_counter += 1
        gen = Generation(self._gen_counter, conv.id, draft=draft, attachments=tuple(attachments or ()),
                         sources=tuple(sources or ()))
        self.generation = gen
        self._set_generating(True)
        self.engine.generate(gen.gen_id, wanted, start, gen.cancel, self._on_event, self._on_done, self._on_error)

    def stop(self: "MainWindow") -> None:
        if self.generation is not None:
            self.generation.cancel.cancel()
            self.status.showMessage(QCoreApplication.translate("MainWindow", "Stopping…"), 2000)

    def _set_generating(self: "MainWindow", generating: bool) -> None:
        self.composer.set_generating(generating)
        self.chat_view.set_busy(generating)
        self._update_can_send()

    def _update_can_send(self: "MainWindow") -> None:
        gen = self.generation
        if not self.models:
            self.composer.set_can_send(False, QCoreApplication.translate("MainWindow", "Add a model first"))
        elif gen is not None and (self.conversation is None or gen.conversation_id != self.conversation.id):
            self.composer.set_can_send(False, QCoreApplication.translate("MainWindow", "A reply is being written in another conversation"))
        else:
            self.composer.set_can_send(True)

    def _on_event(self: "MainWindow", item: StreamEvent) -> None:
        gen = self.generation
        if gen is None or item.gen_id != gen.gen_id:
            return
        event = item.event
        showing = self.conversation is not None and self.conversation.id == gen.conversation_id
        if isinstance(event, Piece) and gen.live is not None:
            if event.kind == "reasoning":
                gen.live.reasoning += event.text
            else:
                gen.live.answer += event.text
            if showing:
                self.chat_view.live_changed()
        elif isinstance(event, UserSaved):
            gen.user_saved = True
            if showing:
                self.chat_view.add_message(event.message, attachments=event.attachments)
                if self.settings.uses_knowledge():
                    searching = QCoreApplication.translate("MainWindow", "Searching your documents…")
                    self.status.showMessage(searching, 30000)
            self.refresh_conversations()
        elif isinstance(event, KnowledgeRetrieved):
            if showing:
                self.status.showMessage(searched_text(event.searched, len(event.sources)), 8000)
        elif isinstance(event, ReplyStarted):
            gen.live = LiveReply(gen.conversation_id, event.message)
            if showing:
                self.chat_view.begin_live(gen.live)
        elif isinstance(event, ContextTrimmed):
            self.status.show_dropped(len(event.dropped_ids))
        elif isinstance(event, ReplyFinished):
            self.status.show_speed(event.message)
        elif isinstance(event, Loading):
            self.status.show_loading(Path(event.path).name)
        elif isinstance(event, Loaded):
            self._loaded(event.info)

    def _finish(self: "MainWindow", gen_id: int) -> Generation | None:
        gen = self.generation
        if gen is None or gen.gen_id != gen_id:
            return None
        self.generation = None
        self.chat_view.end_live()
        self._set_generating(False)
        self.reload_thread()
        self.refresh_conversations()
        return gen

    def _on_done(self: "MainWindow", gen_id: int) -> None:
        self._finish(gen_id)

    def _on_error(self: "MainWindow", failure: tuple[int, BaseException]) -> None:
        gen_id, exc = failure
        gen = self._finish(gen_id)
        if gen is None:
            return
        if not gen.user_saved and gen.draft and not self.composer.text():
            self.composer.input.setPlainText(gen.draft)  # nothing was stored: give the text back
        if not gen.user_saved and gen.attachments and not self.composer.attachments():
            self.composer.set_attachments(list(gen.attachments), list(gen.sources))
        if not gen.user_saved and self.send_refused(exc, gen.attachments):
            return
        if isinstance(exc, errors.ModelCrashed):
            self.info = None
            self.status.show_crashed()
            if gen.live is not None:
                return  # the conversation shows it, with "Reload model"
        self.show_error(exc)
