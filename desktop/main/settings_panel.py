"""The right-hand settings panel: one conversation's model, system prompt and sampling.

The panel never writes anything itself. It shows a conversation with
``show_conversation`` (silently) and reports what the person changes through
``changed`` as a dict of conversation fields (``model_path``, ``system_prompt``,
``sampling`` -- always the full sampling dict -- and ``ctx_size``). Sliders and
spin boxes are coalesced on a short timer, the system prompt on a longer
debounce; ``flush()`` sends whatever is still pending at once. The "Knowledge"
group (desktop/knowledge_choice.py) is the exception: given the database
thread, it saves the collections a conversation uses itself, then emits
``knowledge_changed``.
"""
from __future__ import annotations

import re

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QEvent, QMargins, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox, QDoubleSpinBox, QFormLayout, QFrame, QHBoxLayout, QLabel, QPlainTextEdit,
    QPushButton, QScrollArea, QSizePolicy, QSlider, QSpinBox, QStyle, QVBoxLayout, QWidget,
)

from desktop.main.context_meter import format_count
from desktop.main.elided_combo import ElidedComboBox
from desktop.main.knowledge_choice import KnowledgeChoice, Submitter
from desktop.main.model_picker import fill_picker
from desktop.main.remote_models import RemoteChoice
from desktop.main.model_choice import CTX_DEFAULT, CTX_MIN, CTX_STEP, effective_context, trained_context
from engine import Conversation, InstalledModel, Sampling
from engine.models.files import format_bytes

COALESCE_MS = 250            # sliders and spin boxes
PROMPT_DEBOUNCE_MS = 600     # the system prompt
TEMPERATURE_STEP = 0.05
TEMPERATURE_MAX = 2.0
SEED_MAX = 2**31 - 1


class SettingsPanel(QWidget):
    """One conversation's model and settings; emits ``changed`` with the fields to store."""

    changed = Signal(dict)
    knowledge_changed = Signal()   # the conversation's collections (or documents-only) were stored

    def __init__(self, parent: QWidget | None = None, *, db: Submitter | None = None) -> None:
        """``db``: the database thread, for the Knowledge group (without it the group only shows its hint)."""
        super().__init__(parent)
        self._db = db
        self._models: list[InstalledModel] = []
        self._remotes: list[RemoteChoice] = []
        self._conversation: Conversation | None = None
        self._model_path: str | None = None
        self._ctx_size: int | None = None
        self._sampling = Sampling()
        self._saved_prompt = ""
        self._pending: dict[str, Any] = {}
        self._loading = False

        self._timer = QTimer(self, singleShot=True, interval=COALESCE_MS)
        self._timer.timeout.connect(self.flush)
        self._prompt_timer = QTimer(self, singleShot=True, interval=PROMPT_DEBOUNCE_MS)
        self._prompt_timer.timeout.connect(self.flush)

        self._build()
        self._content.setEnabled(False)
        with self._quiet():
            self._update_context_range()
            self._show_sampling(self._sampling)
        self.retranslate()

    # -- construction ------------------------------------------------------------------------

    def _build(self) -> None:
        self._content = QWidget()
        form = QFormLayout(self._content)
        form.setContentsMargins(12, 12, 12, 12)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._headings: dict[str, QLabel] = {}
        self._labels: dict[str, QLabel] = {}

        self._heading(form, "title", 2)
        self.model_picker = ElidedComboBox(objectName="modelPicker", minimumContentsLength=12,
                                           currentIndexChanged=self._model_chosen)
        self.model_picker.setSizeAdjustPolicy(ElidedComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self._row(form, "model", self.model_picker)
        self.context_slider = QSlider(Qt.Orientation.Horizontal, objectName="contextSlider", singleStep=CTX_STEP,
                                      valueChanged=self._context_moved)
        self.context_value = QLabel(objectName="contextValue", wordWrap=True)
        self._row(form, "context", self.context_slider, self.context_value)

        self._heading(form, "prompt")
        self.system_prompt = QPlainTextEdit(objectName="systemPrompt", tabChangesFocus=True, minimumHeight=90,
                                            textChanged=self._prompt_edited)
        self.system_prompt.installEventFilter(self)
        form.addRow(self.system_prompt)

        self._heading(form, "knowledge")
        self.knowledge = KnowledgeChoice(self._db)
        self.knowledge.setObjectName("knowledgeChoice")
        self.knowledge.changed.connect(self.knowledge_changed)
        form.addRow(self.knowledge)

        self._heading(form, "replies")
        self.temperature_slider = QSlider(Qt.Orientation.Horizontal, objectName="temperatureSlider", pageStep=4,
                                          maximum=round(TEMPERATURE_MAX / TEMPERATURE_STEP),
                                          valueChanged=self._temperature_moved)
        self.temperature_value = QLabel(objectName="temperatureValue",
                                        alignment=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.temperature_value.setMinimumWidth(self.temperature_value.fontMetrics().horizontalAdvance("0.00 "))
        self.temperature_help = QLabel(objectName="temperatureHelp", wordWrap=True)
        font = QFont(self.temperature_help.font())
        font.setPointSizeF(max(6.0, font.pointSizeF() - 1))
        self.temperature_help.setFont(font)
        line = self._holder(QHBoxLayout(), self.temperature_slider, self.temperature_value)
        self._row(form, "temperature", line, self.temperature_help)
        self.max_tokens = self._row(form, "max_tokens", self._spin(QSpinBox(objectName="maxTokens"), 16, 131072, 128))
        self.max_tokens.setGroupSeparatorShown(True)
        self.thinking = QCheckBox(objectName="thinking", toggled=self._thinking_toggled, visible=False)
        form.addRow(self.thinking)
        self._thinking_default = False

        self._heading(form, "advanced")
        self.top_p = self._row(form, "top_p", self._spin(QDoubleSpinBox(objectName="topP"), 0.0, 1.0, 0.05))
        self.top_k = self._row(form, "top_k", self._spin(QSpinBox(objectName="topK"), 0, 1000, 5))
        self.min_p = self._row(form, "min_p", self._spin(QDoubleSpinBox(objectName="minP"), 0.0, 1.0, 0.01))
        self.repeat_penalty = self._row(
            form, "repeat_penalty", self._spin(QDoubleSpinBox(objectName="repeatPenalty"), 1.0, 2.0, 0.05))
        self.seed_random = QCheckBox(objectName="seedRandom", toggled=self._seed_toggled)
        self.seed = self._spin(QSpinBox(objectName="seed"), 0, SEED_MAX, 1)
        self._row(form, "seed", self._holder(QHBoxLayout(), self.seed, self.seed_random))
        self._labels["seed"].setBuddy(self.seed_random)
        self.reset_defaults = QPushButton(objectName="resetDefaults", clicked=self.reset_to_defaults)
        form.addRow(self._holder(QHBoxLayout(), QWidget(), self.reset_defaults))

        scroll = QScrollArea(objectName="settingsScroll", widgetResizable=True, frameShape=QFrame.Shape.NoFrame,
                             horizontalScrollBarPolicy=Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self._content)
        QVBoxLayout(self, contentsMargins=QMargins()).addWidget(scroll)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 -- as wide as the rows need: a larger font never cuts them
        extent = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        return QSize(max(260, self._content.minimumSizeHint().width() + extent), super().minimumSizeHint().height())

    def _heading(self, form: QFormLayout, key: str, grow: int = 0) -> None:
        label = QLabel(objectName=f"{key}Heading")
        font = QFont(label.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() + grow)
        label.setFont(font)
        if form.rowCount():
            label.setContentsMargins(0, 8, 0, 0)
        form.addRow(label)
        self._headings[key] = label

    def _row(self, form: QFormLayout, key: str, field: Any, below: QWidget | None = None) -> Any:
        """A labelled row (the label is found by ``key`` in retranslate); returns ``field``."""
        label = QLabel()
        label.setBuddy(field)
        form.addRow(label, field if below is None else self._holder(QVBoxLayout(), field, below))
        self._labels[key] = label
        return field

    @staticmethod
    def _holder(layout: QHBoxLayout | QVBoxLayout, first: QWidget, second: QWidget) -> QWidget:
        """``first`` and ``second`` side by side or stacked, the first taking the room."""
        holder = QWidget()
        holder.setLayout(layout)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(first, 1 if isinstance(layout, QHBoxLayout) else 0)
        layout.addWidget(second)
        # Preferred, not Maximum: a wrapped label below (the temperature description) must get the height
        # its text needs at this width; Maximum caps the row at the one-line size hint and clips it.
        holder.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        return holder

    def _spin(self, box: QSpinBox | QDoubleSpinBox, low: float, high: float, step: float) -> Any:
        """A spin box for the sampling field named like its objectName ("topP" -> top_p)."""
        key = "".join(f"_{c.lower()}" if c.isupper() else c for c in box.objectName())
        if isinstance(box, QDoubleSpinBox):
            box.setDecimals(2)
        box.setRange(low, high)
        box.setSingleStep(step)
        box.setKeyboardTracking(False)
        box.valueChanged.connect(lambda value: self._spin_changed(key, value))
        return box

    # -- public API --------------------------------------------------------------------------

    def set_models(self, models: list[InstalledModel], remotes: list[RemoteChoice] | None = None) -> None:
        """Fill the model picker (installed models, then ``remotes``: the backends' models, None: as they
        were); the current selection stays when it is still listed."""
        self._models = list(models)
        if remotes is not None:
            self._remotes = list(remotes)
        self._fill_models()
        self._update_context_range()

    def set_thinking_available(self, available: bool, default: bool = False) -> None:
        """Show "Think before answering" only when the loaded model's template reacts to it; ``default``:
        whether it thinks when not told (shown for conversations that never set it)."""
        self._thinking_default = default
        self.thinking.setVisible(available)
        with self._quiet():
            self.thinking.setChecked(default if self._sampling.thinking is None else self._sampling.thinking)

    def show_conversation(self, conv: Conversation) -> None:
        """Show ``conv`` in every control without emitting ``changed``.

        Edits still pending are dropped (they belong to the conversation shown until now):
        call ``flush()`` before switching to keep them.
        """
        self._timer.stop()
        self._prompt_timer.stop()
        self._pending.clear()
        self._conversation = conv
        self._model_path = conv.model_path
        self._ctx_size = conv.ctx_size
        self._sampling = Sampling.from_dict(conv.sampling)
        self._saved_prompt = conv.system_prompt
        with self._quiet():
            if self.system_prompt.toPlainText() != conv.system_prompt:
                self.system_prompt.setPlainText(conv.system_prompt)
            self._fill_models()
            self._update_context_range()
            self._show_sampling(self._sampling)
        self.knowledge.show_conversation(conv.id)
        self._content.setEnabled(True)

    def show_stored(self, conv: Conversation) -> None:
        """A model or context stored for the shown conversation elsewhere than here: show it (edits pending here
        win), so the panel keeps showing what the next reply uses."""
        shown = self._conversation is not None and self._conversation.id == conv.id
        if shown and not {"model_path", "ctx_size"} & self._pending.keys() \
                and (conv.model_path, conv.ctx_size) != (self._model_path, self._ctx_size):
            self._model_path, self._ctx_size = conv.model_path, conv.ctx_size
            with self._quiet():
                self._fill_models()
                self._update_context_range()

    def flush(self) -> None:
        """Emit every pending change now, as one ``changed``."""
        self._timer.stop()
        self._prompt_timer.stop()
        text = self.system_prompt.toPlainText()
        if self._conversation is not None and text != self._saved_prompt:
            self._saved_prompt = self._pending["system_prompt"] = text
        if not self._pending:
            return
        fields, self._pending = self._pending, {}
        self.changed.emit(fields)

    def current(self, conversation_id: int) -> dict[str, Any]:
        """The settings shown for ``conversation_id``, pending edits included ({}: another one is shown)."""
        if self._conversation is None or self._conversation.id != conversation_id:
            return {}
        return {"model_path": self._model_path, "system_prompt": self.system_prompt.toPlainText(),
                "sampling": self._sampling.to_dict(), "ctx_size": self._ctx_size}

    def reset_to_defaults(self) -> None:
        """Put every sampling setting back to Hearth's defaults (and save that)."""
        self._sampling = Sampling()
        with self._quiet():
            self._show_sampling(self._sampling)
        self._queue({"sampling": self._sampling.to_dict()}, now=True)

    def refresh_collections(self) -> None:
        """Collections were created, renamed or deleted: list them again."""
        self.knowledge.refresh()

    def uses_knowledge(self) -> bool:
        """Whether the shown conversation answers from any collection."""
        return self.knowledge.uses_knowledge()

    def selected_model(self) -> InstalledModel | None:
        """The installed model the conversation uses, if it is installed."""
        return next((m for m in self._models if str(m.path) == self._model_path), None)

    def context_size(self) -> int:
        """The context size the slider shows (the conversation's, or the default)."""
        return self._snap(self.context_slider.value())

    def retranslate(self) -> None:
        for key, text in (("title", self.tr("Conversation settings")), ("prompt", self.tr("System prompt")),
                          ("knowledge", self.tr("Knowledge")),
                          ("replies", self.tr("Replies")),
                          ("advanced", self.tr("Advanced sampling"))):
            self._headings[key].setText(text)
        rows: tuple[tuple[str, QWidget, str, str], ...] = (
            ("model", self.model_picker, self.tr("&Model"),
             self.tr("The model that writes the replies in this conversation.")),
            ("context", self.context_slider, self.tr("&Context"), self.tr(
                "How much of the conversation the model can see at once, in tokens. "
                "More context remembers more but takes more memory. Changing it reloads the model.")),
            ("temperature", self.temperature_slider, self.tr("&Temperature"),
             self.tr("How adventurous the model is when it picks each next word.")),
            ("max_tokens", self.max_tokens, self.tr("Reply &length"),
             self.tr("A reply stops after this many tokens (a token is about ¾ of a word).")),
            ("top_p", self.top_p, self.tr("Top-&p"), self.tr(
                "Consider only the most likely words that together make up this share of the "
                "probability. 1.00 turns it off.")),
            ("top_k", self.top_k, self.tr("Top-&k"),
             self.tr("Consider only this many of the most likely next words. 0 turns it off.")),
            ("min_p", self.min_p, self.tr("M&in-p"),
             self.tr("Skip words less likely than this fraction of the most likely word. 0.00 turns it off.")),
            ("repeat_penalty", self.repeat_penalty, self.tr("Repeat &penalty"),
             self.tr("Makes recently used words less likely, against loops. 1.00 turns it off.")),
            ("seed", self.seed, self.tr("&Seed"), self.tr(
                "A fixed seed gives the same reply again for the same conversation and settings.")),
        )
        for key, widget, text, hint in rows:
            self._labels[key].setText(text)
            widget.setAccessibleName(re.sub(r"\s*[(（]&\w[)）]$", "", text).replace("&", ""))
            widget.setToolTip(hint)
        self.model_picker.setPlaceholderText(self.tr("Choose a model"))
        self.system_prompt.setAccessibleName(self.tr("System prompt"))
        self.system_prompt.setPlaceholderText(self.tr(
            "Instructions the model follows for the whole conversation, e.g. “Answer briefly, in plain English.”"))
        self.temperature_value.setAccessibleName(self.tr("Temperature value"))
        self.context_value.setAccessibleName(self.tr("Context size and memory"))
        self.max_tokens.setSuffix(self.tr(" tokens"))
        self.top_k.setSpecialValueText(self.tr("Off"))
        self.seed_random.setText(self.tr("Random"))
        self.seed_random.setAccessibleName(self.tr("Random seed for every reply"))
        self.seed_random.setToolTip(self.tr("A new random seed for every reply."))
        self.thinking.setText(self.tr("Think before answering"))
        self.thinking.setToolTip(self.tr("The model reasons step by step before it answers: often better "
                                         "answers, but slower. Its thinking is shown folded above the reply."))
        self.reset_defaults.setText(self.tr("Reset to defaults"))
        self.reset_defaults.setAccessibleName(self.tr("Reset sampling to defaults"))
        self.reset_defaults.setToolTip(
            self.tr("Put the temperature, reply length and sampling back to Hearth's defaults."))
        self._fill_models()
        self._show_temperature_text()
        self._show_context_text()

    # -- Qt overrides ------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        self.knowledge.refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.system_prompt and event.type() == QEvent.Type.FocusOut and self._prompt_timer.isActive():
            self.flush()
        return super().eventFilter(watched, event)

    # -- the model picker and context ---------------------------------------------------------

    def _fill_models(self) -> None:
        with self._quiet():
            fill_picker(self.model_picker, self._models, self._remotes, self._model_path)

    def _limit(self) -> int:
        """The largest context the slider offers: the model's trained one, or the backend's typed one."""
        remote = next((r for r in self._remotes if r.path == self._model_path), None)
        if remote is not None and remote.context_window:
            return max(CTX_MIN, remote.context_window)
        return trained_context(self.selected_model())

    def _model_chosen(self, index: int) -> None:
        if self._loading or index < 0:
            return
        path = self.model_picker.itemData(index)
        if not path or path == self._model_path:
            return
        self._model_path = path
        fields: dict[str, Any] = {"model_path": path}
        limit = self._limit()
        if self._ctx_size is not None and self._ctx_size > limit:
            self._ctx_size = limit
            fields["ctx_size"] = limit
        with self._quiet():
            self._update_context_range()
        self._queue(fields, now=True)

    def _update_context_range(self) -> None:
        model = self.selected_model()
        high = self._limit()
        value = min(high, effective_context(model, self._ctx_size) or min(CTX_DEFAULT, high))
        with self._quiet():
            self.context_slider.setRange(CTX_MIN, high)
            self.context_slider.setPageStep(max(CTX_STEP, (high - CTX_MIN) // 16 // CTX_STEP * CTX_STEP))
            self.context_slider.setValue(self._snap(value))
        self._show_context_text()

    def _snap(self, value: int) -> int:
        high = self.context_slider.maximum()
        if value >= high:
            return high
        return max(CTX_MIN, min(high, CTX_MIN + round((value - CTX_MIN) / CTX_STEP) * CTX_STEP))

    def _context_moved(self, value: int) -> None:
        snapped = self._snap(value)
        if snapped != value:
            self.context_slider.setValue(snapped)    # comes back here with the snapped value
            return
        self._show_context_text()
        if self._loading:
            return
        self._ctx_size = snapped
        self._queue({"ctx_size": snapped})

    def _show_context_text(self) -> None:
        tokens = self.context_size()
        model = self.selected_model()
        if model is None:
            text = self.tr("{tokens} tokens").format(tokens=format_count(tokens))
        else:
            text = self.tr("{tokens} tokens · {memory} for the context").format(
                tokens=format_count(tokens), memory=format_bytes(model.kv_cache_bytes(tokens)))
        self.context_value.setText(text)

    # -- the system prompt -------------------------------------------------------------------

    def _prompt_edited(self) -> None:
        if not self._loading:
            self._prompt_timer.start()

    # -- sampling ----------------------------------------------------------------------------

    def _show_sampling(self, s: Sampling) -> None:
        self.temperature_slider.setValue(round(s.temperature / TEMPERATURE_STEP))
        self._show_temperature_text()
        self.max_tokens.setValue(int(s.max_tokens))
        self.top_p.setValue(float(s.top_p))
        self.top_k.setValue(int(s.top_k))
        self.min_p.setValue(float(s.min_p))
        self.repeat_penalty.setValue(float(s.repeat_penalty))
        self.seed_random.setChecked(s.seed is None)
        if s.seed is not None:
            self.seed.setValue(int(s.seed))
        self.seed.setEnabled(s.seed is not None)
        self.thinking.setChecked(self._thinking_default if s.thinking is None else s.thinking)

    def _temperature(self) -> float:
        return round(self.temperature_slider.value() * TEMPERATURE_STEP, 2)

    def _temperature_moved(self, _value: int) -> None:
        self._show_temperature_text()
        if self._loading:
            return
        self._set_sampling(temperature=self._temperature())

    def _show_temperature_text(self) -> None:
        t = self._temperature()
        self.temperature_value.setText(f"{t:.2f}")
        bands = ((0.0, self.tr("Always the most likely word: the same reply every time.")),
                 (0.45, self.tr("Focused and predictable: good for facts, code and summaries.")),
                 (0.95, self.tr("Balanced: natural wording with some variety.")),
                 (1.45, self.tr("Varied and creative: good for ideas and stories.")),
                 (TEMPERATURE_MAX, self.tr("Very random: replies may wander off or stop making sense.")))
        self.temperature_help.setText(next(text for limit, text in bands if t <= limit + 1e-9))

    def _spin_changed(self, key: str, value: float) -> None:
        if self._loading or (key == "seed" and self.seed_random.isChecked()):
            return
        self._set_sampling(**{key: round(value, 2) if isinstance(value, float) else int(value)})

    def _seed_toggled(self, random_seed: bool) -> None:
        self.seed.setEnabled(not random_seed)
        if self._loading:
            return
        self._set_sampling(now=True, seed=None if random_seed else self.seed.value())

    def _thinking_toggled(self, on: bool) -> None:
        if not self._loading:
            self._set_sampling(now=True, thinking=on)

    def _set_sampling(self, now: bool = False, **values: Any) -> None:
        updated = replace(self._sampling, **values)
        if updated == self._sampling:
            return
        self._sampling = updated
        self._queue({"sampling": updated.to_dict()}, now=now)

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        """Set controls without reporting it as the person's change."""
        was_loading, self._loading = self._loading, True
        try:
            yield
        finally:
            self._loading = was_loading

    def _queue(self, fields: dict[str, Any], now: bool = False) -> None:
        if self._conversation is None:
            return
        self._pending.update(fields)
        if now:
            self.flush()
        else:
            self._timer.start()
