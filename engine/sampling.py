"""Sampling settings for one reply, and the cancel flag a caller holds.

A ``Sampling`` is stored with every reply (with its concrete seed), so a
regenerate with the same settings reproduces the reply exactly.
"""
from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable, Mapping


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    repeat_last_n: int = 64
    seed: int | None = None          # None: a fresh random seed per reply (recorded)
    max_tokens: int = 1024
    stop: tuple[str, ...] = ()
    thinking: bool | None = None     # a reasoning model thinks first (None: its chat template's default)

    def resolved(self) -> "Sampling":
        """The same settings with a concrete seed."""
        if self.seed is not None:
            return self
        return replace(self, seed=random.randrange(0, 2**31 - 1))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stop"] = list(self.stop)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Sampling":
        if not data:
            return cls()
        known = {f for f in cls.__dataclass_fields__}
        kwargs = {k: v for k, v in data.items() if k in known}
        if "stop" in kwargs:
            kwargs["stop"] = tuple(kwargs["stop"] or ())
        return cls(**kwargs)


@dataclass
class CancelToken:
    """A flag set from any thread; generation checks it between tokens.

    Hooks registered by the runtime forward the flag to the worker process
    immediately, so cancel never waits behind the work it should stop.
    """

    _event: threading.Event = field(default_factory=threading.Event)
    _hooks: list[Callable[[], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def cancel(self) -> None:
        with self._lock:
            self._event.set()
            hooks = list(self._hooks)
        for hook in hooks:
            hook()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def on_cancel(self, hook: Callable[[], None]) -> Callable[[], None]:
        """Run ``hook`` on cancel (at once if already cancelled); returns an unregister function."""
        with self._lock:
            already = self._event.is_set()
            if not already:
                self._hooks.append(hook)
        if already:
            hook()

        def remove() -> None:
            with self._lock:
                if hook in self._hooks:
                    self._hooks.remove(hook)
        return remove
