"""An attached document's size, told the same way everywhere, with advice that can work (issue 18).

A newcomer attached the GPL-3 text and saw 8,694 tokens on the chip, another
figure in the context meter and a third in the "too big" dialog; the meter
then advised raising the context, which cannot help when the document does
not fit even the model's largest context. These tests drive the real window
over the real SmolLM2 (trained context 8,192) with the real GPL-3 text, and
check that the chip, the meter and the dialog show the model's one count, and
that the meter's advice is what can work. The last tests check that the
meter's summary and the settings panel are never cut off, in English and in
Chinese.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QScrollArea

from desktop.app import HearthApp
from desktop.main.attachment_view import AttachmentChip
from desktop.main.context_meter import BAR_HEIGHT, GAP, TEXT_FLAGS, format_count
from engine import Budget
from engine.chat.attachments import attachment_tokens
from engine.runtime.scripted import ScriptedRuntime
from tests.desktop.test_window_attachments import drop, file_mime, message_boxes, ready, stored_messages
from tests.window_helpers import close_app, make_app, new_chat, type_and_send, wait_database, wait_idle

GPL3 = Path(__file__).resolve().parents[1] / "data" / "kb_quality" / "en" / "GPL-3"


def document_chip(app: HearthApp) -> AttachmentChip:
    (chip,) = app.window.composer.strip.chips()
    return chip


def counted(app: HearthApp) -> bool:
    """The chip is ready and the loaded model has counted it (the meter's budget gave its count)."""
    chips = app.window.composer.strip.chips()
    return ready(app, 1) and chips[0].tokens is not None


@pytest.fixture
def real_app(qtbot, smollm2_path: Path) -> Iterator[HearthApp]:
    hearth = make_app(qtbot, smollm2_path)
    qtbot.waitUntil(lambda: hearth.window.info is not None and hearth.window.conversation is not None,
                    timeout=60_000)
    yield hearth
    close_app(hearth)


def test_one_count_in_chip_meter_and_dialog_and_no_advice_to_raise_the_context(qtbot, real_app: HearthApp,
                                                                              tmp_path: Path) -> None:
    window = real_app.window
    assert window.info is not None and window.info.n_ctx_train == 8192 and window.info.n_ctx < 8192
    license_file = tmp_path / "GPL-3.txt"
    license_file.write_bytes(GPL3.read_bytes())
    assert drop(window.composer, file_mime(license_file))
    qtbot.waitUntil(lambda: counted(real_app), timeout=60_000)
    chip = document_chip(real_app)
    n = chip.tokens
    assert n is not None and 6_000 < n < 9_000
    assert chip.attachment is not None and n != attachment_tokens(chip.attachment)   # the model's, not the estimate
    figure = f"{n:,} tokens"
    assert figure in chip.open_button.text() and "~" not in chip.open_button.text()

    meter = window.composer.meter
    qtbot.waitUntil(lambda: meter.budget() is not None and meter.budget().attachments == n, timeout=30_000)
    assert f"Attachments: {format_count(n)} tokens" in meter.toolTip()
    # 7,600-odd tokens and the reply's reserve cannot fit in 8,192: raising the context cannot help
    summary = meter.summary_text()
    assert "even at its largest context (8,192 tokens)" in summary and "knowledge base" in summary
    assert "raise the context" not in summary

    type_and_send(qtbot, real_app, "Summarize this license")
    qtbot.waitUntil(lambda: bool(message_boxes("documentTooLarge")), timeout=60_000)
    wait_idle(qtbot, real_app)
    box = message_boxes("documentTooLarge")[0]
    assert f"It needs {figure}" in box.informativeText()
    assert stored_messages(real_app) == []
    box.close()


def test_advice_to_raise_the_context_when_it_would_fit(qtbot, real_app: HearthApp, tmp_path: Path) -> None:
    window = real_app.window
    assert window.info is not None and window.info.n_ctx == 4096
    part = tmp_path / "GPL-3-part.txt"
    part.write_text(GPL3.read_text(encoding="utf-8")[:17_000], encoding="utf-8")   # ~3,700 tokens
    assert drop(window.composer, file_mime(part))
    qtbot.waitUntil(lambda: counted(real_app), timeout=60_000)
    n = document_chip(real_app).tokens
    assert n is not None and 4096 - 1024 < n < 8192 - 1024 - 200
    meter = window.composer.meter
    qtbot.waitUntil(lambda: meter.budget() is not None and meter.budget().attachments == n, timeout=30_000)
    summary = meter.summary_text()
    assert meter.budget().over and meter.budget().fits_model
    assert "raise the context size (this model takes up to 8,192 tokens)" in summary
    assert "even at its largest context" not in summary


def test_a_sent_document_keeps_the_models_count_on_its_chip(qtbot, real_app: HearthApp, tmp_path: Path) -> None:
    """After sending, the message's chip showed the "~" estimate again instead of the count it was sent with."""
    window = real_app.window
    window.settings.findChild(object, "maxTokens").setValue(4)
    window.settings.flush()
    part = tmp_path / "GPL-3-start.txt"
    part.write_text(GPL3.read_text(encoding="utf-8")[:2_000], encoding="utf-8")
    assert drop(window.composer, file_mime(part))
    qtbot.waitUntil(lambda: counted(real_app), timeout=60_000)
    n = document_chip(real_app).tokens
    assert n is not None
    type_and_send(qtbot, real_app, "What is this?")
    wait_idle(qtbot, real_app, timeout=60_000)
    (sent,) = window.chat_view.widgets()[0].attachment_strip.chips()
    assert sent.tokens == n and sent.tokens_text() == f"{n:,} tokens"
    first = window.conversation.id
    new_chat(qtbot, real_app)
    window.open_conversation(first)   # read back from the database
    qtbot.waitUntil(lambda: window.conversation.id == first and bool(window.chat_view.widgets()))
    wait_database(qtbot, real_app)
    (reopened,) = window.chat_view.widgets()[0].attachment_strip.chips()
    assert reopened.tokens == n and not reopened.tokens_text().startswith("~")


def test_without_a_model_the_chip_shows_the_estimate_marked(qtbot, tmp_path: Path) -> None:
    hearth = make_app(qtbot, None)
    try:
        notes = tmp_path / "notes.txt"
        notes.write_text("Tomatoes need six hours of sun and deep watering twice a week.\n" * 40, encoding="utf-8")
        assert drop(hearth.window.composer, file_mime(notes))
        qtbot.waitUntil(lambda: ready(hearth, 1), timeout=20_000)
        chip = document_chip(hearth)
        assert chip.tokens is None and chip.attachment is not None
        estimate = attachment_tokens(chip.attachment)
        assert f"~{estimate:,} tokens" in chip.open_button.text()
    finally:
        close_app(hearth)


# --- nothing cut off, in English and Chinese -------------------------------------------------------------
@pytest.fixture
def scripted_app(qtbot, smollm2_path: Path) -> Iterator[HearthApp]:
    hearth = make_app(qtbot, smollm2_path, runtime=ScriptedRuntime())
    qtbot.waitUntil(lambda: hearth.window.info is not None and hearth.window.conversation is not None,
                    timeout=10_000)
    yield hearth
    close_app(hearth)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_the_meter_summary_wraps_instead_of_being_cut(qtbot, scripted_app: HearthApp, language: str) -> None:
    window = scripted_app.window
    window.set_language(language)
    window.resize(760, 600)
    window.splitter.setSizes([200, 300, 260])   # a narrow conversation column
    meter = window.composer.meter
    qtbot.waitUntil(lambda: meter.budget() is not None)   # the window's own budget has come (and gone)
    wait_database(qtbot, scripted_app)
    # what a chat that outgrew its context shows: six older messages left out, and a message still too long
    budget = Budget(n_ctx=2048, system=30, history=900, attachments=900, knowledge=0, draft=400, reserve=1024,
                    dropped_ids=(1, 2, 3, 4, 5, 6), over=True, n_ctx_max=8192)
    meter.set_budget(budget)
    for _ in range(3):
        QApplication.processEvents()
    assert meter.budget() is budget
    text = meter.summary_text()
    assert "6" in text
    metrics = meter.fontMetrics()
    available = QRect(0, 0, meter.width(), meter.height() - (BAR_HEIGHT + 1 + GAP))
    needed = metrics.boundingRect(QRect(0, 0, meter.width(), 1 << 20), TEXT_FLAGS, text)
    assert metrics.horizontalAdvance(text) > meter.width()    # too long for one line: it must wrap
    assert needed.height() <= available.height() and needed.width() <= available.width()
    composer = window.composer
    bottom = meter.mapTo(composer, QPoint(0, meter.height())).y()
    assert bottom <= composer.height()    # the grown meter is inside its parent, not under the status bar


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_reset_to_defaults_is_never_cut_off_with_a_larger_font(qtbot, scripted_app: HearthApp,
                                                               language: str) -> None:
    window = scripted_app.window
    window.set_language(language)
    base = QApplication.font()
    larger = QFont(base)
    larger.setPointSizeF(15)
    QApplication.setFont(larger)
    try:
        window.resize(1180, 640)
        QApplication.processEvents()
        window.splitter.setSizes([240, 680, 260])   # asked narrower than the settings need
        QApplication.processEvents()
        scroll = window.settings.findChild(QScrollArea, "settingsScroll")
        bar = scroll.verticalScrollBar()
        bar.setValue(bar.maximum())
        QApplication.processEvents()
        button = window.settings.reset_defaults
        shown = QRect(button.mapTo(scroll.viewport(), QPoint(0, 0)), button.size())
        assert scroll.viewport().rect().contains(shown), (shown, scroll.viewport().rect())
        assert button.width() >= button.sizeHint().width()
        assert button.fontMetrics().horizontalAdvance(button.text()) < button.width()
        status_top = window.status.mapTo(window, QPoint(0, 0)).y()
        assert button.mapTo(window, QPoint(0, button.height())).y() <= status_top
    finally:
        QApplication.setFont(base)
