"""The settings panel: filling it is silent, each change is reported once with only its fields."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QLabel, QPlainTextEdit, QSlider, QWidget

from desktop.main.settings_panel import SettingsPanel
from engine import Conversation, Sampling
from engine.models.files import InstalledModel, format_bytes


def make_model(name: str, context_length: int, layers: int = 30) -> InstalledModel:
    return InstalledModel(
        path=Path(f"/models/{name}.gguf"), name=name, architecture="llama", parameters=1_240_000_000,
        quantization="Q4_K_M", size_bytes=807_000_000, context_length=context_length, layers=layers,
        embedding_length=2048, head_count=32, head_count_kv=8, is_embedding_model=False, is_projector=False)


def make_conv(**fields: Any) -> Conversation:
    values: dict[str, Any] = dict(id=1, title="Chat", created_at=0.0, updated_at=0.0, model_path=None,
                                  system_prompt="", sampling={}, ctx_size=None)
    values.update(fields)
    return Conversation(**values)


BIG = make_model("Big", 131072)
SMALL = make_model("Small", 8192, layers=24)
TINY = make_model("Tiny", 2048, layers=12)


def nothing_pending(panel: SettingsPanel) -> bool:
    """No coalescing or debounce timer of the panel is running: nothing more will be emitted on its own."""
    return not any(timer.isActive() for timer in panel.findChildren(QTimer))


@pytest.fixture
def panel(qtbot: Any) -> SettingsPanel:
    widget = SettingsPanel()
    qtbot.addWidget(widget)
    widget.set_models([BIG, SMALL, TINY])
    return widget


@pytest.fixture
def emitted(panel: SettingsPanel) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    panel.changed.connect(seen.append)
    return seen


def child(panel: SettingsPanel, kind: type, name: str) -> Any:
    found = panel.findChild(kind, name)
    assert found is not None, name
    return found


def test_show_conversation_fills_every_control_silently(panel: SettingsPanel, emitted: list, qtbot: Any) -> None:
    sampling = dict(temperature=0.3, top_p=0.9, top_k=20, min_p=0.1, repeat_penalty=1.2, max_tokens=512, seed=42)
    panel.show_conversation(make_conv(model_path=str(SMALL.path), system_prompt="Be brief.",
                                      sampling=sampling, ctx_size=2048))
    assert child(panel, QComboBox, "modelPicker").currentData() == str(SMALL.path)
    assert child(panel, QPlainTextEdit, "systemPrompt").toPlainText() == "Be brief."
    assert child(panel, QSlider, "temperatureSlider").value() == 6
    assert child(panel, QLabel, "temperatureValue").text() == "0.30"
    assert child(panel, QLabel, "temperatureHelp").text()
    assert child(panel, QSlider, "contextSlider").value() == 2048
    assert panel.findChild(QWidget, "topP").value() == pytest.approx(0.9)
    assert panel.findChild(QWidget, "topK").value() == 20
    assert panel.findChild(QWidget, "minP").value() == pytest.approx(0.1)
    assert panel.findChild(QWidget, "repeatPenalty").value() == pytest.approx(1.2)
    assert panel.findChild(QWidget, "maxTokens").value() == 512
    assert not child(panel, QCheckBox, "seedRandom").isChecked()
    seed = panel.findChild(QWidget, "seed")
    assert seed.value() == 42 and seed.isEnabled()
    assert nothing_pending(panel)
    panel.flush()
    assert emitted == []


def test_temperature_drag_is_one_change_after_flush(panel: SettingsPanel, emitted: list, qtbot: Any) -> None:
    panel.show_conversation(make_conv(sampling={"temperature": 0.7, "top_k": 20}))
    slider = child(panel, QSlider, "temperatureSlider")
    for value in (15, 20, 25, 30):    # a drag
        slider.setValue(value)
    assert emitted == []               # coalesced, not yet written
    assert child(panel, QLabel, "temperatureValue").text() == "1.50"
    panel.flush()
    assert len(emitted) == 1
    assert set(emitted[0]) == {"sampling"}
    assert emitted[0]["sampling"]["temperature"] == pytest.approx(slider.value() * 0.05)
    assert emitted[0]["sampling"]["top_k"] == 20    # the full sampling dict, the rest unchanged
    assert nothing_pending(panel)
    assert len(emitted) == 1


def test_slider_changes_are_written_on_their_own_after_a_pause(panel: SettingsPanel, qtbot: Any) -> None:
    panel.show_conversation(make_conv())
    with qtbot.waitSignal(panel.changed, timeout=2000) as blocker:
        child(panel, QSlider, "temperatureSlider").setValue(0)
    assert blocker.args[0]["sampling"]["temperature"] == 0.0


def test_context_slider_follows_the_model_and_shows_kv_memory(panel: SettingsPanel, emitted: list) -> None:
    slider = child(panel, QSlider, "contextSlider")
    label = child(panel, QLabel, "contextValue")
    panel.show_conversation(make_conv(model_path=str(SMALL.path)))
    assert (slider.minimum(), slider.maximum(), slider.value()) == (512, 8192, 4096)
    assert label.text() == f"4,096 tokens · {format_bytes(SMALL.kv_cache_bytes(4096))} for the context"

    slider.setValue(5000)              # snaps to the 256 grid
    assert slider.value() == 5120
    assert format_bytes(SMALL.kv_cache_bytes(5120)) in label.text()
    assert emitted == []               # coalesced until flush() or the timer
    panel.flush()
    assert emitted == [{"ctx_size": 5120}]

    slider.setValue(slider.maximum())
    panel.flush()
    assert emitted[-1] == {"ctx_size": SMALL.context_length}

    panel.show_conversation(make_conv(id=2, model_path=str(TINY.path)))
    assert (slider.maximum(), slider.value()) == (2048, 2048)
    assert format_bytes(TINY.kv_cache_bytes(2048)) in label.text()

    panel.show_conversation(make_conv(id=3, model_path=None))
    assert (slider.maximum(), slider.value()) == (32768, 4096)
    assert label.text() == "4,096 tokens"


def test_seed_random_toggle_writes_none_or_the_number(panel: SettingsPanel, emitted: list) -> None:
    panel.show_conversation(make_conv(sampling={"seed": None}))
    random_box = child(panel, QCheckBox, "seedRandom")
    seed = panel.findChild(QWidget, "seed")
    assert random_box.isChecked() and not seed.isEnabled()
    seed.setValue(1234)                # disabled while random: not written
    random_box.setChecked(False)
    assert len(emitted) == 1 and emitted[0]["sampling"]["seed"] == 1234
    assert seed.isEnabled()
    seed.setValue(99)
    panel.flush()
    assert emitted[-1]["sampling"]["seed"] == 99
    random_box.setChecked(True)
    assert len(emitted) == 3 and emitted[-1]["sampling"]["seed"] is None


def test_system_prompt_is_debounced_not_per_keystroke(panel: SettingsPanel, emitted: list, qtbot: Any) -> None:
    panel.show_conversation(make_conv(system_prompt="Be brief."))
    editor = child(panel, QPlainTextEdit, "systemPrompt")
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    with qtbot.waitSignal(panel.changed, timeout=3000) as blocker:
        qtbot.keyClicks(editor, " Use metric units.")
        assert emitted == []
    assert blocker.args[0] == {"system_prompt": "Be brief. Use metric units."}
    assert nothing_pending(panel)
    assert len(emitted) == 1


def test_system_prompt_is_written_on_focus_out(panel: SettingsPanel, emitted: list) -> None:
    panel.show_conversation(make_conv(system_prompt=""))
    editor = child(panel, QPlainTextEdit, "systemPrompt")
    editor.insertPlainText("Talk like a pirate.")
    assert emitted == []
    QApplication.sendEvent(editor, QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.TabFocusReason))
    assert emitted == [{"system_prompt": "Talk like a pirate."}]


def test_reset_to_defaults(panel: SettingsPanel, emitted: list, qtbot: Any) -> None:
    panel.show_conversation(make_conv(sampling=dict(temperature=1.4, top_p=0.5, top_k=3, seed=7, max_tokens=64)))
    qtbot.mouseClick(panel.findChild(QWidget, "resetDefaults"), Qt.MouseButton.LeftButton)
    defaults = Sampling()
    assert emitted == [{"sampling": defaults.to_dict()}]
    assert child(panel, QSlider, "temperatureSlider").value() == round(defaults.temperature / 0.05)
    assert panel.findChild(QWidget, "topK").value() == defaults.top_k
    assert panel.findChild(QWidget, "maxTokens").value() == defaults.max_tokens
    assert child(panel, QCheckBox, "seedRandom").isChecked()


def test_set_models_keeps_the_selection(panel: SettingsPanel, emitted: list) -> None:
    picker = child(panel, QComboBox, "modelPicker")
    panel.show_conversation(make_conv(model_path=str(SMALL.path)))
    assert picker.currentText() == SMALL.label()
    assert picker.itemData(picker.currentIndex(), Qt.ItemDataRole.ToolTipRole) == str(SMALL.path)
    panel.set_models([TINY, SMALL])
    assert picker.count() == 2 and picker.currentData() == str(SMALL.path)
    panel.set_models([TINY])           # the file is gone: shown, marked, still selected
    assert picker.currentData() == str(SMALL.path)
    assert "not installed" in picker.currentText()
    panel.flush()
    assert emitted == []


def test_choosing_a_model_emits_its_path(panel: SettingsPanel, emitted: list) -> None:
    picker = child(panel, QComboBox, "modelPicker")
    panel.show_conversation(make_conv(model_path=str(BIG.path), ctx_size=16384))
    picker.setCurrentIndex(picker.findData(str(TINY.path)))
    # the stored context no longer fits the new model, so it comes down with it
    assert emitted == [{"model_path": str(TINY.path), "ctx_size": 2048}]
    assert child(panel, QSlider, "contextSlider").maximum() == 2048
    picker.setCurrentIndex(picker.findData(str(SMALL.path)))
    assert emitted[-1] == {"model_path": str(SMALL.path)}


def test_switching_conversation_never_writes_the_old_edits_into_the_new_one(
        panel: SettingsPanel, emitted: list, qtbot: Any) -> None:
    panel.show_conversation(make_conv(id=1))
    child(panel, QSlider, "temperatureSlider").setValue(2)
    child(panel, QPlainTextEdit, "systemPrompt").setPlainText("for conversation 1")
    panel.flush()                      # what the window does before it switches
    assert emitted == [{"sampling": {**Sampling(temperature=0.1).to_dict()},
                        "system_prompt": "for conversation 1"}]
    child(panel, QSlider, "temperatureSlider").setValue(3)
    panel.show_conversation(make_conv(id=2, system_prompt="two"))
    assert nothing_pending(panel)      # the pending edit of conversation 1 was dropped, not left on a timer
    panel.flush()
    assert len(emitted) == 1
    assert child(panel, QSlider, "temperatureSlider").value() == 14    # conversation 2's 0.7


def test_nothing_is_emitted_before_a_conversation_is_shown(panel: SettingsPanel, emitted: list) -> None:
    assert not child(panel, QSlider, "temperatureSlider").isEnabled()
    panel.flush()
    assert emitted == []


def test_retranslate_and_accessible_names(panel: SettingsPanel) -> None:
    panel.retranslate()
    for name in ("modelPicker", "systemPrompt", "temperatureSlider", "contextSlider", "topP", "topK", "minP",
                 "repeatPenalty", "maxTokens", "seedRandom", "seed", "resetDefaults"):
        assert panel.findChild(QWidget, name).accessibleName(), name
    for name in ("topP", "topK", "minP", "repeatPenalty"):
        assert panel.findChild(QWidget, name).toolTip(), name


# --- "Think before answering" -----------------------------------------------------------------------------

def test_thinking_switch_shows_only_when_available_and_stores_the_choice(panel: SettingsPanel,
                                                                         emitted: list) -> None:
    box = child(panel, QCheckBox, "thinking")
    panel.show_conversation(make_conv())
    assert box.isHidden()                      # no model that reacts to it (yet)
    panel.set_thinking_available(True, default=True)
    assert not box.isHidden() and box.isChecked() and emitted == []   # the template's default, not a change
    box.setChecked(False)
    assert emitted == [{"sampling": Sampling(thinking=False).to_dict()}]
    panel.show_conversation(make_conv(id=2, sampling={"thinking": True}))
    panel.set_thinking_available(True, default=False)
    assert box.isChecked()                     # the conversation's own choice wins over the default
    panel.set_thinking_available(False)
    assert box.isHidden()


def _window_with_template(qtbot: Any, model: Path, source: str) -> Any:
    from dataclasses import replace as replaced

    from engine.models.templates import load_template
    from engine.runtime.scripted import ScriptedRuntime
    from tests.window_helpers import make_app, new_chat, wait_database

    class TemplatedRuntime(ScriptedRuntime):
        def load(self, path: str, **kwargs: Any) -> Any:
            info = super().load(path, **kwargs)
            self.info = replaced(info, template=load_template(source, origin=info.path))
            return self.info

    runtime = TemplatedRuntime()
    app = make_app(qtbot, model, runtime=runtime)
    new_chat(qtbot, app)
    qtbot.waitUntil(lambda: app.window.info is not None, timeout=10_000)
    wait_database(qtbot, app)
    return app, runtime


QWEN3_LIKE = ("{%- for message in messages %}"
              "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endfor %}"
              "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}"
              "{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}"
              "{%- endif %}{%- endif %}")


def test_window_shows_the_thinking_switch_only_for_templates_that_react(qtbot: Any, smollm2_path: Path) -> None:
    from engine.models.templates import FALLBACK_TEMPLATES
    from tests.window_helpers import close_app, in_database, type_and_send, wait_idle

    app, _ = _window_with_template(qtbot, smollm2_path, FALLBACK_TEMPLATES["chatml"])
    try:
        assert app.window.settings.thinking.isHidden()
    finally:
        close_app(app)

    app, runtime = _window_with_template(qtbot, smollm2_path, QWEN3_LIKE)
    try:
        box = app.window.settings.thinking
        assert not box.isHidden() and box.isChecked()   # Qwen3 thinks unless told not to
        box.setChecked(False)
        runtime.replies = [["Hello!"]]
        type_and_send(qtbot, app, "Hi")
        wait_idle(qtbot, app)
        assert runtime.prompts[-1].endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")
        conv_id = app.window.conversation.id
        reply = in_database(lambda store: store.thread(conv_id)[-1])
        assert reply.record["sampling"]["thinking"] is False
    finally:
        close_app(app)
