"""A file that is not a model, picked as one: the window says what it is, in words, and touches nothing."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from desktop.app import HearthApp


def test_a_photo_picked_as_a_model_is_named_as_a_photo(qtbot, app: HearthApp, tmp_path: Path) -> None:
    photo = tmp_path / "holiday.jpg"
    content = b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(range(256)) * 4
    photo.write_bytes(content)
    app.window.add_model_path(str(photo))
    qtbot.waitUntil(lambda: app.window.findChild(QMessageBox, "errorDialog") is not None, timeout=5000)
    box = app.window.findChild(QMessageBox, "errorDialog")
    said = box.text() + "\n" + box.informativeText()
    assert "holiday.jpg" in said and "not a GGUF model file (a JPEG image)" in said, said
    assert "Choose a .gguf model file" in said and "not changed" in said
    assert "delete" not in said.lower() and "b'" not in said and "\\x" not in said
    assert photo.read_bytes() == content
    assert str(photo) not in [str(m.path) for m in app.window.models] and app.window.isVisible()
