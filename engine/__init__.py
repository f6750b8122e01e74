"""Hearth's engine: models, the llama.cpp worker, conversations. Never imports Qt.

This is the front door: the desktop app and the terminal import from here.
Names are loaded on first use (PEP 562), so a process that needs one part
(the llama.cpp worker imports only ``engine.runtime.native``) does not load
the rest: the worker must not pull in the database layer, whose optional
imports (pandas, pyarrow) crash llama.cpp's CUDA loader when present.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Small and safe everywhere; loaded now so that the function ``paths`` is not
# shadowed by the submodule of the same name when that gets imported later.
from .errors import HearthError
from .paths import Paths, paths
from .sampling import CancelToken, Sampling

_WHERE = {
    "Attachment": ".attachments", "prepare_attachment": ".attachments",
    "Budget": ".budget",
    "CURRENT": ".chat", "Chat": ".chat", "ChatEvent": ".chat", "ContextTrimmed": ".chat", "Piece": ".chat",
    "ReplyFinished": ".chat", "ReplyStarted": ".chat", "UserSaved": ".chat", "KnowledgeRetrieved": ".chat",
    "KnowledgeBase": ".kb.knowledge", "Hit": ".kb.records", "Progress": ".kb.indexer",
    "InstalledModel": ".library", "describe_model": ".library", "scan_models": ".library",
    "Done": ".runtime.client", "ModelInfo": ".runtime.client", "Runtime": ".runtime.client",
    "Conversation": ".store", "Message": ".store", "Store": ".store",
}

__all__ = sorted([*_WHERE, "CancelToken", "HearthError", "Paths", "Sampling", "paths"])


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        try:  # a submodule such as engine.errors
            return import_module(f".{name}", __name__)
        except ModuleNotFoundError:
            raise AttributeError(f"module 'engine' has no attribute {name!r}") from None
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from .attachments import Attachment, prepare_attachment
    from .budget import Budget
    from .chat import (CURRENT, Chat, ChatEvent, ContextTrimmed, KnowledgeRetrieved, Piece, ReplyFinished,
                       ReplyStarted, UserSaved)
    from .kb.indexer import Progress
    from .kb.knowledge import KnowledgeBase
    from .kb.records import Hit
    from .library import InstalledModel, describe_model, scan_models
    from .runtime.client import Done, ModelInfo, Runtime
    from .store import Conversation, Message, Store
