"""Remote backends: OpenAI-compatible servers (llama-server, vLLM, SGLang, Ollama, LM Studio…) Hearth chats through.

``backend`` holds the record and its URL rules, ``backends`` stores them (keys in the OS keychain through
``keys``), ``http`` turns HTTP failures into Hearth's errors, ``sse`` parses streamed replies, ``client``
lists models, tests a connection, discovers the context size and streams a chat, and ``failover`` picks
the first healthy backend serving a model. Plain Python: no Qt, no llama.cpp.
"""
from __future__ import annotations

from engine.remote.backend import PRESETS, Backend, normalise_base_url
from engine.remote.backends import Backends
from engine.remote.client import ChatDelta, ChatDone, ConnectionReport, discover_context, list_models, \
    stream_chat, test_connection
from engine.remote.failover import Answer, backends_for_model, stream_with_failover

__all__ = ["PRESETS", "Answer", "Backend", "Backends", "ChatDelta", "ChatDone", "ConnectionReport",
           "backends_for_model", "discover_context", "list_models", "normalise_base_url", "stream_chat",
           "stream_with_failover", "test_connection"]
