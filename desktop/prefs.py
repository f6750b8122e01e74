"""The window's preferences: language, geometry, panels, defaults for new chats.

Kept in an INI file inside the Hearth home (``Paths.settings``), so tests and
portable installs never touch the user's registry or ~/.config.
"""
from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from engine import Paths


class Prefs:
    """Typed access to the settings file."""

    def __init__(self, paths: Paths) -> None:
        self._s = QSettings(str(paths.settings), QSettings.Format.IniFormat)

    def _get(self, key: str, default: Any = None) -> Any:
        return self._s.value(key, default)

    def sync(self) -> None:
        self._s.sync()

    # --- language ---------------------------------------------------------------
    @property
    def language(self) -> str:
        """"" follows the system; otherwise a code such as "en" or "zh_CN"."""
        return str(self._get("ui/language", "") or "")

    @language.setter
    def language(self, code: str) -> None:
        self._s.setValue("ui/language", code)

    # --- window state -------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        value = self._get("window/geometry")
        return value if isinstance(value, QByteArray) else None

    def set_geometry(self, value: QByteArray) -> None:
        self._s.setValue("window/geometry", value)

    def splitter(self) -> QByteArray | None:
        value = self._get("window/splitter")
        return value if isinstance(value, QByteArray) else None

    def set_splitter(self, value: QByteArray) -> None:
        self._s.setValue("window/splitter", value)

    @property
    def settings_panel_visible(self) -> bool:
        return str(self._get("window/settingsPanel", "true")).lower() == "true"

    @settings_panel_visible.setter
    def settings_panel_visible(self, visible: bool) -> None:
        self._s.setValue("window/settingsPanel", "true" if visible else "false")

    def _get_int(self, key: str) -> int | None:
        value = self._get(key)
        try:
            return int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None

    @property
    def last_conversation(self) -> int | None:
        return self._get_int("window/lastConversation")

    @last_conversation.setter
    def last_conversation(self, conversation_id: int | None) -> None:
        self._s.setValue("window/lastConversation", "" if conversation_id is None else conversation_id)

    # --- defaults for new conversations ----------------------------------------------
    @property
    def default_model(self) -> str | None:
        return str(self._get("defaults/model", "") or "") or None

    @default_model.setter
    def default_model(self, path: str | None) -> None:
        self._s.setValue("defaults/model", path or "")

    @property
    def default_system_prompt(self) -> str:
        return str(self._get("defaults/systemPrompt", "") or "")

    @default_system_prompt.setter
    def default_system_prompt(self, text: str) -> None:
        self._s.setValue("defaults/systemPrompt", text)

    @property
    def default_sampling(self) -> dict[str, Any]:
        raw = self._get("defaults/sampling", "")
        try:
            value = json.loads(raw) if raw else {}
        except (TypeError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    @default_sampling.setter
    def default_sampling(self, sampling: dict[str, Any]) -> None:
        self._s.setValue("defaults/sampling", json.dumps(sampling))

    @property
    def default_ctx_size(self) -> int | None:
        return self._get_int("defaults/ctxSize")

    @default_ctx_size.setter
    def default_ctx_size(self, n_ctx: int | None) -> None:
        self._s.setValue("defaults/ctxSize", "" if n_ctx is None else n_ctx)
