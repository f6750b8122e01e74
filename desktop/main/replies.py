"""What happens while a reply is written: start, stream, stop, finish or fail.

``ReplyController`` is owned by the main window: it drives the chat view,
composer (whether Send is possible too), status bar and model thread it is given, and tells the window what
happened by signals. One reply is written at a time (one model, one worker
process); its events carry a generation id, so a late event of an earlier
reply is ignored, and a reply keeps streaming into its own conversation while
another one is shown. Each request carries the settings the panel shows, so a
reply uses exactly those, even when the database thread has not stored them yet.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from PySide6.QtCore import QCoreApplication, QObject, Signal

from engine import (CancelToken, Chat, ContextTrimmed, Conversation, KnowledgeRetrieved, Piece, ReplyFinished,
                    ReplyStarted, Sampling, SummaryProgress, UserSaved, errors)

from desktop.background.engine import EngineThread, Loaded, Loading, ModelWanted, ReplySettings, StreamEvent
from desktop.main.chat_view import ChatView, LiveReply
from desktop.main.composer import Composer
from desktop.main.settings_panel import SettingsPanel
from desktop.main.sources_view import searched_text, summary_progress_text
from desktop.main.status_bar import StatusBar

# Strings here are translated in the main window's context ("MainWindow"): it owns this controller.

Start = Callable[[Chat, CancelToken, Sampling | None], Iterator[object]]


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


class ReplyController(QObject):
    """Sending, regenerating, editing and stopping; the streamed events into the view."""

    user_saved = Signal()                # a user message was stored: the conversation list changed
    model_loaded = Signal(object)        # ModelInfo: the reply loaded a model first
    model_crashed = Signal()             # the model's process died: nothing is loaded now
    finished = Signal()                  # the reply ended: the thread and the list are stale
    failed = Signal(object)              # an error to show

    def __init__(self, *, composer: Composer, chat_view: ChatView, status: StatusBar, settings: SettingsPanel,
                 engine: EngineThread, conversation: Callable[[], Conversation | None],
                 wanted: Callable[[Conversation | None], ModelWanted | None],
                 create_conversation: Callable[[Callable[[Any], None]], None],
                 cannot_see: Callable[[Sequence[Any]], bool],
                 refused: Callable[[BaseException, Sequence[Any]], bool], has_models: Callable[[], bool],
                 parent: QObject | None = None) -> None:
        """``conversation``: the one shown; ``wanted``: the model a conversation uses; ``create_conversation(then)``
        makes and shows a new one; ``cannot_see(attachments)`` and ``refused(exc, attachments)`` tell the user
        why attachments cannot go (and return True when they did)."""
        super().__init__(parent)
        self.composer, self.chat_view, self.status, self.settings = composer, chat_view, status, settings
        self.engine = engine
        self._conversation, self._wanted = conversation, wanted
        self._create_conversation, self._cannot_see, self._refused = create_conversation, cannot_see, refused
        self._has_models = has_models
        self.generation: Generation | None = None
        self._gen_counter = 0

    def send(self, text: str) -> None:
        if self.generation is not None:
            return
        conv = self._conversation()
        if conv is None:
            self._create_conversation(lambda _data: self.send(text))
            return
        attachments = self.composer.attachments()
        if self._cannot_see(attachments):
            return  # told why; the draft and its attachments stay
        conversation_id = conv.id
        self._start(lambda chat, cancel, sampling: chat.send(
            conversation_id, text, attachments=attachments, sampling=sampling, cancel=cancel),
            draft=text, attachments=attachments, sources=self.composer.strip.sources())
        self.composer.accept_sent()

    def summarize(self) -> None:
        """Send the draft with its documents as a section-by-section summary of them (too big to send whole)."""
        conv = self._conversation()
        if self.generation is not None or conv is None:
            return
        text, attachments = self.composer.text(), self.composer.attachments()
        conversation_id = conv.id
        self._start(lambda chat, cancel, sampling: chat.summarize(
            conversation_id, text, attachments=attachments, sampling=sampling, cancel=cancel),
            draft=text, attachments=attachments, sources=self.composer.strip.sources())
        self.composer.accept_sent()

    def regenerate(self, reply_id: int) -> None:
        self._start(lambda chat, cancel, sampling: chat.regenerate(reply_id, sampling=sampling, cancel=cancel))

    def edit(self, message_id: int, text: str) -> None:
        self._start(lambda chat, cancel, sampling: chat.edit(message_id, text, sampling=sampling, cancel=cancel))

    def _settings(self, conv: Conversation) -> ReplySettings | None:
        """What the panel shows for ``conv`` (pending edits included); they are stored too, as usual."""
        fields = self.settings.current(conv.id)
        self.settings.flush()
        return ReplySettings(conv.id, fields) if fields else None

    def _start(self, start: Start, *, draft: str = "", attachments: list[Any] | None = None,
               sources: list[str | None] | None = None) -> None:
        conv = self._conversation()
        if conv is None or self.generation is not None:
            return
        settings = self._settings(conv)
        wanted = self._wanted(replace(conv, **settings.fields) if settings else conv)
        if wanted is None:
            self.failed.emit(errors.NoModelLoaded(
                "No model is installed.", hint="Add a model file (File → Add a model file…), then send again."))
            return
        self._gen_counter += 1
        gen = Generation(self._gen_counter, conv.id, draft=draft, attachments=tuple(attachments or ()),
                         sources=tuple(sources or ()))
        self.generation = gen
        self._set_generating(True)
        sampling = Sampling.from_dict(settings.fields["sampling"]) if settings else None
        self.engine.generate(gen.gen_id, wanted, lambda chat, cancel: start(chat, cancel, sampling), gen.cancel,
                             lambda item: self._on_event(item), self._on_done, self._on_error, settings=settings)

    def stop(self) -> None:
        if self.generation is not None:
            self.generation.cancel.cancel()
            self.status.showMessage(QCoreApplication.translate("MainWindow", "Stopping…"), 2000)

    def _set_generating(self, generating: bool) -> None:
        self.composer.set_generating(generating)
        self.chat_view.set_busy(generating)
        self.update_can_send()

    def update_can_send(self) -> None:
        """Send is possible with a model, and while no reply is being written in another conversation."""
        gen, shown = self.generation, self._conversation()
        if not self._has_models():
            self.composer.set_can_send(False, QCoreApplication.translate("MainWindow", "Add a model first"))
        elif gen is not None and (shown is None or gen.conversation_id != shown.id):
            self.composer.set_can_send(False, QCoreApplication.translate(
                "MainWindow", "A reply is being written in another conversation"))
        else:
            self.composer.set_can_send(True)

    def _on_event(self, item: StreamEvent) -> None:
        gen = self.generation
        if gen is None or item.gen_id != gen.gen_id:
            return
        event = item.event
        shown = self._conversation()
        showing = shown is not None and shown.id == gen.conversation_id
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
            self.user_saved.emit()
        elif isinstance(event, KnowledgeRetrieved):
            if showing:
                self.status.showMessage(searched_text(event.searched, len(event.sources)), 8000)
        elif isinstance(event, ReplyStarted):
            gen.live = LiveReply(gen.conversation_id, event.message)
            if showing:
                self.chat_view.begin_live(gen.live)
        elif isinstance(event, SummaryProgress):
            if showing:
                self.status.showMessage(summary_progress_text(event), 0 if event.stage != "answering" else 5000)
        elif isinstance(event, ContextTrimmed):
            self.status.show_dropped(len(event.dropped_ids))
        elif isinstance(event, ReplyFinished):
            self.status.show_speed(event.message)
        elif isinstance(event, Loading):
            self.status.show_loading(Path(event.path).name)
        elif isinstance(event, Loaded):
            self.model_loaded.emit(event.info)

    def _finish(self, gen_id: int) -> Generation | None:
        gen = self.generation
        if gen is None or gen.gen_id != gen_id:
            return None
        self.generation = None
        self.chat_view.end_live()
        self._set_generating(False)
        self.finished.emit()
        return gen

    def _on_done(self, gen_id: int) -> None:
        self._finish(gen_id)

    def _on_error(self, failure: tuple[int, BaseException]) -> None:
        gen_id, exc = failure
        gen = self._finish(gen_id)
        if gen is None:
            return
        if not gen.user_saved and gen.draft and not self.composer.text():
            self.composer.input.setPlainText(gen.draft)  # nothing was stored: give the text back
        if not gen.user_saved and gen.attachments and not self.composer.attachments():
            self.composer.set_attachments(list(gen.attachments), list(gen.sources))
        if not gen.user_saved and self._refused(exc, gen.attachments):
            return
        if isinstance(exc, errors.ModelCrashed):
            self.model_crashed.emit()
            self.status.show_crashed()
            if gen.live is not None:
                return  # the conversation shows it, with "Reload model"
        self.failed.emit(exc)
