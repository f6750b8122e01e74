"""Partial downloads on disk: the ``<name>.part`` file and its ``<name>.part.json`` sidecar.

The sidecar records what the part is a prefix of (repository, remote name, commit,
etag, sha256, size), so a download resumed after a restart only appends to the same
remote file, and the app can list unfinished downloads to offer "Resume". See
:mod:`engine.hub.download` for the format and the folder layout.

One writer per part: :func:`claim` refuses a second download of it in this
process, and :func:`lock_part` one in another process, through an OS lock on
``<name>.part.lock`` (``filelock``: ``flock`` on POSIX, a Windows file lock on
Windows). The OS drops the lock when its process dies, even by ``kill -9``, so
the next run resumes the part.
"""
from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from filelock import FileLock, Timeout

from engine.errors import DownloadError
from engine.paths import paths

log = logging.getLogger(__name__)

PART_SUFFIX = ".part"
SIDECAR_SUFFIX = ".part.json"
LOCK_SUFFIX = ".part.lock"
SIDECAR_FORMAT = 1
_SIDECAR_KEYS: dict[str, type] = {"repo_id": str, "filename": str, "etag": str, "size": int}
_ACTIVE: dict[Path, FileLock | None] = {}   # .part files being written by this process -> the OS lock held
_ACTIVE_LOCK = threading.Lock()


@dataclass(frozen=True)
class PartialDownload:
    """A download that stopped before the end (cancelled, failed, app closed); ``path`` is the .part file."""

    repo_id: str
    filename: str       # the remote name, as passed to download_model
    done_bytes: int
    total_bytes: int
    path: Path
    group: tuple[str, ...] = ()   # every file of that download (split parts, projector): resume them together

    @property
    def folder(self) -> Path:
        """Pass as ``dest`` to :func:`engine.hub.download.download_model` to resume it."""
        return self.path.parent


def part_paths(target: Path) -> tuple[Path, Path]:
    """(``<target>.part``, ``<target>.part.json``)."""
    return target.with_name(target.name + PART_SUFFIX), target.with_name(target.name + SIDECAR_SUFFIX)


def read_sidecar(path: Path) -> dict[str, Any] | None:
    """The sidecar's fields, or None if it is missing, unreadable or of another format."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != SIDECAR_FORMAT:
        return None
    if not all(isinstance(data.get(k), t) for k, t in _SIDECAR_KEYS.items()):
        return None
    return data


def write_sidecar(path: Path, data: dict[str, Any]) -> None:
    """Write the sidecar atomically (a crash leaves the old one or the new one)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"format": SIDECAR_FORMAT, **data}, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def lock_path(part: Path) -> Path:
    """``<name>.part.lock``, the file whose OS lock says a process is writing ``<name>.part``."""
    return part.with_name(part.name.removesuffix(PART_SUFFIX) + LOCK_SUFFIX)


@contextmanager
def claim(part: Path, filename: str) -> Iterator[None]:
    """Mark ``part`` as being written by this process; a second download of it is refused meanwhile.

    Ends by releasing the OS lock :func:`lock_part` took.
    """
    with _ACTIVE_LOCK:
        if part in _ACTIVE:
            raise DownloadError(f"{filename} is already being downloaded.",
                                hint="Wait for that download to finish, or cancel it first.")
        _ACTIVE[part] = None
    try:
        yield
    finally:
        with _ACTIVE_LOCK:
            lock = _ACTIVE.pop(part, None)
        if lock is not None:
            _unlock(lock, part)


def lock_part(fh: BinaryIO, filename: str) -> None:
    """Lock the open .part file ``fh`` against other processes until its :func:`claim` ends.

    A second Hearth process writing the same part is refused at once (it does not wait). On a file
    system without locks the download goes on unguarded, as before.
    """
    part = Path(os.fsdecode(fh.name))
    lock = FileLock(str(lock_path(part)), timeout=0, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        raise DownloadError(f"{filename} is being downloaded by another Hearth process.",
                            hint="Wait for that download to finish, or cancel it there first.") from None
    except (OSError, NotImplementedError) as exc:  # a file system without locks: go on unguarded
        log.warning("could not lock %s (%s); downloading it unguarded", part, exc)
        return
    with _ACTIVE_LOCK:
        if part in _ACTIVE and _ACTIVE[part] is None:
            _ACTIVE[part] = lock
            return
    _unlock(lock, part)
    raise RuntimeError(f"lock_part({part}) outside claim(): nothing would release the lock")


def _unlock(lock: FileLock, part: Path) -> None:
    """Release ``lock`` and delete its file, so that only the part and its sidecar stay behind.

    (``filelock`` deletes it itself on Windows. A process that opened the file just before the delete
    could lock the deleted file while another locks a new one: that needs three downloads of one part
    within an instant, and filelock 4 checks that the file it locked is still there.)
    """
    try:
        lock.release()
        lock_path(part).unlink(missing_ok=True)
    except OSError as exc:
        log.warning("releasing the lock on %s: %s", part, exc)


def list_partial_downloads(models_dir: Path | None = None) -> list[PartialDownload]:
    """Unfinished downloads, from the sidecars in ``models_dir`` and its repository folders."""
    root = Path(models_dir) if models_dir is not None else paths().models
    found: list[PartialDownload] = []
    for sidecar in sorted([*root.glob("*" + SIDECAR_SUFFIX), *root.glob("*/*" + SIDECAR_SUFFIX)]):
        data = read_sidecar(sidecar)
        if data is None:
            continue
        part = sidecar.with_name(sidecar.name.removesuffix(".json"))
        try:
            done = part.stat().st_size
        except OSError:
            done = 0
        group = data.get("group")
        if not isinstance(group, list) or not all(isinstance(g, str) for g in group) or data["filename"] not in group:
            group = [data["filename"]]
        found.append(PartialDownload(data["repo_id"], data["filename"], done, data["size"], part, tuple(group)))
    return found


def discard_partial(partial: PartialDownload | Path) -> None:
    """Delete a partial download (its .part and sidecar); refused while this process is writing it."""
    part = partial.path if isinstance(partial, PartialDownload) else Path(partial)
    if not part.name.endswith(PART_SUFFIX):
        raise ValueError(f"{part} is not a partial download (.part file)")
    with _ACTIVE_LOCK:
        if part in _ACTIVE:
            raise DownloadError(f"{part.name} is being downloaded right now.", hint="Cancel the download first.")
        part.unlink(missing_ok=True)
        part.with_name(part.name + ".json").unlink(missing_ok=True)
        lock_path(part).unlink(missing_ok=True)
