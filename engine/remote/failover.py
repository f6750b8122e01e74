"""Several backends serving the same model: the first healthy one answers, and the caller is told which.

The home scale-out path (one llama-server or Ollama per machine) and the organisation's (a vLLM/SGLang
cluster behind a proxy) both look like this to Hearth. A backend is skipped when it cannot be reached,
is loading (503), is busy (429) or fails (5xx) before the reply starts; once text has streamed, a failure
is reported, never silently replaced by another backend's different answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from engine.errors import RemoteError, RemoteLoading, RemoteRateLimited, RemoteServerError, RemoteUnreachable
from engine.remote.backend import Backend
from engine.remote.client import ChatDelta, ChatDone, stream_chat
from engine.sampling import CancelToken

FAILOVER_ERRORS = (RemoteUnreachable, RemoteLoading, RemoteRateLimited, RemoteServerError)


@dataclass(frozen=True)
class Answer:
    """Who answers this reply, and which backends were skipped before it, with why."""

    backend: str
    base_url: str
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        if not self.skipped:
            return f"answered by {self.backend}"
        why = "; ".join(f"{name}: {reason}" for name, reason in self.skipped)
        return f"answered by {self.backend} (skipped {why})"


def backends_for_model(backends: Iterable[Backend], model: str, *, first: str | None = None) -> list[Backend]:
    """The backends serving ``model``, in the order added, with the one named ``first`` at the front."""
    serving = [b for b in backends if b.model == model or b.name == first]
    return sorted(serving, key=lambda b: b.name != first)


def stream_with_failover(backends: list[Backend], messages: list[dict[str, Any]], *, model: str | None = None,
                         options: dict[str, Any] | None = None, cancel: CancelToken | None = None
                         ) -> Iterator[Answer | ChatDelta | ChatDone]:
    """An ``Answer`` naming the backend that took the request, then its ``ChatDelta``s and ``ChatDone``.

    Raises the last backend's error, listing every backend tried, when none answers.
    """
    if not backends:
        raise RemoteError(f"No backend serves {model!r}.", hint="Add one with `hearth backends add NAME URL "
                          "--model ID`.", reason="no_backend", params={"model": model})
    skipped: list[tuple[str, str]] = []
    last: RemoteError | None = None
    for backend in backends:
        stream = stream_chat(backend, messages, model=model, options=options, cancel=cancel)
        try:
            first = next(stream)
        except FAILOVER_ERRORS as exc:
            skipped.append((backend.name, str(exc)))
            last = exc
            continue
        yield Answer(backend.name, backend.base_url, skipped)
        yield first
        yield from stream
        return
    assert last is not None
    tried = "; ".join(f"{name}: {reason}" for name, reason in skipped)
    raise type(last)(f"No backend serving {model!r} answered. {tried}", hint=last.hint,
                     params={"model": model, "tried": [name for name, _ in skipped]})
