"""The Settings window's "Local API server" group: the switch, its port and reach, and the key shown once.

Off by default. The port and "allow other computers" are chosen while it is off (they apply when it
starts). Turning it on the first time makes the API key, shown here once with a Copy button (and gone
when Settings closes); afterwards the group says where the key is kept. The state line says where it
serves, or why it could not start.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtGui import QGuiApplication, QHideEvent
from PySide6.QtWidgets import (QCheckBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QSpinBox, QWidget)

from desktop.grow import grow_to_fit
from desktop.plain import plain_label, visible
from desktop.settings.api_server import ApiSwitch
from desktop.settings.diagnostics import tilde

MIN_PORT = 1024   # below needs root on Unix


class ApiGroup(QGroupBox):
    def __init__(self, api: ApiSwitch, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsApiGroup")
        self.api = api
        self._filling = False
        self._problem = ""
        self.enabled = QCheckBox(objectName="settingsApiEnabled")
        self.port = QSpinBox(objectName="settingsApiPort")
        self.port.setRange(MIN_PORT, 65535)
        self.port.setGroupSeparatorShown(False)
        self.lan = QCheckBox(objectName="settingsApiLan")
        self.store = QCheckBox(objectName="settingsApiStore")
        self.state = plain_label(QLabel(objectName="settingsApiState"))
        self.state.setWordWrap(True)
        self.key = QLineEdit(objectName="settingsApiKey")
        self.key.setReadOnly(True)
        self.copy = QPushButton(objectName="settingsApiCopyKey")
        self.key_note = plain_label(QLabel(objectName="settingsApiKeyNote"))
        self.key_note.setWordWrap(True)
        self.hint = plain_label(QLabel(objectName="settingsApiHint"))
        self.hint.setWordWrap(True)
        self.port_label = QLabel()
        key_row = QHBoxLayout()
        key_row.addWidget(self.key, 1)
        key_row.addWidget(self.copy)
        self.key_box = QWidget()
        self.key_box.setLayout(key_row)
        key_row.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout(self)
        form.addRow(self.enabled)
        form.addRow(self.port_label, self.port)
        form.addRow(self.lan)
        form.addRow(self.store)
        form.addRow(self.state)
        form.addRow(self.key_box)
        form.addRow(self.key_note)
        form.addRow(self.hint)
        self._show_key(None)
        self._filling = True
        self.port.setValue(api.prefs.api_port)
        self.lan.setChecked(api.prefs.api_lan)
        self.store.setChecked(api.prefs.api_store)
        self.enabled.setChecked(api.state in ("starting", "on"))
        self._filling = False
        self.enabled.toggled.connect(self._toggled)
        self.port.valueChanged.connect(self._port_chosen)
        self.lan.toggled.connect(self._lan_chosen)
        self.store.toggled.connect(self._store_chosen)
        self.copy.clicked.connect(self.copy_key)
        api.running.connect(self._running)
        api.failed.connect(self._failed)
        api.key_made.connect(self._show_key)
        self.retranslate()

    # --- the user's choices -------------------------------------------------------------------------
    def _toggled(self, on: bool) -> None:
        if self._filling:
            return
        self._problem = ""
        if on:
            self.api.turn_on()
        else:
            self.api.turn_off()
        self._update()

    def _port_chosen(self, port: int) -> None:
        if not self._filling:
            self.api.prefs.api_port = port
            self.api.prefs.sync()

    def _store_chosen(self, on: bool) -> None:
        if not self._filling:
            self.api.prefs.api_store = on
            self.api.prefs.sync()

    def _lan_chosen(self, on: bool) -> None:
        if not self._filling:
            self.api.prefs.api_lan = on
            self.api.prefs.sync()
            self._update()

    def copy_key(self) -> None:
        QGuiApplication.clipboard().setText(self.key.text())
        self.key_note.setText(self.tr("Copied. This key is shown only now: keep it where your programs can "
                                      "read it."))

    # --- what the switch says ------------------------------------------------------------------------
    def _running(self, _url: object) -> None:
        self._filling = True
        self.enabled.setChecked(self.api.state in ("starting", "on"))
        self._filling = False
        self._update()

    def _failed(self, text: str) -> None:
        self._problem = text
        self._update()

    def _show_key(self, key: str | None) -> None:
        self.key.setText(key or "")
        self.key_box.setVisible(bool(key))
        self.key_note.setVisible(bool(key))
        if key:
            self.key_note.setText(self.tr("The API key, shown this once: copy it now. Programs send it as "
                                          "“Authorization: Bearer <key>”."))
            grow_to_fit(self)

    def _update(self) -> None:
        state = self.api.state
        self.port.setEnabled(state == "off")
        self.lan.setEnabled(state == "off")
        self.store.setEnabled(state == "off")
        if self._problem:
            text = self._problem
        elif state == "starting":
            text = self.tr("Starting…")
        elif state == "stopping":
            text = self.tr("Stopping…")
        elif state == "on":
            text = self.tr("Serving at %1").replace("%1", visible(self.api.url or ""))
        else:
            text = self.tr("Off.")
        self.state.setText(text)
        hint = self.tr("Editors, scripts and Open WebUI reach your models and knowledge collections at this "
                       "address with the API key (kept in %1). The server loads its own copy of the default "
                       "chat model.").replace("%1", tilde(self.api.key_file))
        if self.lan.isChecked():
            hint += " " + self.tr("Anyone on your network who has the key can use your models and read your "
                                  "knowledge collections.")
        self.hint.setText(hint)
        grow_to_fit(self)

    def retranslate(self) -> None:
        self.setTitle(self.tr("Local API server"))
        self.enabled.setText(self.tr("Serve Hearth's models to other programs (OpenAI-compatible API)"))
        self.port_label.setText(self.tr("Port"))
        self.lan.setText(self.tr("Allow other computers on the network"))
        self.store.setText(self.tr("Keep the API's chats as conversations"))
        self.store.setToolTip(self.tr("Off: what other programs send is answered and forgotten (never logged). On: "
                                      "each request and its reply is kept as a conversation titled “API · …”."))
        self.copy.setText(self.tr("Copy"))
        self.port.setToolTip(self.tr("The port and the reach apply when the server starts: turn it off to change "
                                     "them."))
        self.lan.setToolTip(self.tr("Off: only this computer can connect (127.0.0.1). On: other computers can, "
                                    "with the API key."))
        self._update()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        self._show_key(None)   # shown once: not again when Settings opens next
        super().hideEvent(event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
