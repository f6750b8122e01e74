"""Errors of talking to other programs over HTTP: remote engines Hearth uses as backends, and the
local OpenAI-compatible API Hearth serves. Part of :mod:`engine.errors`' one hierarchy (re-exported
there); each says what happened and what to do.
"""
from __future__ import annotations

from engine.errors import ContextError, HearthError

__all__ = ["RemoteError", "RemoteUnreachable", "RemoteNotFound", "RemoteAuthFailed", "RemoteLoading", "RemoteRateLimited", "RemoteTLSFailed", "RemoteServerError", "RemoteReplyInvalid", "RemoteContextExceeded", "BackendNotFound", "BackendExists", "ApiError", "ApiKeyRequired", "ApiBindFailed"]


class RemoteError(HearthError):
    """A remote backend (llama-server, vLLM, Ollama…) could not be used."""

    hint = "Check the backend with `hearth backends test NAME` and that its server is running."


class RemoteUnreachable(RemoteError):
    """Nothing answered at the backend's address (refused, unknown host, timed out)."""

    hint = "Start the server, or check the address and port (and any firewall between)."


class RemoteNotFound(RemoteError):
    """404: usually a base URL without the API's path (``/v1``), or a model the server does not serve."""

    hint = ("Check the base URL: OpenAI-compatible servers answer under /v1 (for example "
            "http://host:8080/v1), and the model name (`hearth backends test NAME` lists them).")


class RemoteAuthFailed(RemoteError):
    """401/403: the server wants an API key, or refused the one given."""

    hint = "Set the server's API key again: `hearth backends add NAME URL --api-key-env VAR` (it is kept in the keychain)."


class RemoteLoading(RemoteError):
    """503: the server is up but still loading its model."""

    hint = "Wait until the server has loaded its model, then try again."


class RemoteRateLimited(RemoteError):
    """429: the server is busy with other clients."""

    hint = "The server is busy: try again in a moment, or add another backend serving the same model."


class RemoteTLSFailed(RemoteError):
    """The HTTPS handshake failed (certificate, or https:// to a plain-http server)."""

    hint = ("Check the address: use http:// for a server without TLS, or install the server's certificate "
            "authority. Hearth does not send anything over an unverified connection.")


class RemoteServerError(RemoteError):
    """The server failed (5xx), or reported an error in the middle of a reply."""

    hint = "The server failed while answering. Look at its log, then try again."


class RemoteReplyInvalid(RemoteError):
    """The server answered, but not in the OpenAI-compatible format."""

    hint = "Check that the base URL points to an OpenAI-compatible API and that the right preset is chosen."


class RemoteContextExceeded(ContextError):
    """The server refused the conversation as longer than its context window."""

    hint = ("Shorten the message or start a new conversation, or restart the server with a larger context "
            "(llama-server -c, vLLM --max-model-len, Ollama num_ctx).")


class BackendNotFound(RemoteError, KeyError):
    hint = "Check the name with `hearth backends list`, or add it with `hearth backends add NAME URL`."


class BackendExists(RemoteError):
    hint = "Pick another name, or remove the existing backend first with `hearth backends rm NAME`."


# --- the local API (hearth serve) ---------------------------------------------

class ApiError(HearthError):
    """Hearth's own API server could not start."""


class ApiKeyRequired(ApiError):
    """A bind other than loopback without an API key."""

    hint = ("Serve on 127.0.0.1 (the default), or give the server a key: `hearth serve --host ... ` makes "
            "one on first use and prints where it is kept.")


class ApiBindFailed(ApiError):
    """The port is taken or the address is not this computer's."""

    hint = "Choose another port with --port, or stop the program that uses this one."
