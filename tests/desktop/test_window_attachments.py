"""Attachments in the window: drop, paste, pick, remove, send, reopen; refusals asked before sending.

Drops and pastes use real ``QMimeData`` (file URLs, image data) sent to the
real widgets; files are prepared by the real engine (engine.chat.attachments). The
first tests run over the scripted model; the last ones through llama.cpp:
SmolLM2 with a tiny random image projector beside it (tests/vision_files.py),
so an image really goes through the multimodal path.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox, QWidget

from desktop.app import HearthApp
from desktop.main.attachment_view import AttachmentChip
from engine.runtime.scripted import ScriptedRuntime
from tests.vision_files import build_tiny_mmproj
from tests.window_helpers import (UrlCatcher, bubbles, catching_file_urls, close_app, in_database,
                                  make_app, new_chat, type_and_send, wait_idle)

NOTES = "# Garden notes\n\nTomatoes need six hours of sun and deep watering twice a week.\n"


# --- helpers -----------------------------------------------------------------------------------------------
def png(path: Path, width: int = 40, height: int = 30, colour: str = "#d04020") -> Path:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    assert image.save(str(path), "PNG")
    return path


def file_mime(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def image_mime(width: int = 24, height: int = 24) -> QMimeData:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("#2060c0"))
    mime = QMimeData()
    mime.setImageData(image)
    return mime


def drop(widget: QWidget, mime: QMimeData) -> bool:
    """Drag ``mime`` over ``widget`` and drop it, as the platform would; True if the drop was accepted."""
    centre = widget.rect().center()
    enter = QDragEnterEvent(centre, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    event = QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def chips(app: HearthApp) -> list[AttachmentChip]:
    return app.window.composer.strip.chips()


def ready(app: HearthApp, n: int) -> bool:
    found = chips(app)
    return len(found) == n and all(not c.reading for c in found)


def message_boxes(name: str) -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.objectName() == name
            and w.isVisible()]


def stored_messages(app: HearthApp) -> list[tuple[str, str]]:
    conv_id = app.window.conversation.id
    return in_database(lambda s: [(m.role, m.content) for m in s.thread(conv_id)])


@pytest.fixture
def catcher() -> Iterator[UrlCatcher]:
    with catching_file_urls() as found:
        yield found


class SeeingScripted(ScriptedRuntime):
    """The scripted model, as a model with an image projector."""

    def load(self, path: str, **kwargs: Any) -> Any:
        return super().load(path, **{**kwargs, "mmproj": "scripted-mmproj.gguf"})


@pytest.fixture
def fake() -> ScriptedRuntime:
    return ScriptedRuntime()


@pytest.fixture
def app(qtbot, smollm2_path: Path, fake: ScriptedRuntime) -> Iterator[HearthApp]:
    hearth = make_app(qtbot, smollm2_path, runtime=fake)
    qtbot.waitUntil(lambda: hearth.window.info is not None and hearth.window.conversation is not None, timeout=10_000)
    yield hearth
    close_app(hearth)


# --- over the scripted model ---------------------------------------------------------------------------------
def test_dropping_files_on_the_conversation_makes_chips(qtbot, app: HearthApp, tmp_path: Path,
                                                        catcher: UrlCatcher) -> None:
    picture = png(tmp_path / "tomato.png", 400, 300)
    notes = tmp_path / "garden notes.md"
    notes.write_text(NOTES, encoding="utf-8")
    assert drop(app.window.chat_view.viewport(), file_mime(picture, notes))
    strip = app.window.composer.strip
    assert strip.isVisible() and len(chips(app)) == 2
    qtbot.waitUntil(lambda: ready(app, 2), timeout=20_000)
    image, document = chips(app)
    assert image.attachment.kind == "image" and (image.attachment.width, image.attachment.height) == (400, 300)
    icon = image.open_button.icon().pixmap(64, 64)
    assert not icon.isNull() and icon.width() <= 64 and icon.height() <= 64
    assert document.attachment.kind == "document" and "Tomatoes need six hours" in document.attachment.text
    assert "garden notes.md" in document.open_button.text() and "tokens" in document.open_button.text()
    assert image.attachment.stored.is_file() and image.attachment.stored.parent.parent == app.paths.attachments
    qtbot.mouseClick(document.open_button, Qt.MouseButton.LeftButton)
    assert [u.toLocalFile() for u in catcher.urls] == [str(document.attachment.stored)]


def test_image_data_dropped_on_the_message_box_is_attached(qtbot, app: HearthApp) -> None:
    box = app.window.composer.input
    assert drop(box.viewport(), image_mime())
    qtbot.waitUntil(lambda: ready(app, 1), timeout=10_000)
    attachment = chips(app)[0].attachment
    assert attachment.kind == "image" and attachment.mime == "image/png" and attachment.width == 24
    assert box.toPlainText() == ""


def test_paste_of_an_image_attaches_it_and_text_still_pastes(qtbot, app: HearthApp) -> None:
    box = app.window.composer.input
    box.setFocus()
    image = QImage(30, 20, QImage.Format.Format_RGB32)
    image.fill(QColor("#30a050"))
    QGuiApplication.clipboard().setImage(image)
    qtbot.keyClick(box, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: ready(app, 1), timeout=10_000)
    assert (chips(app)[0].attachment.width, chips(app)[0].attachment.height) == (30, 20)
    QGuiApplication.clipboard().setText("plain words")
    qtbot.keyClick(box, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert box.toPlainText() == "plain words"
    prepared: list[bool] = []        # whatever the paste queued for preparing has been prepared by now
    app.window.attachments.attach_thread.submit(lambda: None, lambda _none: prepared.append(True))
    qtbot.waitUntil(lambda: bool(prepared))
    assert len(chips(app)) == 1


def test_remove_takes_the_chip_away(qtbot, app: HearthApp, tmp_path: Path) -> None:
    assert drop(app.window.chat_view.viewport(), file_mime(png(tmp_path / "a.png"), png(tmp_path / "b.png", colour="#000")))
    qtbot.waitUntil(lambda: ready(app, 2), timeout=10_000)
    first = chips(app)[0]
    qtbot.mouseClick(first.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(chips(app)) == 1)
    assert [a.name for a in app.window.composer.attachments()] == ["b.png"]
    qtbot.mouseClick(chips(app)[0].remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not chips(app))
    assert not app.window.composer.strip.isVisible()


def test_a_file_that_cannot_be_attached_shows_an_error_naming_it(qtbot, app: HearthApp, tmp_path: Path) -> None:
    broken = tmp_path / "broken photo.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10)
    assert drop(app.window.chat_view.viewport(), file_mime(broken))
    qtbot.waitUntil(lambda: bool(message_boxes("errorDialog")), timeout=10_000)
    box = message_boxes("errorDialog")[0]
    assert "broken photo.png" in box.text() + box.informativeText()
    assert box.text() == "This image cannot be attached."
    assert not chips(app) and app.window.composer.attachments() == []
    box.close()


def test_a_document_is_sent_counted_and_shown_in_the_message(qtbot, app: HearthApp, fake: ScriptedRuntime,
                                                             tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES + "More about peppers and beans. " * 40, encoding="utf-8")
    assert drop(app.window.composer, file_mime(notes))
    qtbot.waitUntil(lambda: ready(app, 1), timeout=20_000)
    meter = app.window.composer.meter
    qtbot.waitUntil(lambda: dict(meter.segments()).get("attachments", 0) > 100, timeout=5000)
    fake.replies = [["Six hours."]]
    type_and_send(qtbot, app, "How much sun?")
    wait_idle(qtbot, app)
    assert not chips(app) and app.window.composer.text() == ""
    assert "Tomatoes need six hours" in fake.prompts[-1]
    user = bubbles(app)[0]
    assert [c.attachment.name for c in user.attachment_strip.chips()] == ["notes.md"]
    conv_id = app.window.conversation.id
    saved = in_database(lambda s: [a.name for m in s.thread(conv_id) for a in s.attachments(m.id)])
    assert saved == ["notes.md"]
    qtbot.waitUntil(lambda: dict(meter.segments()).get("attachments", 0) == 0, timeout=5000)


def test_an_image_for_a_model_that_cannot_see_is_refused_before_sending(qtbot, app: HearthApp, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[bool] = []
    monkeypatch.setattr(app.window, "open_model_manager", lambda: opened.append(True))
    assert drop(app.window.chat_view.viewport(), file_mime(png(tmp_path / "cat.png")))
    qtbot.waitUntil(lambda: ready(app, 1), timeout=10_000)
    type_and_send(qtbot, app, "What is this?")
    qtbot.waitUntil(lambda: bool(message_boxes("visionRefusal")), timeout=10_000)
    box = message_boxes("visionRefusal")[0]
    assert "cannot see images" in box.text()
    assert app.window.generation is None
    assert app.window.composer.text() == "What is this?" and ready(app, 1)
    assert stored_messages(app) == []
    qtbot.mouseClick(box.findChild(QWidget, "openModels"), Qt.MouseButton.LeftButton)
    assert opened == [True]


def test_an_image_reaches_a_model_that_can_see(qtbot, smollm2_path: Path, tmp_path: Path) -> None:
    fake = SeeingScripted()
    hearth = make_app(qtbot, smollm2_path, runtime=fake)
    try:
        qtbot.waitUntil(lambda: hearth.window.info is not None, timeout=10_000)
        assert drop(hearth.window.chat_view.viewport(), file_mime(png(tmp_path / "cat.png")))
        qtbot.waitUntil(lambda: ready(hearth, 1), timeout=10_000)
        type_and_send(qtbot, hearth, "What is this?")
        wait_idle(qtbot, hearth)
        assert not message_boxes("visionRefusal")
        assert [m for m, _ in stored_messages(hearth)] == ["user", "assistant"]
        assert len(bubbles(hearth)[0].attachment_strip.chips()) == 1
    finally:
        close_app(hearth)


def test_a_question_about_a_document_too_big_goes_to_a_knowledge_base_and_is_sent_again(
        qtbot, smollm2_path: Path, tmp_path: Path, minilm_path: Path) -> None:
    hearth = make_app(qtbot, smollm2_path, embedder=minilm_path)   # the real model: the question is embedded
    window = hearth.window
    try:
        qtbot.waitUntil(lambda: window.info is not None and window.conversation is not None, timeout=60_000)
        window.update_settings({"ctx_size": 512})
        qtbot.waitUntil(lambda: window.info.n_ctx == 512, timeout=60_000)
        window.settings.findChild(object, "maxTokens").setValue(16)
        window.settings.flush()
        big = tmp_path / "manual.md"
        big.write_text("# Manual\n\n" + "The pump must be primed before the first start. " * 400, encoding="utf-8")
        assert drop(window.chat_view.viewport(), file_mime(big))
        qtbot.waitUntil(lambda: ready(hearth, 1), timeout=20_000)
        type_and_send(qtbot, hearth, "How do I start the pump?")
        qtbot.waitUntil(lambda: bool(message_boxes("documentTooLarge")), timeout=10_000)
        wait_idle(qtbot, hearth)
        box = message_boxes("documentTooLarge")[0]
        assert "manual.md" in box.text() and "tokens" in box.informativeText()
        assert stored_messages(hearth) == []
        assert window.composer.text() == "How do I start the pump?" and ready(hearth, 1)
        # a question: the knowledge base is offered first (Enter), the summary too
        assert box.defaultButton().objectName() == "addToKnowledge"
        assert box.findChild(QWidget, "summarizeDocument") is not None
        qtbot.mouseClick(box.findChild(QWidget, "addToKnowledge"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.knowledge_window is not None and window.knowledge_window.isVisible())
        chooser = window.knowledge_window.findChild(QInputDialog, "chooseCollection")
        assert chooser is not None and chooser.comboBoxItems() == ["manual"]
        chooser.setTextValue("Pump manuals")
        chooser.accept()
        conv_id = window.conversation.id

        def used() -> list[str]:
            from engine.knowledge import collections as library
            return in_database(lambda s: [c.name for c in library.conversation_collections(s.conn, conv_id)])
        qtbot.waitUntil(lambda: used() == ["Pump manuals"], timeout=20_000)
        qtbot.waitUntil(lambda: not chips(hearth))
        # once indexed, the question goes again by itself, without the document, answered from the collection
        qtbot.waitUntil(lambda: len(stored_messages(hearth)) == 2, timeout=60_000)
        wait_idle(qtbot, hearth)
        assert stored_messages(hearth)[0] == ("user", "How do I start the pump?") and not window.composer.text()

        def sent() -> tuple[list[Any], dict[str, Any]]:
            thread = in_database(lambda s: [(s.attachments(m.id), m.record) for m in s.thread(conv_id)])
            return thread[0][0], thread[1][1]
        files, record = sent()
        assert files == [] and record["knowledge"]["collections"] == ["Pump manuals"]
        assert any("pump must be primed" in src["text"] for src in record["knowledge"]["sources"])
    finally:
        close_app(hearth)


# --- through llama.cpp -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def vision_folder(smollm2_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SmolLM2 with the tiny projector beside it: the engine pairs a *mmproj*.gguf in the model's folder."""
    folder = tmp_path_factory.mktemp("vision-model")
    target = folder / smollm2_path.name
    try:
        os.link(smollm2_path, target)
    except OSError:
        shutil.copyfile(smollm2_path, target)
    shutil.copyfile(build_tiny_mmproj(), folder / "mmproj-tiny-f16.gguf")
    return folder


def test_real_model_sees_an_image_and_it_comes_back_on_reopen(qtbot, vision_folder: Path, tmp_path: Path) -> None:
    model = next(p for p in vision_folder.iterdir() if "mmproj" not in p.name)
    hearth = make_app(qtbot, model)
    window = hearth.window
    try:
        qtbot.waitUntil(lambda: window.info is not None, timeout=60_000)
        assert window.info.vision
        assert drop(window.chat_view.viewport(), file_mime(png(tmp_path / "red.png", 64, 64)))
        qtbot.waitUntil(lambda: ready(hearth, 1), timeout=10_000)
        window.settings.findChild(object, "maxTokens").setValue(8)
        window.settings.flush()
        type_and_send(qtbot, hearth, "Describe the picture.")
        wait_idle(qtbot, hearth, timeout=120_000)
        assert [m for m, _ in stored_messages(hearth)] == ["user", "assistant"]
        reply = bubbles(hearth)[1].item.message
        assert reply.status == "complete" and reply.content.strip()
        first = window.conversation.id
        thumb = bubbles(hearth)[0].attachment_strip.chips()[0]
        assert not thumb.open_button.icon().pixmap(64, 64).isNull()
        new_chat(qtbot, hearth)
        assert window.conversation.id != first
        window.open_conversation(first)
        qtbot.waitUntil(lambda: len(bubbles(hearth)) == 2, timeout=10_000)
        again = bubbles(hearth)[0].attachment_strip.chips()
        assert [c.attachment.name for c in again] == ["red.png"]
        assert not again[0].open_button.icon().pixmap(64, 64).isNull()
    finally:
        close_app(hearth)


def test_real_model_without_projector_refuses_images_and_saves_nothing(qtbot, smollm2_path: Path,
                                                                       tmp_path: Path) -> None:
    hearth = make_app(qtbot, smollm2_path)
    window = hearth.window
    try:
        qtbot.waitUntil(lambda: window.info is not None and window.conversation is not None, timeout=60_000)
        assert not window.info.vision
        assert drop(window.chat_view.viewport(), file_mime(png(tmp_path / "cat.png")))
        qtbot.waitUntil(lambda: ready(hearth, 1), timeout=10_000)
        type_and_send(qtbot, hearth, "What is this?")
        qtbot.waitUntil(lambda: bool(message_boxes("visionRefusal")), timeout=10_000)
        box = message_boxes("visionRefusal")[0]
        assert "SmolLM2" in box.text() or "cannot see images" in box.text()
        assert "•" in box.informativeText()   # the catalog's vision models are named
        assert stored_messages(hearth) == [] and window.composer.text() == "What is this?"
    finally:
        close_app(hearth)


def test_real_model_summarises_a_document_too_big_section_by_section(qtbot, smollm2_path: Path,
                                                                      tmp_path: Path) -> None:
    hearth = make_app(qtbot, smollm2_path)
    window = hearth.window
    try:
        qtbot.waitUntil(lambda: window.info is not None and window.conversation is not None, timeout=60_000)
        window.update_settings({"ctx_size": 512})
        qtbot.waitUntil(lambda: window.info is not None and window.info.n_ctx == 512, timeout=60_000)
        window.settings.findChild(object, "maxTokens").setValue(48)
        window.settings.flush()
        big = tmp_path / "report.txt"
        big.write_text("\n\n".join(f"Region {i}: quarterly figures rose by {i} percent this year."
                                    for i in range(1, 90)), encoding="utf-8")
        assert drop(window.composer, file_mime(big))
        qtbot.waitUntil(lambda: ready(hearth, 1), timeout=20_000)
        type_and_send(qtbot, hearth, "Summarise the report.")
        qtbot.waitUntil(lambda: bool(message_boxes("documentTooLarge")), timeout=30_000)
        wait_idle(qtbot, hearth)
        box = message_boxes("documentTooLarge")[0]
        assert "report.txt" in box.text() and "section by section" in box.informativeText()
        assert stored_messages(hearth) == [] and window.composer.text() == "Summarise the report."
        # a request for a summary: the summary is offered first (Enter); picking it sends at once
        assert box.defaultButton().objectName() == "summarizeDocument"
        shown: list[str] = []
        window.status.messageChanged.connect(shown.append)
        qtbot.mouseClick(box.defaultButton(), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: any("section 2 of" in m for m in shown), timeout=60_000)
        assert not window.composer.text() and not chips(hearth)
        qtbot.mouseClick(window.composer.stop_button, Qt.MouseButton.LeftButton)   # Stop between sections
        wait_idle(qtbot, hearth, timeout=60_000)
        stopped = bubbles(hearth)[-1]
        assert stopped.item.message.status == "interrupted" and stopped.item.message.content == ""
        assert [m for m, _ in stored_messages(hearth)] == ["user", "assistant"]
        # answer again: the whole document is read and the reply lists its sections
        window.chat_view.regenerate.emit(stopped.item.message.id)
        wait_idle(qtbot, hearth, timeout=240_000)
        reply = bubbles(hearth)[-1]
        message = reply.item.message
        assert message.status == "complete" and message.content.strip()
        sections = message.record["summary"]["sections"]
        assert sections >= 3 and len(reply.sources.sources()) == sections
        assert reply.sources.toggle.text() == f"Sections ({sections})" and reply.sources.toggle.isVisible()
        reply.sources.set_open(True)
        card = reply.sources.cards()[0]
        assert "report.txt" in card.title.text() and "lines 1–" in card.title.text()
        assert not card.scores.isVisible() and card.text.text()
        assert any("Combining" in m or "Writing the summary" in m for m in shown)
    finally:
        close_app(hearth)
