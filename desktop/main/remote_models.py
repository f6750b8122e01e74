"""The remote models the chat's model picker offers: one per backend, spelled as conversations store them.

A backend names the model it serves (or none: the server's first); the picker shows "model · backend"
and stores ``remote://backend/model``. Read on the database thread (the store belongs to it); keys are
not read here, only whether a backend needs one is not the picker's business.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine import Store, remote_path
from engine.remote.backends import Backends


@dataclass(frozen=True)
class RemoteChoice:
    """One remote model for the picker: where it is stored, what it is called, and its context if typed."""

    path: str
    model: str
    backend: str
    context_window: int | None


def remote_choices(store: Store) -> list[RemoteChoice]:
    """The backends that name a model, in failover order, one entry per (backend, model)."""
    out = []
    for backend in Backends(store).list(with_keys=False):
        if backend.model:
            out.append(RemoteChoice(remote_path(backend.name, backend.model), backend.model, backend.name,
                                    backend.context_window))
    return out
