"""What the fake Hub (``hub_server``) serves and records: repos, their files, faults and hostile replies.

``Repo`` and ``HubFile`` answer as the Hub's JSON does (model info, siblings,
tree and paths-info entries, LFS pointers and git blob ids); ``search_repos``
is what model search lists. ``Fault`` and ``Hostile`` are what a test asks
the server to do wrong; ``Request`` is one request it answered.
"""
from __future__ import annotations

import hashlib
import io
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

LAST_MODIFIED = "2024-06-01T12:00:00.000Z"
_SHA_CACHE: dict[tuple[str, int, int], str] = {}
_SHA_LOCK = threading.Lock()


def file_sha256(path: Path) -> str:
    """sha256 of a file on disk, cached per (path, size, mtime) for the whole process."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    with _SHA_LOCK:
        if key not in _SHA_CACHE:
            digest = hashlib.sha256()
            with path.open("rb") as f:
                while block := f.read(8 << 20):
                    digest.update(block)
            _SHA_CACHE[key] = digest.hexdigest()
        return _SHA_CACHE[key]


def git_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Request(NamedTuple):
    """One request the hub answered: path is URL-decoded, without the query string."""
    method: str
    path: str
    range: str | None
    status: int


@dataclass
class HubFile:
    """A file in a fake repo: bytes in memory or a path on disk."""
    filename: str
    size: int
    sha256: str
    lfs: bool
    data: bytes | None = None
    path: Path | None = None
    oid: str = field(init=False)  # git blob id: of the LFS pointer for LFS files, of the content otherwise

    def __post_init__(self) -> None:
        if self.lfs:
            self.oid = git_oid(self.pointer)
        else:  # small git files: read once
            self.oid = git_oid(self.data if self.data is not None else self.path.read_bytes() if self.path else b"")

    @property
    def pointer(self) -> bytes:
        return f"version https://git-lfs.github.com/spec/v1\noid sha256:{self.sha256}\nsize {self.size}\n".encode()

    def open(self) -> BinaryIO:
        return self.path.open("rb") if self.path is not None else io.BytesIO(self.data or b"")

    def lfs_info(self, sha_key: str = "sha256") -> dict[str, Any] | None:
        return {sha_key: self.sha256, "size": self.size, "pointerSize": len(self.pointer)} if self.lfs else None


@dataclass
class Repo:
    repo_id: str
    downloads: int = 0
    likes: int = 0
    last_modified: str = LAST_MODIFIED
    tags: tuple[str, ...] = ("gguf",)
    gated: bool | str = False
    extra: dict[str, Any] = field(default_factory=dict)
    files: dict[str, HubFile] = field(default_factory=dict)

    @property
    def sha(self) -> str:
        return hashlib.sha1(f"commit:{self.repo_id}".encode()).hexdigest()

    def summary(self, siblings: bool = False, blobs: bool = False) -> dict[str, Any]:
        info: dict[str, Any] = {
            "_id": self.sha[:24], "id": self.repo_id, "modelId": self.repo_id,
            "author": self.repo_id.split("/")[0] if "/" in self.repo_id else None,
            "sha": self.sha, "downloads": self.downloads, "likes": self.likes,
            "lastModified": self.last_modified, "createdAt": self.last_modified,
            "trendingScore": self.extra.get("trendingScore", self.likes),
            "tags": list(self.tags), "gated": self.gated, "private": False, "disabled": False,
            "library_name": "gguf" if "gguf" in self.tags else None,
            "cardData": {"license": "apache-2.0"},
        }
        info.update(self.extra)
        if siblings:
            info["siblings"] = [self._sibling(f, blobs) for f in list(self.files.values())]
        return info

    @staticmethod
    def _sibling(f: HubFile, blobs: bool) -> dict[str, Any]:
        if not blobs:
            return {"rfilename": f.filename}
        return {"rfilename": f.filename, "size": f.size, "blobId": f.oid, "lfs": f.lfs_info()}


def entry(f: HubFile) -> dict[str, Any]:
    """A /tree or /paths-info file entry."""
    entry: dict[str, Any] = {"type": "file", "path": f.filename, "size": f.size, "oid": f.oid}
    if f.lfs:
        entry["lfs"] = f.lfs_info("oid")
    return entry


def normal_dirs(name: str) -> list[str] | None:
    """Folder parts of a well-formed name; None for hostile names, listed as given at the top."""
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return None
    return parts[:-1]


def search_repos(repos: list[Repo], q: dict[str, list[str]], *, full: bool = False) -> list[dict[str, Any]]:
    """What ``GET /api/models`` lists for the query ``q`` (parsed, every value a list), before paging."""
    search = (q.get("search", [""])[-1]).lower()
    author = q.get("author", [None])[-1]
    filters = q.get("filter", [])
    repos = [r for r in repos
             if search in r.repo_id.lower()
             and (author is None or r.repo_id.split("/")[0] == author)
             and all(t in r.tags for t in filters)]
    sort = q.get("sort", [None])[-1]
    key = {"downloads": "downloads", "likes": "likes", "lastModified": "lastModified",
           "last_modified": "lastModified", "trendingScore": "trendingScore",
           "trending_score": "trendingScore", "createdAt": "createdAt"}.get(sort or "")
    expand = q.get("expand") or q.get("expand[]")
    items = [r.summary(siblings=full or bool(expand and "siblings" in expand)) for r in repos]
    if key:
        ascending = q.get("direction", ["-1"])[-1] == "1"
        items.sort(key=lambda i: i["id"])
        items.sort(key=lambda i: i[key], reverse=not ascending)
    if expand:
        items = [{k: v for k, v in i.items() if k in expand or k in ("id", "_id")} for i in items]
    return items


@dataclass
class Fault:
    kind: str  # "drop" | "stall" | "corrupt"
    n_bytes: int = 0
    seconds: float = 0.0
    times: int = 1


@dataclass
class Hostile:
    kind: str  # "endless" | "raw" | "trickle"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    rate: float = 1.0  # trickle: bytes per second


def gzip_bomb(megabytes: int) -> bytes:
    """A gzip stream of a JSON string of ``megabytes`` MiB of spaces, built in milliseconds (identical
    full-flushed deflate blocks repeated; the trailer's CRC is wrong: a client never gets that far)."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b" " * (1 << 20)
    head = c.compress(b'["') + c.flush(zlib.Z_FULL_FLUSH)
    one = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    assert c.compress(block) + c.flush(zlib.Z_FULL_FLUSH) == one
    return head + one * megabytes + c.compress(b'"]') + c.flush()
