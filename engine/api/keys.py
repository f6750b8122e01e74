"""The local API's key: made at random on first use, kept in the home's config folder (never SQLite).

The file is created with mode 0600 so other users of the computer cannot read it; keys are
compared with :func:`hmac.compare_digest` so a wrong guess takes as long as a right one.
"""
from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

KEY_FILE = "api-key"


def key_path(home: Path) -> Path:
    """Where the key of the Hearth home ``home`` lives."""
    return home / "config" / KEY_FILE


def load_or_create_key(home: Path) -> tuple[str, bool]:
    """The home's API key and whether it was made just now (show it once, then never again)."""
    path = key_path(home)
    if path.exists():
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key, False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = "hearth-" + secrets.token_urlsafe(32)
    # O_EXCL with 0600 at creation: the key is never readable by others, not even for a moment
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    os.replace(tmp, path)
    return key, True


def key_matches(expected: str, offered: str | None) -> bool:
    """Whether ``offered`` is the key, in constant time."""
    if offered is None:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), offered.encode("utf-8", "replace"))
