"""API keys of remote backends: in the OS keychain (``keyring``), never in SQLite, settings or logs.

macOS Keychain, Windows Credential Locker, Secret Service/KWallet on Linux. On a machine with no keychain
(headless Linux: keyring's ``fail`` or ``null`` backend) a key is kept in this process's memory only, for
the session, and ``set_key`` says so, so the caller can tell the user.
"""
from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)

SERVICE = "hearth-remote-backend"

_session: dict[tuple[str, str], str] = {}    # (home, backend name) → key, when there is no keychain
_lock = threading.Lock()


def _keyring():   # type: ignore[no-untyped-def]
    """The keyring module with a usable backend, or None (not installed, or only the fail/null backends)."""
    try:
        import keyring
        from keyring.backends import fail, null
    except ImportError:
        return None
    if isinstance(keyring.get_keyring(), (fail.Keyring, null.Keyring)):
        return None
    return keyring


def keychain_available() -> bool:
    return _keyring() is not None


def _account(home: str, name: str) -> str:
    return f"{home}::{name}"   # one keychain holds the keys of every Hearth home on the machine


def set_key(home: str, name: str, key: str) -> bool:
    """Store ``key`` for backend ``name``; True when it went to the keychain, False when only for the session."""
    kr = _keyring()
    if kr is not None:
        try:
            kr.set_password(SERVICE, _account(home, name), key)
            return True
        except Exception as exc:   # a locked or refusing keychain: keep the key for the session instead
            log.warning("The keychain refused the key of backend %s (%s); kept for this session only.",
                        name, type(exc).__name__)
    with _lock:
        _session[(home, name)] = key
    return False


def get_key(home: str, name: str) -> str | None:
    with _lock:
        if (home, name) in _session:
            return _session[(home, name)]
    kr = _keyring()
    if kr is None:
        return None
    try:
        return kr.get_password(SERVICE, _account(home, name))
    except Exception as exc:
        log.warning("The keychain could not be read for backend %s (%s).", name, type(exc).__name__)
        return None


def delete_key(home: str, name: str) -> None:
    with _lock:
        _session.pop((home, name), None)
    kr = _keyring()
    if kr is None:
        return
    try:
        kr.delete_password(SERVICE, _account(home, name))
    except Exception:   # no such entry (keyring's PasswordDeleteError) or a keychain that refuses: nothing kept
        pass
