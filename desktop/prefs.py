"""The window's preferences: language, theme, geometry, panels, defaults for new chats, engine options.

Kept in an INI file inside the Hearth home (``Paths.settings``), so tests and
portable installs never touch the user's registry or ~/.config.
"""
from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from engine import Paths

THEMES = ("system", "light", "dark")
API_PORT = 8337   # as `hearth serve`


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

    # --- application settings (the Settings window) ---------------------------------------
    @property
    def theme(self) -> str:
        """"system", "light" or "dark"."""
        value = str(self._get("ui/theme", "system") or "system")
        return value if value in THEMES else "system"

    @theme.setter
    def theme(self, value: str) -> None:
        self._s.setValue("ui/theme", value if value in THEMES else "system")

    @property
    def font_size(self) -> int | None:
        """The interface font's point size; None: the system's."""
        return self._get_int("ui/fontSize")

    @font_size.setter
    def font_size(self, points: int | None) -> None:
        self._s.setValue("ui/fontSize", "" if points is None else points)

    @property
    def offline(self) -> bool:
        """Offline mode: Hearth makes no network request (the Hub features are off)."""
        return str(self._get("network/offline", "false")).lower() == "true"

    @offline.setter
    def offline(self, on: bool) -> None:
        self._s.setValue("network/offline", "true" if on else "false")

    @property
    def threads(self) -> int | None:
        """llama.cpp's CPU threads; None: as many as the cores Hearth may use."""
        return self._get_int("engine/threads")

    @threads.setter
    def threads(self, n: int | None) -> None:
        self._s.setValue("engine/threads", "" if n is None else n)

    @property
    def gpu_layers(self) -> int | None:
        """Layers offloaded to the GPU; None: automatic (all of them when there is a GPU)."""
        return self._get_int("engine/gpuLayers")

    @gpu_layers.setter
    def gpu_layers(self, n: int | None) -> None:
        self._s.setValue("engine/gpuLayers", "" if n is None else n)

    @property
    def default_embedder(self) -> str | None:
        """The embedding model of new knowledge collections (a .gguf path); None: Hearth's default."""
        return str(self._get("defaults/embedder", "") or "") or None

    @default_embedder.setter
    def default_embedder(self, path: str | None) -> None:
        self._s.setValue("defaults/embedder", path or "")

    # --- the local API server (Settings → Local API server) ----------------------------------
    @property
    def api_enabled(self) -> bool:
        """Whether the window serves the API (started again at the next launch while on); off by default."""
        return str(self._get("api/enabled", "false")).lower() == "true"

    @api_enabled.setter
    def api_enabled(self, on: bool) -> None:
        self._s.setValue("api/enabled", "true" if on else "false")

    @property
    def api_port(self) -> int:
        """The API's port; ``hearth serve``'s default unless changed."""
        port = self._get_int("api/port")
        return port if port is not None and 0 < port < 65536 else API_PORT

    @api_port.setter
    def api_port(self, port: int) -> None:
        self._s.setValue("api/port", port)

    @property
    def api_lan(self) -> bool:
        """Whether other computers may reach the API (binds 0.0.0.0; the key is always required)."""
        return str(self._get("api/lan", "false")).lower() == "true"

    @api_lan.setter
    def api_lan(self, on: bool) -> None:
        self._s.setValue("api/lan", "true" if on else "false")

    @property
    def api_store(self) -> bool:
        """Whether the API's chats are kept as conversations (off by default: other programs' prompts)."""
        return str(self._get("api/store", "false")).lower() == "true"

    @api_store.setter
    def api_store(self, on: bool) -> None:
        self._s.setValue("api/store", "true" if on else "false")

    def load_options(self) -> dict[str, Any]:
        """The ``Runtime.load`` keywords the settings ask for (threads, GPU layers)."""
        layers = self.gpu_layers
        return {"n_threads": self.threads, "n_gpu_layers": "auto" if layers is None else layers}
