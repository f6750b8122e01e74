"""Hearth's engine: models, the llama.cpp worker, conversations, knowledge. Never imports Qt.

This is the front door: the desktop app and the terminal import from here
(or from a feature's own front door: ``engine.chat``, ``engine.knowledge``,
``engine.models``, ``engine.hub``, ``engine.store``). Names are loaded on
first use (:mod:`engine.lazy`), so the llama.cpp worker, which imports only
``engine.runtime.native``, never pulls in the database layer.

The layers, enforced by the import-linter contract in ``pyproject.toml``:
``home`` → ``chat`` → ``knowledge`` → ``remote`` → ``hub`` / ``runtime`` → ``models`` →
``store`` → the leaves (errors, paths, sampling, child processes, hashing,
images, machine).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

# Small and safe everywhere; loaded now so that the function ``paths`` is not
# shadowed by the submodule of the same name when that gets imported later.
from .errors import HearthError
from .lazy import front_door
from .paths import Paths, paths
from .sampling import CancelToken, Sampling

_WHERE = {
    "Home": ".home", "open_home": ".home",
    "Attachment": ".store.attachment_files", "prepare_attachment": ".chat.attachments",
    "Budget": ".chat.meter",
    "CURRENT": ".chat.service", "Chat": ".chat.service", "ChatEvent": ".chat.events",
    "ContextTrimmed": ".chat.events", "Piece": ".chat.events", "ReplyFinished": ".chat.events",
    "ReplyStarted": ".chat.events", "UserSaved": ".chat.events", "KnowledgeRetrieved": ".chat.events",
    "SummaryProgress": ".chat.events", "wants_summary": ".chat.summary",
    "KnowledgeBase": ".knowledge.base", "Hit": ".knowledge.records", "IndexProgress": ".knowledge.indexer",
    "InstalledModel": ".models.files", "describe_model": ".models.files", "scan_models": ".models.files",
    "Done": ".runtime.client", "ModelInfo": ".runtime.client", "Runtime": ".runtime.client",
    "parse_remote_path": ".remote.runtime", "remote_path": ".remote.runtime",
    "Conversation": ".store", "Message": ".store", "Store": ".store",
}

__all__ = sorted([*_WHERE, "CancelToken", "HearthError", "Paths", "Sampling", "paths"])
__getattr__ = front_door(__name__, _WHERE, globals())

if TYPE_CHECKING:
    from .chat.attachments import prepare_attachment
    from .chat.events import (ChatEvent, ContextTrimmed, KnowledgeRetrieved, Piece, ReplyFinished, ReplyStarted,
                              SummaryProgress, UserSaved)
    from .chat.summary import wants_summary
    from .chat.meter import Budget
    from .chat.service import CURRENT, Chat
    from .home import Home, open_home
    from .knowledge.base import KnowledgeBase
    from .knowledge.indexer import IndexProgress
    from .knowledge.records import Hit
    from .models.files import InstalledModel, describe_model, scan_models
    from .remote.runtime import parse_remote_path, remote_path
    from .runtime.client import Done, ModelInfo, Runtime
    from .store import Conversation, Message, Store
    from .store.attachment_files import Attachment
