"""Conversations with a model: send, regenerate, edit, streamed and stored.

- ``service`` — :class:`Chat`, the turn: save the user's message, fit the
  prompt, retrieve knowledge, stream the reply into the store as it grows.
- ``events`` — what a turn yields (``UserSaved``, ``ReplyStarted``, ``Piece`` …).
- ``turns`` — a user's turn as the model reads it (image markers, documents
  in fenced blocks).
- ``fitting`` — the overflow policy: fit a conversation into the context
  window (drop the oldest turns, or refuse), never silently.
- ``meter`` — the context meter's measure (:class:`Budget`).
- ``reasoning`` — a reply's "thinking" split from its answer.
- ``attachments`` — preparing attached files (images checked and decoded,
  documents parsed under limits) before they are sent.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from engine.lazy import front_door

_WHERE = {
    "Chat": ".service", "CURRENT": ".service",
    "ChatEvent": ".events", "UserSaved": ".events", "ContextTrimmed": ".events", "KnowledgeRetrieved": ".events",
    "ReplyStarted": ".events", "Piece": ".events", "ReplyFinished": ".events", "SummaryProgress": ".events",
    "wants_summary": ".summary",
    "Budget": ".meter", "measure_budget": ".meter", "fit_prompt": ".fitting", "POLICIES": ".fitting",
    "prepare": ".attachments", "prepare_image_bytes": ".attachments", "load_rgb": ".attachments",
}
__all__ = sorted(_WHERE)
__getattr__ = front_door(__name__, _WHERE, globals())

if TYPE_CHECKING:
    from .attachments import load_rgb, prepare, prepare_image_bytes
    from .events import (ChatEvent, ContextTrimmed, KnowledgeRetrieved, Piece, ReplyFinished, ReplyStarted,
                         SummaryProgress, UserSaved)
    from .summary import wants_summary
    from .fitting import POLICIES, fit_prompt
    from .meter import Budget, measure_budget
    from .service import CURRENT, Chat
