"""The form that adds or edits a remote backend (Models → Backends → Add… / Edit…).

Kind of server (a preset, which fills in its usual address), name, base URL, API key, model, context
window and what the model can do. The key field is a password field and is never filled in: editing a
backend whose key is set leaves the field empty, and empty keeps the stored key unless "Remove the key"
is ticked. A key that would travel over plain http to another machine is warned about as it is typed.
"List models" asks the server off the GUI thread (the panel's network thread); the form never touches
the database: the panel stores what :meth:`BackendDialog.result_backend` gives.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from engine import errors
from engine.remote import PRESETS, Backend, list_models
from engine.remote.keys import keychain_available

from desktop.background.jobs import WorkThread
from desktop.grow import grow_to_fit
from desktop.models.backend_texts import error_text
from desktop.plain import plain_label, visible

# the address each kind of server listens on by default, on this computer
DEFAULT_URLS: dict[str, str] = {
    "llama-server": "http://127.0.0.1:8080",
    "vllm": "http://127.0.0.1:8000",
    "sglang": "http://127.0.0.1:30000",
    "ollama": "http://127.0.0.1:11434",
    "lmstudio": "http://127.0.0.1:1234",
    "openai-compatible": "",
}
MAX_CONTEXT = 10_000_000


@dataclass(frozen=True)
class BackendEdit:
    """What the form asks to store: the backend (its ``api_key`` is the key typed, if any), the name it had
    before (None: a new one) and what to do with the key: "set" (the typed one), "keep" or "remove"."""

    backend: Backend
    original: str | None
    key_action: str


class BackendDialog(QDialog):
    """Add (``backend`` None) or edit one backend. ``backend`` carries its stored key, which stays inside the
    form (used by "List models" only) and is never shown."""

    def __init__(self, net: WorkThread, backend: Backend | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backendDialog")
        self.net = net
        self.original = backend
        self._stored_key = backend.api_key if backend is not None else None
        self._listing = 0   # the number of the latest "List models" request: older answers are dropped
        self._done = False  # closed: answers still coming from the network thread are dropped
        self.preset = QComboBox(objectName="backendPreset")
        for key, label in PRESETS.items():
            self.preset.addItem(label, key)
        self.name = QLineEdit(objectName="backendName")
        self.url = QLineEdit(objectName="backendUrl")
        self.key = QLineEdit(objectName="backendKey")
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.remove_key = QCheckBox(objectName="backendRemoveKey")
        self.model = QComboBox(objectName="backendModel")
        self.model.setEditable(True)
        self.list_button = QPushButton(objectName="backendListModels")
        self.context = QSpinBox(objectName="backendContext")
        self.context.setRange(0, MAX_CONTEXT)
        self.context.setSingleStep(1024)
        self.vision = QCheckBox(objectName="backendVision")
        self.tools = QCheckBox(objectName="backendTools")
        self.json_schema = QCheckBox(objectName="backendJsonSchema")
        self.http_warning = plain_label(QLabel(objectName="backendHttpWarning"))
        self.http_warning.setWordWrap(True)
        self.http_warning.setStyleSheet("QLabel { color: #b25000; font-weight: bold; }")
        self.keychain_note = plain_label(QLabel(objectName="backendKeychainNote"))
        self.keychain_note.setWordWrap(True)
        self.keychain_note.hide()
        self.list_status = plain_label(QLabel(objectName="backendListStatus"))
        self.list_status.setWordWrap(True)
        self.problem = plain_label(QLabel(objectName="backendProblem"))
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("QLabel { color: #c00000; }")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        self.labels = {key: QLabel() for key in ("preset", "name", "url", "key", "model", "context", "can")}
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(self.list_button)
        caps = QHBoxLayout()
        for box in (self.vision, self.tools, self.json_schema):
            caps.addWidget(box)
        caps.addStretch(1)
        form = QFormLayout()
        form.addRow(self.labels["preset"], self.preset)
        form.addRow(self.labels["name"], self.name)
        form.addRow(self.labels["url"], self.url)
        form.addRow(self.labels["key"], self.key)
        form.addRow("", self.remove_key)
        form.addRow("", self.http_warning)
        form.addRow("", self.keychain_note)
        form.addRow(self.labels["model"], model_row)
        form.addRow("", self.list_status)
        form.addRow(self.labels["context"], self.context)
        form.addRow(self.labels["can"], caps)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

        self.setWindowFlag(Qt.WindowType.WindowContextHelpButtonHint, False)
        self._fill(backend)
        self.retranslate()
        self.preset.currentIndexChanged.connect(self._preset_chosen)
        self.url.textChanged.connect(self._update_warning)
        self.key.textChanged.connect(self._update_warning)
        self.remove_key.toggled.connect(self._update_warning)
        self.list_button.clicked.connect(self.list_models)
        self._update_warning()
        self.net.submit(keychain_available, self._show_keychain, lambda _exc: None)
        self.url.setMinimumWidth(380)

    def _fill(self, backend: Backend | None) -> None:
        if backend is None:
            self.preset.setCurrentIndex(self.preset.findData("llama-server"))
            self.url.setText(DEFAULT_URLS["llama-server"])
            self.remove_key.hide()
            return
        self.preset.setCurrentIndex(max(0, self.preset.findData(backend.preset)))
        self.name.setText(backend.name)
        self.url.setText(backend.base_url)
        if backend.model:
            self.model.addItem(backend.model)
            self.model.setCurrentText(backend.model)
        self.context.setValue(backend.context_window or 0)
        self.vision.setChecked(backend.vision)
        self.tools.setChecked(backend.tools)
        self.json_schema.setChecked(backend.json_schema)
        self.remove_key.setVisible(self._stored_key is not None)

    # --- what the user sees --------------------------------------------------------------------
    def _preset_chosen(self) -> None:
        """A new kind of server brings its usual address, unless the user typed one of their own."""
        preset = str(self.preset.currentData())
        typed = self.url.text().strip().rstrip("/")
        defaults = {url for url in DEFAULT_URLS.values()} | {f"{url}/v1" for url in DEFAULT_URLS.values() if url}
        if not typed or typed in defaults:
            self.url.setText(DEFAULT_URLS.get(preset, ""))

    def key_to_send(self) -> str | None:
        """The key a request from this form would carry: the typed one, else the stored one unless removed."""
        typed = self.key.text().strip()
        if typed:
            return typed
        return None if self.remove_key.isChecked() else self._stored_key

    def _update_warning(self) -> None:
        plain_http = False
        try:
            plain_http = Backend("check", self.url.text()).plain_http_to_network
        except errors.HearthError:
            pass
        risky = plain_http and self.key_to_send() is not None
        self.http_warning.setVisible(risky)
        self.http_warning.setText(self.tr("The key would travel unencrypted (plain http) to another computer: "
                                          "anyone on the network between could read it. Use https for a server "
                                          "on another machine.") if risky else "")
        self.key.setEnabled(not self.remove_key.isChecked())
        grow_to_fit(self)

    def _show_keychain(self, available: object) -> None:
        if self._done:
            return
        self.keychain_note.setVisible(not available)
        self.keychain_note.setText(self.tr("This computer has no keychain: a key is kept only until Hearth quits, "
                                           "and you will have to enter it again next time."))
        grow_to_fit(self)

    # --- asking the server ---------------------------------------------------------------------
    def list_models(self) -> None:
        """The server's models into the model list, asked on the network thread."""
        try:
            probe = self._backend(self.key_to_send())
        except errors.HearthError as exc:
            self.list_status.setText(error_text(exc))
            return
        self._listing += 1
        ticket = self._listing
        self.list_button.setEnabled(False)
        self.list_status.setText(self.tr("Asking %1 for its models…").replace("%1", visible(probe.base_url)))
        self.net.submit(lambda: [str(e["id"]) for e in list_models(probe)],
                        lambda ids: self._show_models(ticket, ids), lambda exc: self._list_failed(ticket, exc))

    def _show_models(self, ticket: int, ids: object) -> None:
        if self._done or ticket != self._listing:
            return
        self.list_button.setEnabled(True)
        names = list(ids) if isinstance(ids, list) else []
        typed = self.model.currentText().strip()
        self.model.clear()
        for name in names:
            self.model.addItem(visible(name), name)
        if typed and self.model.findText(typed) < 0:
            self.model.setCurrentText(typed)   # typed by the user: kept, the list offers the rest
        elif typed:
            self.model.setCurrentIndex(self.model.findText(typed))
        self.list_status.setText(self.tr("%n model(s) on the server.", "", len(names)) if names
                                 else self.tr("The server lists no models; type the model's name."))

    def _list_failed(self, ticket: int, exc: object) -> None:
        if self._done or ticket != self._listing:
            return
        self.list_button.setEnabled(True)
        self.list_status.setText(error_text(exc))

    # --- the result ----------------------------------------------------------------------------
    def _model_name(self) -> str | None:
        index = self.model.findText(self.model.currentText())
        data = self.model.itemData(index) if index >= 0 else None
        return str(data or self.model.currentText()).strip() or None

    def _backend(self, key: str | None) -> Backend:
        return Backend(self.name.text().strip() or "unnamed", self.url.text(), preset=str(self.preset.currentData()),
                       model=self._model_name(), api_key=key)

    def result_backend(self) -> BackendEdit:
        """What to store; raises the engine's RemoteError for a missing name or a bad address."""
        typed = self.key.text().strip() or None
        backend = Backend(self.name.text().strip(), self.url.text(), preset=str(self.preset.currentData()),
                          model=self._model_name(), context_window=self.context.value() or None,
                          vision=self.vision.isChecked(), tools=self.tools.isChecked(),
                          json_schema=self.json_schema.isChecked(), api_key=typed)
        if typed:
            action = "set"
        elif self.original is not None and self._stored_key is not None and not self.remove_key.isChecked():
            action = "keep"
        else:
            action = "remove"
        return BackendEdit(backend, self.original.name if self.original is not None else None, action)

    def accept(self) -> None:
        try:
            self.result_backend()
        except errors.HearthError as exc:
            self.problem.setText(error_text(exc))
            return
        self.problem.setText("")
        super().accept()

    def done(self, result: int) -> None:
        self._done = True
        super().done(result)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Edit backend") if self.original is not None else self.tr("Add a backend"))
        for key, text in (("preset", self.tr("Kind of server")), ("name", self.tr("Name")),
                          ("url", self.tr("Address")), ("key", self.tr("API key")), ("model", self.tr("Model")),
                          ("context", self.tr("Context window")), ("can", self.tr("The model can"))):
            self.labels[key].setText(text)
        self.name.setPlaceholderText(self.tr("a short name, e.g. gpu-box"))
        self.url.setPlaceholderText(self.tr("e.g. http://192.168.1.20:8080 (/v1 is added when missing)"))
        self.key.setPlaceholderText(self.tr("a key is set: leave empty to keep it") if self._stored_key is not None
                                    else self.tr("none (leave empty when the server needs no key)"))
        self.key.setToolTip(self.tr("Kept in the system's keychain, never in Hearth's files."))
        self.remove_key.setText(self.tr("Remove the stored key"))
        self.model.lineEdit().setPlaceholderText(self.tr("the server's first model"))
        self.list_button.setText(self.tr("List models"))
        self.context.setSpecialValueText(self.tr("Ask the server"))
        self.context.setSuffix(self.tr(" tokens"))
        self.vision.setText(self.tr("read images"))
        self.tools.setText(self.tr("call tools"))
        self.json_schema.setText(self.tr("follow a JSON schema"))
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(self.tr("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        self.preset.setToolTip(self.tr("Tells Hearth how to ask the server for its context size."))
