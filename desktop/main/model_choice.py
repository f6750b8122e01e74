"""Which model, at which context size, answers a conversation's next reply.

The settings panel shows these figures and the window loads exactly them, so the picker, the context
slider, the status bar and the reply's reproducibility record agree: a conversation never runs at
"whatever happens to be loaded". A conversation stored without a model or a context is bound to the
ones that will answer it (``bound``).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

from engine import Conversation, InstalledModel, ModelInfo

from desktop.background.engine import ModelWanted

CTX_MIN = 512
CTX_STEP = 256
CTX_FALLBACK_MAX = 32768     # no model chosen (or its trained context is unknown)
CTX_DEFAULT = 4096           # the runtime's own default, when the model was trained for at least this


def trained_context(model: InstalledModel | None) -> int:
    """The largest context the panel offers for ``model``."""
    if model is None or model.context_length <= 0:
        return CTX_FALLBACK_MAX
    return max(CTX_MIN, model.context_length)


def effective_context(model: InstalledModel | None, ctx_size: int | None) -> int | None:
    """The context a reply with ``model`` runs at for a stored ``ctx_size`` (None: the default, 4,096 or
    the trained context if smaller); past the trained context it is cut to it. Unknown model: ``ctx_size``
    as it is (the runtime decides)."""
    if model is None:
        return ctx_size
    high = trained_context(model)
    return min(high, ctx_size if ctx_size is not None else min(CTX_DEFAULT, high))


def installed(models: Sequence[InstalledModel], path: str | None) -> InstalledModel | None:
    """The installed model at ``path`` (spelled any way that resolves to it)."""
    resolved = Path(path).expanduser().resolve() if path else None
    return next((m for m in models if m.path == resolved or str(m.path) == path), None)


def new_chat_model(models: Sequence[InstalledModel], *, preferred: str | None, scanned: bool,
                   shown: str | None, loaded: str | None) -> str | None:
    """The model a new chat gets: the preferred one (Settings → default model, while it is installed), else
    the shown chat's (the last used), else the loaded one, else the first installed -- spelled as the
    installed list spells it, so the picker finds it."""
    if preferred and scanned and installed(models, preferred) is None:
        preferred = None
    for path in (preferred, shown, loaded):
        if path:
            model = installed(models, path)
            return str(model.path) if model else path
    return str(models[0].path) if models else None


def wanted(conv: Conversation | None, models: Sequence[InstalledModel], prefs: Any, *, shown: Conversation | None,
           loaded: ModelInfo | None, scanned: bool, remote: str | None = None) -> ModelWanted | None:
    """What ``conv``'s next reply runs at (for none, a new chat's). ``prefs``: the window's (default model and
    context of new chats); ``shown``: the conversation on screen; ``scanned``: whether ``models`` is known;
    ``remote``: a backend's model, for a new chat when nothing else is there."""
    new_chat = new_chat_model(models, preferred=prefs.default_model, scanned=scanned,
                              shown=shown.model_path if shown else None,
                              loaded=loaded.path if loaded else None) or remote
    path = (conv.model_path if conv else None) or new_chat
    if not path:
        return None
    stored = conv.ctx_size if conv is not None and conv.ctx_size is not None else prefs.default_ctx_size
    return ModelWanted(path, effective_context(installed(models, path), stored))


def bound(conv: Conversation, answer: ModelWanted | None) -> tuple[Conversation, dict[str, Any]]:
    """``conv`` naming the model and context that answer it, and the fields to store for that ({}: it did)."""
    fields: dict[str, Any] = {}
    if answer is not None and conv.model_path is None:
        fields["model_path"] = answer.path
    if answer is not None and conv.ctx_size is None and answer.n_ctx is not None:
        fields["ctx_size"] = answer.n_ctx
    return (replace(conv, **fields) if fields else conv), fields
