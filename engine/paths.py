"""Where Hearth keeps its files: one place resolves every path.

The platform's user data directory is the default; the ``HEARTH_HOME``
environment variable overrides it (tests point it at a temporary folder).
Paths are computed when asked for, never frozen at import time.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

ENV_HOME = "HEARTH_HOME"


@dataclass(frozen=True)
class Paths:
    """The folders and files of one Hearth home."""

    home: Path

    @property
    def database(self) -> Path:
        return self.home / "hearth.db"

    @property
    def models(self) -> Path:
        return self.home / "models"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def cache(self) -> Path:
        return self.home / "cache"

    @property
    def attachments(self) -> Path:
        """Copies of the files attached to messages, by content: ``attachments/ab/<sha256><suffix>``."""
        return self.home / "attachments"

    @property
    def backups(self) -> Path:
        """Copies of the database (``VACUUM INTO``): daily and before each schema change, the newest 7 kept."""
        return self.home / "backups"

    @property
    def settings(self) -> Path:
        """The window's preferences (an INI file written by Qt)."""
        return self.home / "settings.ini"

    @property
    def runtime_log(self) -> Path:
        """llama.cpp's own messages (native stderr of the worker process)."""
        return self.logs / "llama.log"

    def ensure(self) -> "Paths":
        for folder in (self.home, self.models, self.logs, self.cache):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def user_home() -> Path:
    """The Hearth home folder: ``$HEARTH_HOME`` or the platform data dir."""
    override = os.environ.get(ENV_HOME)
    if override:
        return Path(override).expanduser().resolve()
    return Path(platformdirs.user_data_dir("Hearth", appauthor=False))


def paths() -> Paths:
    """The current home's paths, created if missing."""
    return Paths(user_home()).ensure()


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; best effort)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
