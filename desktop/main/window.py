"""The main window: conversations on the left, the chat in the centre, settings on the right.

It wires the widgets to the two job threads (database and model) and keeps
the little state that belongs to the GUI: which conversation is shown, the
installed models, the loaded model, and the one generation that may be
running. Every engine call happens off the GUI thread; every result comes
back as a queued callback. Replies and attachments are controllers the window
owns (``replies.ReplyController``, ``attachments.AttachmentController``): it
gives them what they drive and listens to their signals.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (QApplication, QMainWindow, QMessageBox, QSplitter, QStackedWidget,
                               QVBoxLayout, QWidget)

from engine import Conversation, ModelInfo, Paths, parse_remote_path
from engine.knowledge.collections import any_collections
from engine.models.files import InstalledModel, ModelScan
from engine.models.installed import installed_models
from engine.models.starter import is_starter
from engine.store.search import terms_of

from desktop import languages as i18n
from desktop.main.attachments import AttachmentController
from desktop.main.chat_view import ChatView, ThreadData, load_thread
from desktop.main.composer import Composer
from desktop.main.conversation_actions import ConversationActions
from desktop.main.conversation_list import ConversationList
from desktop.main.menus import MainMenus
from desktop.main.demo_banner import DemoBanner, StarterAdvice
from desktop.errors_ui import show_error
from desktop.plain import visible
from desktop.prefs import Prefs
from desktop.main.replies import Generation, ReplyController
from desktop.main import model_choice as choice
from desktop.main.remote_models import RemoteChoice, remote_choices
from desktop.main.settings_panel import SettingsPanel
from desktop.main.status_bar import StatusBar
from desktop.background.database import DbThread
from desktop.background.engine import EngineThread, ModelWanted
from desktop.main.welcome import WelcomePage
from desktop.main.window_doors import WindowDoors
from desktop.settings.actions import AppDialogs

if TYPE_CHECKING:
    from desktop.background.knowledge import KnowledgeThread
    from desktop.knowledge.window import KnowledgeWindow
    from desktop.models.manager import ModelManager

log = logging.getLogger(__name__)


class MainWindow(WindowDoors, QMainWindow):
    def __init__(self, *, paths: Paths, prefs: Prefs, db: DbThread, engine: EngineThread) -> None:
        super().__init__()
        self.paths, self.prefs, self.db, self.engine = paths, prefs, db, engine
        self.setObjectName("mainWindow")
        self.conversation: Conversation | None = None
        self.models: list[InstalledModel] = []
        self.remote_models: list[RemoteChoice] = []   # the backends' models (Models → Backends)
        self.info: ModelInfo | None = None
        self._last_error: object = None
        self._models_scanned = False
        self._creating: list[Callable[[ThreadData], None]] | None = None
        self.model_manager: ModelManager | None = None
        self.knowledge_window: KnowledgeWindow | None = None
        self._knowledge: KnowledgeThread | None = None
        self._threads_stopped = False

        self.conversations = ConversationList()
        self.chat_view = ChatView()
        self.composer = Composer()
        self.settings = SettingsPanel(db=db)
        self.settings.setObjectName("settingsPanel")
        self.welcome = WelcomePage(str(paths.models))
        chat_page = QWidget()
        chat_layout = QVBoxLayout(chat_page)
        chat_layout.setContentsMargins(0, 0, 0, 0)
        chat_layout.setSpacing(0)
        self.demo_banner = DemoBanner()
        chat_layout.addWidget(self.demo_banner)
        chat_layout.addWidget(self.chat_view, 1)
        chat_layout.addWidget(self.composer)
        self.pages = QStackedWidget()
        self.pages.addWidget(chat_page)
        self.pages.addWidget(self.welcome)
        self.chat_page = chat_page
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.conversations)
        self.splitter.addWidget(self.pages)
        self.splitter.addWidget(self.settings)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([240, 640, 300])
        self.setCentralWidget(self.splitter)
        self.status = StatusBar()
        self.setStatusBar(self.status)

        self.replies = ReplyController(
            composer=self.composer, chat_view=self.chat_view, status=self.status, settings=self.settings,
            engine=engine, conversation=lambda: self.conversation, wanted=self._wanted,
            create_conversation=self._create_conversation, cannot_see=lambda a: self.attachments.cannot_see(a),
            refused=lambda exc, a: self.attachments.send_refused(exc, a), has_models=self.has_models,
            parent=self)
        self.attachments = AttachmentController(
            window=self, composer=self.composer, drop_target=self.chat_view.viewport(), status=self.status,
            settings=self.settings, db=db, conversation_id=lambda: self.conversation.id if self.conversation else None,
            model=lambda: (self._wanted(self.conversation), self.info), show_error=self.show_error,
            knowledge_thread=lambda: self.knowledge_thread(), open_knowledge=lambda: self.open_knowledge(),
            open_model_manager=lambda: self.open_model_manager())
        self.conversation_actions = ConversationActions(
            window=self, conversations=self.conversations, db=db, status=self.status, settings=self.settings,
            prefs=prefs, show_error=self.show_error,
            replying_in=lambda i: self.generation is not None and self.generation.conversation_id == i)
        self._build_actions()
        self._connect()
        self._restore_state()
        self.retranslate()
        self.refresh_conversations(open_id=self.prefs.last_conversation, starting=True)
        self.rescan_models()

    # --- construction ----------------------------------------------------------------------
    def _build_actions(self) -> None:
        m, a = MainMenus(self, self.prefs.language), self.conversation_actions
        self.menus = m
        for action, slot in ((m.new, self.new_conversation), (m.add_model, self.add_model_file),
                             (m.models_folder, self.open_models_folder), (m.manager, self.open_model_manager),
                             (m.knowledge, self.open_knowledge), (m.attach, self.attachments.choose_attachments),
                             (m.export, lambda: a.export(self.conversation)), (m.quit, self.close),
                             (m.defaults, lambda: a.use_as_defaults(self.conversation))):
            action.triggered.connect(lambda _checked=False, slot=slot: slot())
        m.panel.toggled.connect(lambda on: self.settings.setVisible(on and self.has_models()))
        m.language_chosen.connect(self.set_language)
        self.app_dialogs = AppDialogs(window=self, settings=m.preferences, about=m.about, paths=self.paths,
                                      prefs=self.prefs, db=self.db, engine=self.engine, models=lambda: self.models,
                                      model_info=lambda: self.info, set_language=self.set_language)
        self.app_dialogs.api.running.connect(self.status.show_api)   # the local API server's indicator
        self.app_dialogs.api.failed.connect(lambda text: self.status.showMessage(text, 20000))
        self.app_dialogs.api.resume()   # serving again when it was on when Hearth last quit
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self.conversations.focus_search)
        QShortcut(QKeySequence("Ctrl+L"), self, activated=self.composer.input.setFocus)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.replies.stop)

    def _connect(self) -> None:
        c = self.conversations
        c.new_requested.connect(self.new_conversation)
        c.selected.connect(self.open_conversation)
        c.message_selected.connect(self.open_message)
        a = self.conversation_actions
        c.rename_requested.connect(a.rename)
        c.delete_requested.connect(a.delete)
        c.undo_delete.connect(a.restore)
        c.search_changed.connect(a.search)
        a.renamed.connect(self._renamed)
        a.deleted.connect(self._deleted)
        a.restored.connect(self._restored)
        a.list_changed.connect(lambda: self.refresh_conversations())
        r = self.replies
        self.composer.send.connect(r.send)
        self.composer.stop.connect(r.stop)
        self.composer.draft_changed.connect(self.refresh_budget)
        self.chat_view.regenerate.connect(r.regenerate)
        self.chat_view.edit_submitted.connect(r.edit)
        r.user_saved.connect(lambda: self.refresh_conversations())
        r.model_loaded.connect(self._loaded)
        r.model_crashed.connect(lambda: setattr(self, "info", None))
        r.finished.connect(lambda: (self.reload_thread(), self.refresh_conversations()))
        r.failed.connect(self.show_error)
        self.attachments.collections_changed.connect(lambda: self.refresh_budget())
        self.attachments.summary_wanted.connect(r.summarize)
        self.attachments.resend_wanted.connect(   # the document is in a knowledge base now: ask again
            lambda cid: self.conversation is not None and self.conversation.id == cid and self.composer.submit())
        self.chat_view.sibling_selected.connect(self.show_sibling)
        self.chat_view.reload_model.connect(self.reload_model)
        self.chat_view.raise_context.connect(   # a sources notice's one click: that context, then the reply again
            lambda reply, n: self.generation or (self.settings.context_slider.setValue(n), r.regenerate(reply)))
        self.settings.changed.connect(self.update_settings)
        self.settings.knowledge_changed.connect(self.refresh_budget)
        self.welcome.add_model_file.connect(self.add_model_file)
        self.welcome.open_models_folder.connect(self.open_models_folder)
        self.welcome.rescan.connect(self.rescan_models)
        self.welcome.find_models.connect(self.open_model_manager)
        self.demo_banner.find_models.connect(self.open_model_manager)
        self.starter_advice = StarterAdvice(self.demo_banner, self.db.submit, self.open_model_manager)
        self.composer.send.connect(self.starter_advice.message_sent)
        # Collections resume an interrupted indexing run and are watched while the app runs: start
        # their thread soon after the window is up, but only when there are collections at all.
        QTimer.singleShot(1000, self, self._start_knowledge_if_used)

    def _start_knowledge_if_used(self) -> None:
        def start(used: bool) -> None:
            if used and not self._threads_stopped:
                self.knowledge_thread()
        if not self._threads_stopped:
            self.db.submit(lambda store: any_collections(store.conn), start, self.show_error)

    def _restore_state(self) -> None:
        geometry = self.prefs.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1180, 760)
        splitter = self.prefs.splitter()
        if splitter is not None:
            self.splitter.restoreState(splitter)
        visible = self.prefs.settings_panel_visible
        self.settings.setVisible(visible)
        self.menus.panel.setChecked(visible)

    # --- small helpers ------------------------------------------------------------------------
    def _db(self, work: Callable[[Any], Any], then: Callable[[Any], None] | None = None) -> None:
        self.db.submit(work, then, self.show_error)

    def show_error(self, exc: object) -> QMessageBox | None:
        self._last_error = exc
        return show_error(self, exc) if isinstance(exc, BaseException) else None

    @property
    def generation(self) -> Generation | None:
        """The reply being written, if any."""
        return self.replies.generation

    def _wanted(self, conv: Conversation | None) -> ModelWanted | None:
        """What a conversation's next reply runs at (for none, a new chat's): the model and context the panel shows."""
        return choice.wanted(conv, self.models, self.prefs, shown=self.conversation, loaded=self.info,
                             scanned=self._models_scanned,
                             remote=self.remote_models[0].path if self.remote_models else None)

    def _bound(self, conv: Conversation) -> Conversation:
        """``conv``, storing the model and context that answer it when it names none."""
        conv, fields = choice.bound(conv, self._wanted(conv))
        if fields:
            self._db(lambda store, i=conv.id: store.update_conversation(i, **fields))
        return conv

    # --- models ----------------------------------------------------------------------------------
    def rescan_models(self) -> None:
        folder = self.paths.models
        self.db.submit(lambda store: (installed_models(store, folder), remote_choices(store)),
                       self._models_scanned_cb, self.show_error)

    def _models_scanned_cb(self, found: tuple[ModelScan, list[RemoteChoice]]) -> None:
        result, self.remote_models = found
        self.models = list(result.models)
        self._models_scanned = True
        self.settings.set_models(self.models, self.remote_models)
        for path, reason in result.skipped:
            log.warning("skipped model file %s: %s", path, reason)
        self.pages.setCurrentWidget(self.welcome if not self.has_models() else self.chat_page)
        self.settings.setVisible(self.has_models() and self.menus.panel.isChecked())
        self.replies.update_can_send()
        if self.conversation is not None:
            self.conversation = self._bound(self.conversation)
            self.settings.show_conversation(self.conversation)
        if self.has_models():
            self._preload(self.conversation)

    def backends_changed(self) -> None:
        """A backend was added, edited or removed: list the models again, and bind a loaded remote model
        afresh (its address, key or context may have changed)."""
        self.rescan_models()
        if self.info is not None and parse_remote_path(self.info.path) is not None:
            self._preload(self.conversation, force=True)

    def has_models(self) -> bool:
        """Whether any model can answer: an installed one or a backend's."""
        return bool(self.models or self.remote_models)

    def stop_threads(self) -> None:
        """The window's own threads (the app stops the database and model threads)."""
        self._threads_stopped = True
        self.attachments.stop()
        self.app_dialogs.api.shutdown()   # the local API server: its port freed, its model process ended
        if self._knowledge is not None:
            self._knowledge.stop()

    def _preload(self, conv: Conversation | None, *, force: bool = False) -> None:
        """Load the conversation's model (``force``: again) in the background, so the first reply starts at once."""
        wanted = self._wanted(conv)
        if wanted is None or self.generation is not None:
            return
        if wanted.is_loaded(self.info) and not force:
            return self.refresh_budget()
        self.status.show_loading(Path(wanted.path).name)   # with a busy bar: a context change reloads too
        self.engine.load(wanted, self._loaded, self._load_failed, force=force)

    def _loaded(self, info: ModelInfo) -> None:
        self.info = info
        if parse_remote_path(info.path) is not None:   # the server said its context: the slider's limit
            self.remote_models = [replace(r, context_window=r.context_window or info.n_ctx_train)
                                  if r.path == info.path else r for r in self.remote_models]
            self.settings.set_models(self.models, self.remote_models)
        self.starter_advice.starter_shown(is_starter(info.path))
        self.status.show_model(info)
        self.chat_view.set_model_name(info.name)
        if self.model_manager is not None:
            self.model_manager.set_loaded(info.path)   # its list marks the model loaded now
        self.db.submit(lambda _store: info.template.thinking_default,  # renders the template: off the GUI thread
                       lambda d: self.settings.set_thinking_available(d is not None, bool(d)), log.info)
        self.refresh_budget()

    def _load_failed(self, exc: object) -> None:
        self.status.show_model(None)
        self.show_error(exc)

    def reload_model(self) -> None:
        if self.conversation is not None:
            self._preload(self.conversation, force=True)

    # --- conversations ----------------------------------------------------------------------------
    def refresh_conversations(self, *, open_id: int | None = None, starting: bool = False) -> None:
        def done(conversations: list[Conversation]) -> None:
            if self.conversations.search_box.text().strip():
                return  # search results stay until the search is cleared
            current = self.conversation.id if self.conversation else open_id
            self.conversations.set_conversations(conversations, current)
            if self.conversation is not None or not starting:
                return
            if open_id is not None and any(c.id == open_id for c in conversations):
                self.open_conversation(open_id)
            elif conversations:
                self.open_conversation(conversations[0].id)
            else:
                self._create_conversation(lambda _data: None)  # first run: a fresh chat, ready to type in
        self._db(lambda store: store.conversations(), done)

    def open_conversation(self, conversation_id: int) -> None:
        self.settings.flush()  # pending edits belong to the conversation shown until now
        self._db(lambda store: load_thread(store, conversation_id), self._show_thread)

    def open_message(self, conversation_id: int, message_id: int) -> None:
        """A search hit: show the branch that holds the message."""
        def work(store: Any) -> ThreadData:
            if message_id not in {m.id for m in store.thread(conversation_id)}:
                store.update_conversation(conversation_id, current_leaf_id=store.leaf_of(message_id))
            return load_thread(store, conversation_id)

        def done(data: ThreadData) -> None:
            self._show_thread(data)
            self.chat_view.scroll_to_message(message_id, terms_of(self.conversations.search_box.text()))
        self._db(work, done)

    def _show_thread(self, data: ThreadData) -> None:
        previous = self.conversation.id if self.conversation else None
        self.conversation = self._bound(data.conversation)
        self.settings.setEnabled(True)
        gen = self.generation
        self.chat_view.show_thread(data, live=gen.live if gen else None)
        if previous != data.conversation.id:
            self.settings.show_conversation(self.conversation)
            self.conversations.select(data.conversation.id)
            self._preload(self.conversation)
        self.setWindowTitle(self._title())
        self.replies.update_can_send()
        self.refresh_budget()

    def reload_thread(self) -> None:
        if self.conversation is not None:
            self.open_conversation(self.conversation.id)

    def new_conversation(self) -> None:
        if self.conversation is not None and not self.chat_view.widgets() and self.generation is None:
            self.composer.input.setFocus()  # the current chat is still empty: use it
            return
        self._create_conversation(lambda _data: self.composer.input.setFocus())

    def _create_conversation(self, then: Callable[[ThreadData], None]) -> None:
        """A new conversation with the preferred defaults, shown, then ``then(data)``.

        While one is being created, another request waits for it instead of making a second."""
        if self._creating is not None:
            self._creating.append(then)
            return
        self._creating = [then]
        self.settings.flush()
        wanted = self._wanted(None)
        prefs = self.prefs

        def work(store: Any) -> ThreadData:
            conv = store.create_conversation(model_path=wanted.path if wanted else None,
                                             system_prompt=prefs.default_system_prompt, sampling=prefs.default_sampling,
                                             ctx_size=wanted.n_ctx if wanted else prefs.default_ctx_size)
            return load_thread(store, conv.id)

        def done(data: ThreadData) -> None:
            waiting, self._creating = self._creating or [], None
            self.conversation_actions.clear_search()
            self._show_thread(data)
            self.refresh_conversations()
            for callback in waiting:
                callback(data)

        def failed(exc: object) -> None:
            self._creating = None
            self.show_error(exc)
        self.db.submit(work, done, failed)

    def _renamed(self, conv: Conversation) -> None:
        if self.conversation and self.conversation.id == conv.id:
            self.conversation = conv
            self.setWindowTitle(self._title())

    def _deleted(self, conversation_id: int) -> None:
        if self.conversation and self.conversation.id == conversation_id:
            self.conversation = None
            self.chat_view.clear()
            self.settings.setEnabled(False)
        self.refresh_conversations()

    def _restored(self, conversation_id: int) -> None:
        self.settings.setEnabled(True)
        self.refresh_conversations()
        self.open_conversation(conversation_id)

    def update_settings(self, fields: dict[str, Any]) -> None:
        if self.conversation is None:
            return
        conversation_id = self.conversation.id

        def done(conv: Conversation) -> None:
            if self.conversation and self.conversation.id == conv.id:
                self.conversation = conv
                self.settings.show_stored(conv)   # a change made elsewhere than in the panel is shown there
                if "model_path" in fields or "ctx_size" in fields:
                    self._preload(conv)
                else:
                    self.refresh_budget()
        self._db(lambda store: store.update_conversation(conversation_id, **fields), done)

    def show_sibling(self, message_id: int) -> None:
        if self.conversation is None or self.generation is not None:
            return
        conversation_id = self.conversation.id

        def work(store: Any) -> ThreadData:
            store.update_conversation(conversation_id, current_leaf_id=store.leaf_of(message_id))
            return load_thread(store, conversation_id)
        self._db(work, self._show_thread)

    # --- context meter ------------------------------------------------------------------------------
    def refresh_budget(self, draft: str | None = None) -> None:
        conv, meter, attachments = self.conversation, self.composer.meter, self.composer.attachments()
        if conv is None or self.info is None:
            return meter.set_budget(None)
        text, conversation_id = self.composer.text() if draft is None else draft, conv.id
        self.engine.budget(lambda chat: chat.budget(conversation_id, text, attachments=attachments),
                           lambda budget: meter.set_budget(budget) if self.conversation  # still the one shown
                           and self.conversation.id == conversation_id else None)

    # --- language and window state -----------------------------------------------------------------------
    def set_language(self, code: str) -> None:
        self.prefs.language = code
        i18n.install(QApplication.instance(), code)  # type: ignore[arg-type]
        self.menus.check_language(code)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _title(self) -> str:
        if self.conversation is not None and self.conversation.title:
            return f"{visible(self.conversation.title)} — Hearth"
        return "Hearth"

    def retranslate(self) -> None:
        self.menus.retranslate()
        self.setWindowTitle(self._title())
        self.status.retranslate()
        self.settings.retranslate()
        self.replies.update_can_send()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.settings.flush()
        self.prefs.set_geometry(self.saveGeometry())
        self.prefs.set_splitter(self.splitter.saveState())
        self.prefs.settings_panel_visible = self.menus.panel.isChecked()
        self.prefs.last_conversation = self.conversation.id if self.conversation else None
        self.prefs.sync()
        if self.generation is not None:
            self.generation.cancel.cancel()  # the partial reply is saved as interrupted
        if self.model_manager is not None:
            self.model_manager.shutdown()  # downloads pause; their parts are kept for a resume
        super().closeEvent(event)
