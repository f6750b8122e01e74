"""Hearth's storage: conversations and their message trees in SQLite."""
from __future__ import annotations

from engine.store.records import Conversation, Message, SearchHit
from engine.store.store import Store

__all__ = ["Conversation", "Message", "SearchHit", "Store"]
