"""What is checked about a remote file around its download: what the Hub says it is, whether a
copy on disk already matches (LFS sha256, or the git blob id of a file not stored in LFS), how much
of a ``.part`` can be resumed, and whether the disk has room for what is still to come."""
from __future__ import annotations

import hashlib
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from engine.errors import NotEnoughDisk
from engine.filehash import sha256_file
from engine.hub.partials import part_paths, read_sidecar
from engine.hub.progress import Reporter
from engine.models.files import format_bytes
from engine.paths import paths

log = logging.getLogger(__name__)

CHUNK = 1 << 20                    # bytes per hashing step when checking a part already on disk
DISK_MARGIN_MIN = 100 * 1000 ** 2  # keep 100 MB (or 1 %) free beyond the bytes still to download
DISK_MARGIN_FRACTION = 0.01
HEX40 = re.compile(r"^[0-9a-f]{40}$")   # a git blob id: the Hub's etag of a file not stored in LFS


@dataclass(frozen=True)
class RemoteFile:
    """What the Hub says about one file."""

    repo_id: str
    filename: str
    size: int
    etag: str
    sha256: str | None       # the LFS sha256; None for a small (non-LFS) git file
    commit: str
    url: str                 # the resolve URL pinned to ``commit``


def already_there(remote: RemoteFile, target: Path, expected: str | None, report: Reporter) -> bool:
    """True if ``target`` is complete and matches the sha256s (a stale one is replaced after a verified download)."""
    git_id = remote.etag if not remote.sha256 and HEX40.match(remote.etag) else None
    if not (remote.sha256 or git_id) or not target.is_file() or target.stat().st_size != remote.size:
        return False
    report(remote.filename, 0, remote.size, "checking", force=True)
    if git_id is not None:
        same = git_blob_id(target, remote.size) == git_id and \
            (expected is None or sha256_file(target, paths().cache) == expected)
    else:
        same = sha256_file(target, paths().cache) in ({remote.sha256} & {expected or remote.sha256})
    if not same:
        log.info("%s exists but differs from the hub's; downloading it again", target)
        return False
    report(remote.filename, remote.size, remote.size, "done", force=True)
    return True


def git_blob_hasher(size: int) -> "hashlib._Hash":
    """sha1 over git's blob header: fed the content, it gives the git blob id the Hub uses as the etag."""
    return hashlib.sha1(b"blob %d\0" % size)


def git_blob_id(path: Path, size: int) -> str:
    digest = git_blob_hasher(size)
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def resumable_bytes(remote: RemoteFile, part: Path, sidecar: Path) -> int:
    """Bytes of ``part`` that belong to this very remote file (0 when there is none or it is another one)."""
    data = read_sidecar(sidecar)
    try:
        size = part.stat().st_size
    except OSError:
        return 0
    if data is None or (data["repo_id"], data["filename"], data["etag"], data["size"]) != \
            (remote.repo_id, remote.filename, remote.etag, remote.size) or size > remote.size:
        return 0
    return size


def check_disk(folder: Path, jobs: list[tuple[RemoteFile, Path, str | None]]) -> None:
    """NotEnoughDisk, before anything is written, unless the bytes still to fetch (plus a margin) fit."""
    if not jobs:
        return
    needed = sum(r.size - resumable_bytes(r, *part_paths(t)) for r, t, _ in jobs)
    probe = folder
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    margin = max(DISK_MARGIN_MIN, int(needed * DISK_MARGIN_FRACTION))
    if needed + margin > free:
        names = ", ".join(r.filename for r, _, _ in jobs)
        raise NotEnoughDisk(f"Not enough disk space for {names}: {format_bytes(needed)} still to download "
                            f"(plus {format_bytes(margin)} to spare) but only {format_bytes(free)} is free "
                            f"in {folder}.", path=folder,
                            params={"files": names, "needed": format_bytes(needed), "spare": format_bytes(margin),
                                    "free": format_bytes(free), "folder": str(folder)})


def content_range(value: str | None) -> tuple[int | None, int | None]:
    """'bytes 100-199/1000' -> (100, 1000); (None, None) if unreadable."""
    m = re.match(r"^\s*bytes\s+(\d+)-\d+/(\d+|\*)\s*$", value or "")
    if not m:
        return None, None
    return int(m.group(1)), None if m.group(2) == "*" else int(m.group(2))


def normal_etag(value: str) -> str:
    return value.strip().removeprefix("W/").strip('"').lower()
