"""The main window: conversations on the left, the chat in the centre, settings on the right.

It wires the widgets to the two job threads (database and model) and keeps
the little state that belongs to the GUI: which conversation is shown, the
installed models, the loaded model, and the one generation that may be
running. Every engine call happens off the GUI thread; every result comes
back as a queued callback.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QEvent, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (QApplication, QFileDialog, QMainWindow, QMessageBox, QSplitter, QStackedWidget,
                               QVBoxLayout, QWidget)

from engine import Conversation, ModelInfo, Paths, Sampling
from engine.models.files import InstalledModel, ModelScan
from engine.models.installed import import_model, installed_models
from engine.models.starter import is_starter

from desktop import languages as i18n
from desktop.main.attachments import AttachmentsMixin
from desktop.main.chat_view import ChatView, ThreadData, load_thread
from desktop.main.composer import Composer
from desktop.main.conversation_list import ConversationList
from desktop.main.demo_banner import DemoBanner, recommendation_text
from desktop.errors_ui import show_error
from desktop.prefs import Prefs
from desktop.main.replies import Generation, RepliesMixin
from desktop.main.settings_panel import SettingsPanel
from desktop.main.status_bar import StatusBar
from desktop.background.database import DbThread
from desktop.background.engine import EngineThread, ModelWanted
from desktop.main.welcome import WelcomePage

if TYPE_CHECKING:
    from desktop.background.knowledge import KnowledgeThread
    from desktop.knowledge.window import KnowledgeWindow
    from desktop.models.manager import ModelManager

log = logging.getLogger(__name__)


class MainWindow(AttachmentsMixin, RepliesMixin, QMainWindow):
    def __init__(self, *, paths: Paths, prefs: Prefs, db: DbThread, engine: EngineThread) -> None:
        super().__init__()
        self.paths, self.prefs, self.db, self.engine = paths, prefs, db, engine
        self.setObjectName("mainWindow")
        self.conversation: Conversation | None = None
        self.models: list[InstalledModel] = []
        self.info: ModelInfo | None = None
        self.generation: Generation | None = None
        self._gen_counter = 0
        self._last_error: object = None
        self._models_scanned = False
        self._creating: list[Callable[[ThreadData], None]] | None = None
        self.model_manager: ModelManager | None = None
        self.knowledge_window: KnowledgeWindow | None = None
        self._knowledge: KnowledgeThread | None = None
        self._recommended = False
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

        self._build_actions()
        self._connect()
        self._setup_attachments()
        self._restore_state()
        self.retranslate()
        self.refresh_conversations(open_id=self.prefs.last_conversation, starting=True)
        self.rescan_models()

    # --- construction ----------------------------------------------------------------------
    def _build_actions(self) -> None:
        self.menu_file = self.menuBar().addMenu("")
        self.menu_view = self.menuBar().addMenu("")
        self.menu_language = self.menu_view.addMenu("")
        self.act_new = QAction(self, shortcut=QKeySequence.StandardKey.New, triggered=self.new_conversation)
        self.act_add_model = QAction(self, triggered=self.add_model_file)
        self.act_models_folder = QAction(self, triggered=self.open_models_folder)
        self.act_manager = QAction(self, shortcut=QKeySequence("Ctrl+M"), triggered=self.open_model_manager)
        self.act_knowledge = QAction(self, shortcut=QKeySequence("Ctrl+K"), triggered=self.open_knowledge)
        self.act_attach = QAction(self, triggered=self.choose_attachments)
        self.act_export = QAction(self, triggered=self.export_conversation)
        self.act_quit = QAction(self, shortcut=QKeySequence.StandardKey.Quit, triggered=self.close)
        for action in (self.act_new, self.act_attach, self.act_manager, self.act_knowledge, self.act_add_model,
                       self.act_models_folder, self.act_export):
            self.menu_file.addAction(action)
        self.menu_file.addSeparator()
        self.menu_file.addAction(self.act_quit)
        self.act_panel = QAction(self, checkable=True, shortcut=QKeySequence("Ctrl+Shift+S"))
        self.act_panel.toggled.connect(lambda on: self.settings.setVisible(on and bool(self.models)))
        self.act_defaults = QAction(self, triggered=self.use_as_defaults)
        self.menu_view.addAction(self.act_panel)
        self.menu_view.addAction(self.act_defaults)
        self.language_group = QActionGroup(self)
        self.language_actions: dict[str, QAction] = {}
        for code in ("", *i18n.LANGUAGES):
            action = QAction(self, checkable=True)
            action.setData(code)
            action.triggered.connect(lambda _checked=False, c=code: self.set_language(c))
            self.language_group.addAction(action)
            self.menu_language.addAction(action)
            self.language_actions[code] = action
        self.language_actions.get(self.prefs.language, self.language_actions[""]).setChecked(True)
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self._focus_search)
        QShortcut(QKeySequence("Ctrl+L"), self, activated=self.composer.input.setFocus)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.stop)

    def _connect(self) -> None:
        c = self.conversations
        c.new_requested.connect(self.new_conversation)
        c.selected.connect(self.open_conversation)
        c.message_selected.connect(self.open_message)
        c.rename_requested.connect(self.rename_conversation)
        c.delete_requested.connect(self.delete_conversation)
        c.undo_delete.connect(self.restore_conversation)
        c.search_changed.connect(self.search)
        self.composer.send.connect(self.send)
        self.composer.stop.connect(self.stop)
        self.composer.draft_changed.connect(self.refresh_budget)
        self.chat_view.regenerate.connect(self.regenerate)
        self.chat_view.edit_submitted.connect(self.edit)
        self.chat_view.sibling_selected.connect(self.show_sibling)
        self.chat_view.reload_model.connect(self.reload_model)
        self.settings.changed.connect(self.update_settings)
        self.settings.knowledge_changed.connect(self.refresh_budget)
        self.welcome.add_model_file.connect(self.add_model_file)
        self.welcome.open_models_folder.connect(self.open_models_folder)
        self.welcome.rescan.connect(self.rescan_models)
        self.welcome.find_models.connect(self.open_model_manager)
        self.demo_banner.find_models.connect(self.open_model_manager)
        # Collections resume an interrupted indexing run and are watched while the app runs: start
        # their thread soon after the window is up, but only when there are collections at all.
        QTimer.singleShot(1000, self, self._start_knowledge_if_used)

    def _start_knowledge_if_used(self) -> None:
        def count(store: Any) -> int:
            return store.db.conn.execute("SELECT count(*) FROM kb_collections").fetchone()[0]

        def start(n: int) -> None:
            if n and not self._threads_stopped:
                self.knowledge_thread()
        if not self._threads_stopped:
            self.db.submit(count, start, self.show_error)

    def _restore_state(self) -> None:
        geometry = self.prefs.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1180, 760)
        splitter = self.prefs.splitter()
        if splitter is not None:
            self.splitter.restoreState(splitter)
        visible = self.prefs.settings_panel_visible
        self.settings.setVisible(visible)
        self.act_panel.setChecked(visible)

    def _focus_search(self) -> None:
        self.conversations.search_box.setFocus()
        self.conversations.search_box.selectAll()

    # --- small helpers ------------------------------------------------------------------------
    def _db(self, work: Callable[[Any], Any], then: Callable[[Any], None] | None = None) -> None:
        self.db.submit(work, then, self.show_error)

    def show_error(self, exc: object) -> QMessageBox | None:
        self._last_error = exc
        return show_error(self, exc) if isinstance(exc, BaseException) else None

    def _wanted(self, conv: Conversation | None) -> ModelWanted | None:
        """The model (and context size) a conversation uses; for none, what a new chat would use."""
        path = (conv.model_path if conv else None) or self.prefs.default_model
        if not path and self.models:
            path = str(self.models[0].path)
        n_ctx = conv.ctx_size if conv else self.prefs.default_ctx_size
        return ModelWanted(path, n_ctx) if path else None

    # --- models ----------------------------------------------------------------------------------
    def rescan_models(self) -> None:
        folder = self.paths.models
        self.db.submit(lambda store: installed_models(store, folder), self._models_scanned_cb, self.show_error)

    def _models_scanned_cb(self, result: ModelScan) -> None:
        self.models = list(result.models)
        self._models_scanned = True
        self.settings.set_models(self.models)
        for path, reason in result.skipped:
            log.warning("skipped model file %s: %s", path, reason)
        self.pages.setCurrentWidget(self.welcome if not self.models else self.chat_page)
        self.settings.setVisible(bool(self.models) and self.act_panel.isChecked())
        self._update_can_send()
        if self.conversation is not None:
            self.settings.show_conversation(self.conversation)
        if self.models:
            self._preload(self.conversation)

    def add_model_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Add a model file"), str(Path.home()),
                                              self.tr("GGUF models (*.gguf)"))
        if path:
            self.add_model_path(path)

    def add_model_path(self, path: str) -> None:
        """Import a .gguf by reference; a bad file is refused with its reason."""
        def added(model: InstalledModel) -> None:
            if not self.prefs.default_model:
                self.prefs.default_model = str(model.path)
            self.rescan_models()
        self.db.submit(lambda store: import_model(store, path), added, self.show_error)

    def open_model_manager(self) -> "ModelManager":
        """The model manager window (created on first use: it starts its own network threads)."""
        if self.model_manager is None:
            from desktop.models.manager import ModelManager
            self.model_manager = ModelManager(paths=self.paths, db=self.db, parent=self,
                                              n_ctx=self.prefs.default_ctx_size or 4096)
            self.model_manager.models_changed.connect(self.rescan_models)
        self.model_manager.show()
        self.model_manager.raise_()
        return self.model_manager

    def knowledge_thread(self) -> "KnowledgeThread":
        """The knowledge base's thread (started on first use: it has its own worker process)."""
        if self._knowledge is None:
            from desktop.background.knowledge import KnowledgeThread
            self._knowledge = KnowledgeThread(self.paths.database, embedder=self.engine.embedder, after=self.db.ready)
            self._knowledge.events.statuses.connect(lambda _statuses: self.settings.refresh_collections())
        return self._knowledge

    def open_knowledge(self) -> "KnowledgeWindow":
        """The knowledge window (File → Knowledge…), raised."""
        from desktop.knowledge.window import open_knowledge
        self.knowledge_window = open_knowledge(self, self.knowledge_thread(), self.knowledge_window)
        return self.knowledge_window

    def stop_threads(self) -> None:
        """The window's own threads (the app stops the database and model threads)."""
        self._threads_stopped = True
        self.stop_attachments()
        if self._knowledge is not None:
            self._knowledge.stop()

    def open_models_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.paths.models)))

    def _preload(self, conv: Conversation | None) -> None:
        """Load the conversation's model in the background, so the first reply starts at once."""
        wanted = self._wanted(conv)
        if wanted is None or self.generation is not None:
            return
        if wanted.is_loaded(self.info):
            self.refresh_budget()
            return
        self.status.show_loading(Path(wanted.path).name)
        self.engine.load(wanted, self._loaded, self._load_failed)

    def _loaded(self, info: ModelInfo) -> None:
        self.info = info
        self.demo_banner.setVisible(is_starter(info.path))
        if self.demo_banner.isVisible() and not self._recommended:
            self._recommended = True
            self.db.submit(lambda _store: recommendation_text(), self.demo_banner.set_recommendation, log.info)
        self.status.show_model(info)
        self.chat_view.set_model_name(info.name)
        self.refresh_budget()

    def _load_failed(self, exc: object) -> None:
        self.status.show_model(None)
        self.show_error(exc)

    def reload_model(self) -> None:
        if self.conversation is None or self.generation is not None:
            return
        wanted = self._wanted(self.conversation)
        if wanted is not None:
            self.status.show_loading(Path(wanted.path).name)
            self.engine.load(wanted, self._loaded, self._load_failed, force=True)

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
            self.chat_view.scroll_to_message(message_id)
        self._db(work, done)

    def _show_thread(self, data: ThreadData) -> None:
        previous = self.conversation.id if self.conversation else None
        self.conversation = data.conversation
        self.settings.setEnabled(True)
        gen = self.generation
        self.chat_view.show_thread(data, live=gen.live if gen else None)
        if previous != data.conversation.id:
            self.settings.show_conversation(data.conversation)
            self.conversations.select(data.conversation.id)
            self._preload(data.conversation)
        self.setWindowTitle(self._title())
        self._update_can_send()
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
        wanted = self._wanted(self.conversation)
        prefs = self.prefs

        def work(store: Any) -> ThreadData:
            conv = store.create_conversation(model_path=wanted.path if wanted else None,
                                             system_prompt=prefs.default_system_prompt,
                                             sampling=prefs.default_sampling, ctx_size=prefs.default_ctx_size)
            return load_thread(store, conv.id)

        def done(data: ThreadData) -> None:
            waiting, self._creating = self._creating or [], None
            self._clear_search()
            self._show_thread(data)
            self.refresh_conversations()
            for callback in waiting:
                callback(data)

        def failed(exc: object) -> None:
            self._creating = None
            self.show_error(exc)
        self.db.submit(work, done, failed)

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        def done(conv: Conversation) -> None:
            if self.conversation and self.conversation.id == conv.id:
                self.conversation = conv
                self.setWindowTitle(self._title())
        self._db(lambda store: store.update_conversation(conversation_id, title=title), done)

    def delete_conversation(self, conversation_id: int) -> None:
        if self.generation is not None and self.generation.conversation_id == conversation_id:
            self.status.showMessage(self.tr("Stop the reply before deleting this conversation."), 5000)
            return

        def work(store: Any) -> Conversation:
            conv = store.conversation(conversation_id)
            store.delete_conversation(conversation_id)
            return conv

        def done(conv: Conversation) -> None:
            self.conversations.show_undo(conv.id, conv.title)
            if self.conversation and self.conversation.id == conv.id:
                self.conversation = None
                self.chat_view.clear()
                self.settings.setEnabled(False)
            self.refresh_conversations()
        self._db(work, done)

    def restore_conversation(self, conversation_id: int) -> None:
        def done(_result: object) -> None:
            self.settings.setEnabled(True)
            self.refresh_conversations()
            self.open_conversation(conversation_id)
        self._db(lambda store: store.restore_conversation(conversation_id), done)

    def search(self, query: str) -> None:
        if not query:
            self.refresh_conversations()
            return
        self._db(lambda store: store.search(query),
                 lambda hits: self.conversations.set_search_results(query, hits))

    def _clear_search(self) -> None:
        if self.conversations.search_box.text():
            self.conversations.search_box.blockSignals(True)
            self.conversations.search_box.clear()
            self.conversations.search_box.blockSignals(False)

    def update_settings(self, fields: dict[str, Any]) -> None:
        if self.conversation is None:
            return
        conversation_id = self.conversation.id

        def done(conv: Conversation) -> None:
            if self.conversation and self.conversation.id == conv.id:
                self.conversation = conv
                if "model_path" in fields or "ctx_size" in fields:
                    self._preload(conv)
                else:
                    self.refresh_budget()
        self._db(lambda store: store.update_conversation(conversation_id, **fields), done)

    def use_as_defaults(self) -> None:
        conv = self.conversation
        if conv is None:
            return
        self.settings.flush()
        self.prefs.default_sampling = Sampling.from_dict(conv.sampling).to_dict()
        self.prefs.default_system_prompt = conv.system_prompt
        self.prefs.default_ctx_size = conv.ctx_size
        if conv.model_path:
            self.prefs.default_model = conv.model_path
        self.status.showMessage(self.tr("New chats will start with these settings."), 5000)

    def show_sibling(self, message_id: int) -> None:
        if self.conversation is None or self.generation is not None:
            return
        conversation_id = self.conversation.id

        def work(store: Any) -> ThreadData:
            store.update_conversation(conversation_id, current_leaf_id=store.leaf_of(message_id))
            return load_thread(store, conversation_id)
        self._db(work, self._show_thread)

    def export_conversation(self) -> None:
        conv = self.conversation
        if conv is None:
            return
        name = "".join(ch for ch in (conv.title or "chat") if ch not in '\\/:*?"<>|').strip() or "chat"
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export conversation"), str(Path.home() / f"{name}.md"),
                                              self.tr("Markdown (*.md)"))
        if not path:
            return
        self._db(lambda store: Path(path).write_text(store.export_markdown(conv.id), encoding="utf-8"),
                 lambda _n: self.status.showMessage(self.tr("Saved %1").replace("%1", path), 5000))

    # --- context meter ------------------------------------------------------------------------------
    def refresh_budget(self, draft: str | None = None) -> None:
        conv = self.conversation
        if conv is None or self.info is None:
            self.composer.meter.set_budget(None)
            return
        text = self.composer.text() if draft is None else draft
        conversation_id = conv.id
        meter = self.composer.meter
        attachments = self.composer.attachments()

        def apply(budget: object) -> None:
            if self.conversation is not None and self.conversation.id == conversation_id:
                meter.set_budget(budget)  # type: ignore[arg-type]
        self.engine.budget(lambda chat: chat.budget(conversation_id, text, attachments=attachments), apply)

    # --- language and window state -----------------------------------------------------------------------
    def set_language(self, code: str) -> None:
        self.prefs.language = code
        i18n.install(QApplication.instance(), code)  # type: ignore[arg-type]
        self.language_actions.get(code, self.language_actions[""]).setChecked(True)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _title(self) -> str:
        if self.conversation is not None and self.conversation.title:
            return f"{self.conversation.title} — Hearth"
        return "Hearth"

    def retranslate(self) -> None:
        self.menu_file.setTitle(self.tr("&File"))
        self.menu_view.setTitle(self.tr("&View"))
        self.menu_language.setTitle(self.tr("Language"))
        self.act_new.setText(self.tr("New chat"))
        self.act_add_model.setText(self.tr("Add a model file…"))
        self.act_models_folder.setText(self.tr("Open the models folder"))
        self.act_manager.setText(self.tr("Models…"))
        self.act_knowledge.setText(self.tr("Knowledge…"))
        self.act_attach.setText(self.tr("Attach files…"))
        self.act_export.setText(self.tr("Export chat as Markdown…"))
        self.act_quit.setText(self.tr("Quit"))
        self.act_panel.setText(self.tr("Model and settings panel"))
        self.act_defaults.setText(self.tr("Use this chat's settings for new chats"))
        self.language_actions[""].setText(self.tr("Follow the system"))
        for code, name in i18n.LANGUAGES.items():
            self.language_actions[code].setText(name)
        self.setWindowTitle(self._title())
        self.status.retranslate()
        self.settings.retranslate()
        self._update_can_send()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.settings.flush()
        self.prefs.set_geometry(self.saveGeometry())
        self.prefs.set_splitter(self.splitter.saveState())
        self.prefs.settings_panel_visible = self.act_panel.isChecked()
        self.prefs.last_conversation = self.conversation.id if self.conversation else None
        self.prefs.sync()
        if self.generation is not None:
            self.generation.cancel.cancel()  # the partial reply is saved as interrupted
        if self.model_manager is not None:
            self.model_manager.shutdown()  # downloads pause; their parts are kept for a resume
        super().closeEvent(event)
