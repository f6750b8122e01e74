"""Hearth's engine: models, the llama.cpp worker, conversations. Never imports Qt.

This is the front door: the desktop app and the terminal import from here.
"""
from __future__ import annotations

from .budget import Budget
from .chat import CURRENT, Chat, ChatEvent, ContextTrimmed, Piece, ReplyFinished, ReplyStarted, UserSaved
from .errors import HearthError
from .library import InstalledModel, describe_model, scan_models
from .paths import Paths, paths
from .runtime.client import Done, ModelInfo, Runtime
from .sampling import CancelToken, Sampling
from .store import Conversation, Message, Store

__all__ = [
    "Budget", "CURRENT", "CancelToken", "Chat", "ChatEvent", "ContextTrimmed", "Conversation", "Done",
    "HearthError", "InstalledModel", "Message", "ModelInfo", "Paths", "Piece", "ReplyFinished", "ReplyStarted",
    "Runtime", "Sampling", "Store", "UserSaved", "describe_model", "paths", "scan_models",
]
