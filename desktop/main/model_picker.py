"""Filling the conversation's model picker: installed models, then the remote backends' models.

Each item's data is the path a conversation stores (a file, or ``remote://backend/model``); a stored
model that is neither installed nor a backend's any more is still shown, marked, so the picker never
silently shows another model than the one the conversation names.
"""
from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QComboBox

from engine import InstalledModel, parse_remote_path

from desktop.main.remote_models import RemoteChoice
from desktop.plain import tip, visible


def remote_label(model: str, backend: str) -> str:
    """"qwen3-8b · on gpu-box": a remote model as the picker and the lists name it."""
    return QCoreApplication.translate("ModelPicker", "%1 · on %2").replace("%1", visible(model)).replace(
        "%2", visible(backend))


def fill_picker(picker: QComboBox, models: Sequence[InstalledModel], remotes: Sequence[RemoteChoice],
                current: str | None) -> None:
    """Refill ``picker`` and select ``current``."""
    picker.clear()
    for model in models:
        picker.addItem(visible(model.label()), str(model.path))
        picker.setItemData(picker.count() - 1, tip(str(model.path)), Qt.ItemDataRole.ToolTipRole)
    if remotes and models:
        picker.insertSeparator(picker.count())
    for choice in remotes:
        picker.addItem(remote_label(choice.model, choice.backend), choice.path)
        picker.setItemData(picker.count() - 1, QCoreApplication.translate(
            "ModelPicker", "Computed by the backend %1, not on this computer").replace("%1", visible(choice.backend)),
            Qt.ItemDataRole.ToolTipRole)
    index = picker.findData(current) if current else -1
    if current and index < 0:
        remote = parse_remote_path(current)
        if remote is not None:
            label = QCoreApplication.translate("ModelPicker", "%1 (backend removed)").replace(
                "%1", remote_label(remote[1], remote[0]))
        else:
            name = current.replace("\\", "/").rsplit("/", 1)[-1]
            label = QCoreApplication.translate("SettingsPanel", "{name} (not installed)").format(name=visible(name))
        picker.addItem(label, current)
        index = picker.count() - 1
        picker.setItemData(index, tip(current), Qt.ItemDataRole.ToolTipRole)
    picker.setCurrentIndex(index)
