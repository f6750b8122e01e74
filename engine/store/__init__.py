"""Hearth's storage: conversations and their message trees in SQLite."""
from __future__ import annotations

from engine.store.records import Conversation, Message, SearchHit
from engine.store.store import Store
from engine.store.transactions import write

__all__ = ["Conversation", "Message", "SearchHit", "Store", "write"]
