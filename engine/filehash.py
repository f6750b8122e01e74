"""SHA-256 of model files, cached by path, size and modification time.

Hashing a multi-gigabyte model takes seconds, so the digest is remembered in
a small JSON file in the cache folder and recomputed only when the file changes.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

_lock = threading.Lock()


def sha256_file(path: str | os.PathLike[str], cache_dir: Path | None = None) -> str:
    """The file's sha256 hex digest, from the cache when size and mtime match."""
    p = Path(path).resolve()
    st = p.stat()
    key = f"{p}|{st.st_size}|{st.st_mtime_ns}"
    cache_file = cache_dir / "sha256.json" if cache_dir else None
    cache = _read(cache_file)
    if key in cache:
        return cache[key]
    digest = hashlib.sha256()
    with open(p, "rb") as fh:
        for block in iter(lambda: fh.read(4 * 1024 * 1024), b""):
            digest.update(block)
    value = digest.hexdigest()
    if cache_file is not None:
        with _lock:
            cache = _read(cache_file)
            cache = {k: v for k, v in cache.items() if not k.startswith(f"{p}|")}
            cache[key] = value
            tmp = cache_file.with_suffix(".tmp")
            try:
                cache_file.parent.mkdir(parents=True, exist_ok=True)
                tmp.write_text(json.dumps(cache))
                os.replace(tmp, cache_file)
            except OSError:  # a read-only or full disk only costs a re-hash next time
                pass
    return value


def _read(cache_file: Path | None) -> dict[str, str]:
    if cache_file is None or not cache_file.exists():
        return {}
    try:
        data = json.loads(cache_file.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}
