"""Download progress: the :class:`DownloadProgress` reports and the reporter that throttles them.

Reports go to a plain callback (a GUI signal, a terminal line): nothing here needs
a terminal, and nothing prints. While bytes flow, at most one report per
``interval`` seconds is sent; state changes are always sent.
"""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

RATE_WINDOW_S = 5.0     # bytes_per_s is averaged over this window


@dataclass(frozen=True)
class DownloadProgress:
    """One progress report; ``done_bytes`` counts bytes of ``filename`` on disk (or hashed, when checking)."""

    filename: str
    done_bytes: int
    total_bytes: int
    bytes_per_s: float
    eta_s: float | None
    state: str  # "checking" | "downloading" | "retrying" | "verifying" | "done"


class Reporter:
    """Turns byte counts into throttled DownloadProgress reports with a windowed rate and an ETA."""

    def __init__(self, callback: Callable[[DownloadProgress], None] | None, interval: Callable[[], float]) -> None:
        self.callback = callback
        self.interval = interval            # read at each report (tests shorten it)
        self.samples: deque[tuple[float, int]] = deque()
        self.last = 0.0

    def reset(self) -> None:
        """Forget the rate (a new file, or a restart from byte 0)."""
        self.samples.clear()

    def __call__(self, filename: str, done: int, total: int, state: str, *, force: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if state != "downloading":
            self.samples.clear()
        elif not force and done < total and now - self.last < self.interval():
            return
        self.last = now
        rate = 0.0
        if state == "downloading":
            self.samples.append((now, done))
            while len(self.samples) > 2 and now - self.samples[0][0] > RATE_WINDOW_S:
                self.samples.popleft()
            (t0, d0), (t1, d1) = self.samples[0], self.samples[-1]
            rate = max(0.0, (d1 - d0) / (t1 - t0)) if t1 > t0 else 0.0
        eta = 0.0 if state == "done" else (total - done) / rate if rate > 0 else None
        self.callback(DownloadProgress(filename, done, total, rate, eta, state))
