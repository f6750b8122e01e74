"""Hearth as a local OpenAI-compatible API server (``hearth serve``).

:class:`~engine.api.server.ApiServer` runs a Starlette app under uvicorn in its
own thread; one worker thread owns the model (:mod:`engine.api.worker`) and
serves queued requests one at a time. Plain Python: no Qt here.
"""
from __future__ import annotations

from engine.api.keys import load_or_create_key
from engine.api.server import ApiConfig, ApiServer

__all__ = ["ApiConfig", "ApiServer", "load_or_create_key"]
