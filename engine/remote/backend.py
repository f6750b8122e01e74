"""The record of one remote backend, and the rules for its base URL.

A backend is a server speaking the OpenAI chat API. Its base URL is kept in one shape, the API root
(``http://host:8080/v1``): ``/v1`` is appended when missing and a trailing slash dropped, so that what a
user pastes (``http://host:8080``, ``http://host:8080/v1/``) works, as Jan normalises it.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from urllib.parse import urlsplit, urlunsplit

from engine.errors import RemoteError

# preset → what it is, for `hearth backends add --preset`; how each reports its context size is in client.py
PRESETS: dict[str, str] = {
    "llama-server": "llama.cpp's llama-server",
    "vllm": "vLLM",
    "sglang": "SGLang",
    "ollama": "Ollama (its OpenAI-compatible /v1 API)",
    "lmstudio": "LM Studio",
    "openai-compatible": "any other OpenAI-compatible server",
}


def normalise_base_url(url: str) -> str:
    """``http://host:8080`` or ``http://host:8080/v1/`` → ``http://host:8080/v1``.

    A path that already ends in a version segment (``/v1``, ``/api/v1``, ``/openai/v1``) is kept as it is.
    """
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RemoteError(f"{url!r} is not an http:// or https:// address.",
                          hint="Give the server's address, for example http://192.168.1.20:8080/v1.",
                          reason="bad_url", params={"url": url})
    path = parts.path.rstrip("/")
    last = path.rsplit("/", 1)[-1]
    if not (len(last) >= 2 and last[0] == "v" and last[1:].isdigit()):
        path = f"{path}/v1"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def server_root(base_url: str) -> str:
    """The server's root, without the API's ``/v1``: where llama-server's /props and Ollama's /api live."""
    parts = urlsplit(base_url)
    path = parts.path
    if path.endswith("/v1"):
        path = path[: -len("/v1")]
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def is_loopback(base_url: str) -> bool:
    """Whether the address is this computer (a key sent over plain http there stays on the machine)."""
    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Backend:
    """One remote server. ``api_key`` is filled from the keychain when loaded, never stored in the database."""

    name: str
    base_url: str
    preset: str = "openai-compatible"
    model: str | None = None              # the model to ask for (None: the server's only or first model)
    context_window: int | None = None     # tokens; None: discovered from the server
    vision: bool = False
    tools: bool = False
    json_schema: bool = False
    api_key: str | None = None

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise RemoteError(f"Unknown backend preset {self.preset!r}.",
                              hint="Choose one of: " + ", ".join(PRESETS) + ".", reason="bad_preset",
                              params={"preset": self.preset})
        if not self.name.strip():
            raise RemoteError("A backend needs a name.", hint="Give it a short name, for example 'desktop-gpu'.",
                              reason="no_name")
        object.__setattr__(self, "base_url", normalise_base_url(self.base_url))

    @property
    def plain_http_to_network(self) -> bool:
        """A key would travel unencrypted to another machine: the user is warned before it is sent."""
        return urlsplit(self.base_url).scheme == "http" and not is_loopback(self.base_url)

    def with_key(self, api_key: str | None) -> "Backend":
        return replace(self, api_key=api_key)

    def __repr__(self) -> str:   # never print a key into a log or a traceback
        key = "set" if self.api_key else "none"
        return f"Backend(name={self.name!r}, base_url={self.base_url!r}, preset={self.preset!r}, " \
               f"model={self.model!r}, key={key})"
