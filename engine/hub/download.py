"""Resumable, verified downloads of model files from the Hub.

Layout: every repository gets one folder under the models folder, named
``<owner>__<name>`` (``paths().models / "bartowski__Qwen2.5-7B-Instruct-GGUF"``);
a file keeps its remote basename there (``Q4_K_M/x.gguf`` becomes ``x.gguf``).
While a file downloads it lives next to its final place as ``<name>.part``,
with a sidecar ``<name>.part.json`` that says what is being downloaded::

    {"format": 1, "repo_id": "owner/name", "filename": "remote/name.gguf",
     "commit": "<40 hex>", "etag": "<Hub etag: the sha256 for LFS files>",
     "sha256": "<64 hex or null>", "expected_sha256": "<catalog's or null>",
     "size": 123456789, "group": ["every remote name of that download_model call"],
     "created": "2025-01-01T12:00:00+00:00"}

so a download resumed after a restart appends only to the same remote file
(a different etag or size restarts from byte 0). Only complete files whose
sha256 matches the Hub's LFS sha256 (for a file not in LFS: whose git blob id,
sha1 of ``b"blob <size>\0" + content``, matches the Hub's etag), and the catalog's
sha256 when given, and whose GGUF header reads are renamed (atomically) to their
final name; a file with neither is refused. Files are asked for with
``Accept-Encoding: identity``; a body sent encoded anyway is refused at once.

Metadata comes from huggingface_hub (``get_hf_file_metadata``); the bytes are
streamed with httpx2 from the commit-pinned resolve URL (redirects followed),
resumed with ``Range`` requests, hashed as they arrive, retried with capped
exponential backoff after a dropped connection or a stall. DownloadProgress goes to a
plain callback (no terminal needed).
"""
from __future__ import annotations

import errno
import hashlib
import io
import logging
import os
import re
import socket
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

try:
    import httpx2
except ImportError:  # huggingface_hub 1.x is built on httpx; the API is the same
    import httpx as httpx2  # type: ignore[no-redef]
from huggingface_hub import get_hf_file_metadata, hf_hub_url
from huggingface_hub.errors import (EntryNotFoundError, GatedRepoError, HFValidationError, HfHubHTTPError,
                                    OfflineModeIsEnabled, RepositoryNotFoundError, RevisionNotFoundError)
from huggingface_hub.utils import build_hf_headers

from engine.errors import (ChecksumMismatch, DownloadCancelled, DownloadError, DownloadIncomplete, HubError, HubOffline,
                      ModelError, ModelInvalid, NotEnoughDisk, RemoteFileNotFound, RepoNotFound, UnsafeFileName)
from engine.models.gguf import read_gguf_info
from engine.models.files import format_bytes
from engine.paths import fsync_dir, paths
from engine.sampling import CancelToken
from engine.hub.config import hub_endpoint
from engine.models.names import check_filename, check_repo_id, local_target, repo_folder_name
from engine.hub.progress import DownloadProgress, Reporter
from engine.hub.checks import (CHUNK, HEX40 as _HEX40, RemoteFile as _Remote, already_there as _already_there, check_disk as _check_disk,
                               content_range as _content_range, git_blob_hasher as _git_blob_hasher,
                               normal_etag as _normal_etag, resumable_bytes as _resumable_bytes)
from engine.hub.partials import (PartialDownload, claim, discard_partial, list_partial_downloads, lock_part,
                       part_paths,
                       read_sidecar, write_sidecar)

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0            # an unreachable hub fails this fast
METADATA_TIMEOUT_S = 10.0
BACKOFF_BASE_S = 1.0               # retry delays: 1, 2, 4, 8 … seconds, capped
BACKOFF_CAP_S = 30.0
PROGRESS_INTERVAL_S = 0.1          # at most ~10 progress reports a second while bytes flow
PROGRESS_RESETS_RETRIES = 1 << 20  # an attempt that brought at least this much resets the retry count
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def model_folder(repo_id: str, models_dir: Path | None = None) -> Path:
    """Where :func:`download_model` puts a repository's files by default."""
    return (models_dir or paths().models) / repo_folder_name(repo_id)


def download_model(repo_id: str, filenames: Sequence[str], *, dest: Path | None = None,
                   progress: Callable[[DownloadProgress], None] | None = None, cancel: CancelToken | None = None,
                   expected_sha256: Mapping[str, str] | None = None, stall_timeout_s: float = 30.0,
                   max_retries: int = 5) -> list[Path]:
    """Download ``filenames`` of ``repo_id`` (the parts of one model and its projector) and verify them.

    Returns the final paths, in the order given. Files already complete and matching the Hub's
    sha256 are not downloaded again; a ``.part`` left by an earlier attempt is resumed.
    ``expected_sha256`` maps remote file names (or basenames) to the catalog's sha256.
    Raises UnsafeFileName, HubOffline, RepoNotFound, RemoteFileNotFound, NotEnoughDisk,
    ChecksumMismatch, DownloadIncomplete (the part is kept), DownloadCancelled (likewise).
    """
    check_repo_id(repo_id)
    if isinstance(filenames, str) or not filenames:
        raise ValueError("filenames must be a non-empty list of file names")
    names = [check_filename(f) for f in filenames]
    folder = Path(dest) if dest is not None else model_folder(repo_id)
    targets = [local_target(folder, f) for f in names]
    if len(set(targets)) != len(targets):
        raise UnsafeFileName(f"Refused {', '.join(names)}: two of them would be saved as the same file.")
    wanted = {k.lower(): v.lower() for k, v in (expected_sha256 or {}).items()}
    if any(not _HEX64.match(v) for v in wanted.values()):
        raise ValueError("expected_sha256 values must be 64 hex digits")
    endpoint = hub_endpoint()
    remotes = [_metadata(repo_id, name, endpoint) for name in names]
    report = Reporter(progress, lambda: PROGRESS_INTERVAL_S)
    expected = [wanted.get(r.filename.lower()) or wanted.get(t.name.lower()) for r, t in zip(remotes, targets)]
    jobs = [(r, t, e) for r, t, e in zip(remotes, targets, expected) if not _already_there(r, t, e, report)]
    _check_disk(folder, jobs)
    folder.mkdir(parents=True, exist_ok=True)
    timeout = httpx2.Timeout(stall_timeout_s, connect=CONNECT_TIMEOUT_S)
    # identity: the bytes of the file itself (a gzip-encoded body would not match its size or hash, and a
    # range of it could not be resumed)
    headers = {**build_hf_headers(), "Accept-Encoding": "identity"}
    with httpx2.Client(timeout=timeout, follow_redirects=True, headers=headers) as client:
        for remote, target, want in jobs:
            _FileJob(client, remote, target, expected=want, report=report, cancel=cancel,
                     max_retries=max_retries, group=names).run()
    return targets


# --- metadata and errors ---------------------------------------------------------------------

def _metadata(repo_id: str, filename: str, endpoint: str) -> _Remote:
    with _hub_errors(repo_id, filename, endpoint):
        meta = get_hf_file_metadata(hf_hub_url(repo_id, filename, endpoint=endpoint), endpoint=endpoint,
                                    timeout=httpx2.Timeout(METADATA_TIMEOUT_S, connect=CONNECT_TIMEOUT_S))
    if meta.size is None or not meta.etag or not meta.commit_hash:
        raise HubError(f"The model hub sent incomplete metadata for {filename} in {repo_id}.")
    etag = meta.etag.lower()
    return _Remote(repo_id, filename, meta.size, etag, etag if _HEX64.match(etag) else None, meta.commit_hash,
                   hf_hub_url(repo_id, filename, revision=meta.commit_hash, endpoint=endpoint))


@contextmanager
def _hub_errors(repo_id: str, filename: str, endpoint: str) -> Iterator[None]:
    """huggingface_hub's and httpx2's errors as Hearth's HubError family."""
    try:
        yield
    except GatedRepoError as exc:
        raise RepoNotFound(f"{repo_id} is a gated repository: {filename} needs a login and accepted conditions.",
                           hint="Open the repository on huggingface.co, accept its conditions and log in, "
                                "or pick another repository.", reason="gated",
                           params={"repo": repo_id, "file": filename}) from exc
    except (RepositoryNotFoundError, RevisionNotFoundError, HFValidationError) as exc:
        raise RepoNotFound(f"The repository {repo_id} (for {filename}) was not found on the model hub.",
                           params={"repo": repo_id, "file": filename}) from exc
    except EntryNotFoundError as exc:
        raise RemoteFileNotFound(f"{filename} is not in the repository {repo_id}.", path=filename,
                                 params={"repo": repo_id, "file": filename}) from exc
    except HfHubHTTPError as exc:
        status = exc.response.status_code if getattr(exc, "response", None) is not None else "an error"
        raise HubError(f"The model hub answered {status} for {filename} in {repo_id}.") from exc
    except (OfflineModeIsEnabled, httpx2.TransportError, ConnectionError, TimeoutError) as exc:
        log.info("hub unreachable for %s/%s: %r", repo_id, filename, exc)
        raise HubOffline(f"The model hub ({endpoint}) cannot be reached to download {filename}: "
                         f"{exc or type(exc).__name__}.", reason="download",
                         params={"endpoint": endpoint, "file": filename}) from exc
    except httpx2.HTTPError as exc:  # too many redirects, a malformed answer
        raise HubError(f"The model hub sent an unusable answer for {filename} in {repo_id}: {exc}.") from exc


# --- plan: what is already there, what is left, does it fit -------------------------------------

# --- one file ------------------------------------------------------------------------------------

class _Transient(Exception):
    """A failure worth retrying: dropped connection, stall, 5xx/429, short body."""


class _FileJob:
    """Fetch one file into its .part (resuming), verify it, rename it to its final name."""

    def __init__(self, client: httpx2.Client, remote: _Remote, target: Path, *, expected: str | None,
                 report: Reporter, cancel: CancelToken | None, max_retries: int, group: list[str]) -> None:
        self.client, self.remote, self.target, self.expected = client, remote, target, expected
        self.report, self.cancel, self.max_retries, self.group = report, cancel, max_retries, group
        self.part, self.sidecar = part_paths(target)
        self.offset = 0
        self.hasher = hashlib.sha256()
        self.git = _git_blob_hasher(remote.size)  # checked when the Hub has no sha256 (a non-LFS file)
        self.fh: io.FileIO | None = None  # unbuffered: what was received is on disk (a crash loses nothing)
        self.wake = threading.Event()   # set on cancel: ends a backoff wait at once
        report.reset()

    def run(self) -> Path:
        unhook = self.cancel.on_cancel(self.wake.set) if self.cancel else (lambda: None)
        try:
            with claim(self.part, self.remote.filename):
                self._prepare()
                self._fetch()
                return self._finish()
        finally:
            unhook()
            self._close()

    # ----- state on disk -----
    def _prepare(self) -> None:
        """Resume the .part if its sidecar names this remote file (hashing what is there), else start anew."""
        r = self.remote
        with self._disk():
            self.fh = open(self.part, "ab", buffering=0)
            lock_part(self.fh, r.filename)
            done = _resumable_bytes(r, self.part, self.sidecar)
            if done:
                earlier = (read_sidecar(self.sidecar) or {}).get("expected_sha256")
                if self.expected is None and isinstance(earlier, str) and _HEX64.match(earlier):
                    self.expected = earlier  # the catalog's hash given when the download started still applies
                with open(self.part, "rb") as f:
                    while self.offset < done and (block := f.read(min(CHUNK, done - self.offset))):
                        self._check_cancel()
                        self._hash(block)
                        self.offset += len(block)
                        self.report(r.filename, self.offset, r.size, "checking")
                log.info("resuming %s at %d of %d bytes", r.filename, self.offset, r.size)
            self.fh.truncate(self.offset)  # before a new sidecar: it must never describe someone else's bytes
            if not done:
                self._write_sidecar()

    def _write_sidecar(self) -> None:
        r = self.remote
        write_sidecar(self.sidecar, {
            "repo_id": r.repo_id, "filename": r.filename, "commit": r.commit, "etag": r.etag, "sha256": r.sha256,
            "expected_sha256": self.expected, "size": r.size, "group": self.group,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds")})

    def _restart(self, why: str) -> None:
        """Throw away the bytes so far and start again from byte 0."""
        log.warning("%s: %s; restarting from byte 0", self.remote.filename, why)
        assert self.fh is not None
        with self._disk():
            self.fh.truncate(0)
            self._write_sidecar()
        self.offset, self.hasher = 0, hashlib.sha256()
        self.git = _git_blob_hasher(self.remote.size)
        self.report.reset()

    def _hash(self, block: bytes | memoryview) -> None:
        self.hasher.update(block)
        self.git.update(block)

    def _close(self) -> None:
        """Close the part file; a flush failing here (disk full) has already been or will be reported."""
        if self.fh is not None:
            fh, self.fh = self.fh, None
            try:
                fh.close()
            except OSError as exc:
                log.warning("closing %s: %s", self.part, exc)

    def _discard(self) -> None:
        self._close()
        for p in (self.part, self.sidecar):
            p.unlink(missing_ok=True)

    @contextmanager
    def _disk(self) -> Iterator[None]:
        """A full disk or quota: the part is deleted and NotEnoughDisk raised; other write errors name the file."""
        try:
            yield
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
                self._discard()
                raise NotEnoughDisk(f"The disk filled up while downloading {self.remote.filename} "
                                    f"({format_bytes(self.remote.size)}); the partial file was deleted.",
                                    path=self.target, reason="filled",
                                    params={"file": self.remote.filename,
                                            "size": format_bytes(self.remote.size)}) from exc
            raise DownloadError(f"Could not write {self.target.name}: {exc.strerror or exc}.", path=self.target,
                                hint="Check that the models folder is writable.", reason="write",
                                params={"why": str(exc.strerror or exc)}) from exc

    # ----- the network -----
    def _fetch(self) -> None:
        failures, restarts, last = 0, 0, ""
        while self.offset < self.remote.size:
            self._check_cancel()
            before = self.offset
            try:
                restarts += self._attempt()
            except _Transient as exc:
                last = str(exc)
                if self.offset - before >= PROGRESS_RESETS_RETRIES:
                    failures = 0
                failures += 1
                if failures > self.max_retries:
                    raise DownloadIncomplete(
                        f"The download of {self.remote.filename} stopped at {format_bytes(self.offset)} of "
                        f"{format_bytes(self.remote.size)} after {failures} failed attempts ({last}). "
                        f"It can be resumed.", path=self.part, reason="retries",
                        params={"file": self.remote.filename, "done": format_bytes(self.offset),
                                "total": format_bytes(self.remote.size), "failures": failures,
                                "last": last}) from exc
                delay = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (failures - 1))
                log.warning("%s: %s; retry %d/%d in %.1fs from byte %d", self.remote.filename, last, failures,
                            self.max_retries, delay, self.offset)
                self.report(self.remote.filename, self.offset, self.remote.size, "retrying", force=True)
                self.wake.wait(delay)
            if restarts > 3:
                raise DownloadError(f"The model hub keeps sending other bytes for {self.remote.filename} than "
                                    f"asked for.", hint="Try again later.")

    def _attempt(self) -> int:
        """One GET from ``offset`` to the end; 1 if the hub sent other bytes than asked for (restarted), else 0."""
        r = self.remote
        headers = {"Range": f"bytes={self.offset}-"} if self.offset else {}
        try:
            with self.client.stream("GET", r.url, headers=headers) as resp:
                self._check_status(resp)
                self._check_encoding(resp)
                if self._changed_remote(resp):
                    self.remote = r = _metadata(r.repo_id, r.filename, hub_endpoint())
                    self._restart("the file changed on the hub")
                    return 1
                if resp.status_code == 206:
                    start, total = _content_range(resp.headers.get("Content-Range"))
                    if start != self.offset or total not in (None, r.size):
                        self._restart(f"the server sent range {start}-/{total} for bytes={self.offset}-")
                        return 1
                elif self.offset:  # legitimate (a server without range support): not counted
                    self._restart("the server ignored the range request")
                self._receive(resp)
                return 0
        except (httpx2.TransportError, ConnectionError, TimeoutError) as exc:
            self._check_cancel(exc)
            raise _Transient(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__) from exc
        except httpx2.HTTPError as exc:
            self._check_cancel(exc)
            raise HubError(f"The model hub sent an unusable answer for {r.filename}: {exc}.") from exc

    def _check_status(self, resp: httpx2.Response) -> None:
        status, name, repo = resp.status_code, self.remote.filename, self.remote.repo_id
        if status in (200, 206):
            return
        if status in (401, 403):
            raise RepoNotFound(f"The model hub refused access to {name} in {repo} ({status}).")
        if status == 404:
            raise RemoteFileNotFound(f"{name} is not in the repository {repo} (any more).", path=name)
        if status in (408, 416, 425, 429) or status >= 500:
            if status == 416:  # our part is longer than the remote file: start over
                self._restart("the server refused the range")
            raise _Transient(f"HTTP {status}")
        raise HubError(f"The model hub answered {status} for {name} in {repo}.")

    def _check_encoding(self, resp: httpx2.Response) -> None:
        """The file's own bytes only: a body sent compressed though identity was asked for is refused at once."""
        encoding = resp.headers.get("Content-Encoding", "identity").strip().lower() or "identity"
        if encoding != "identity":
            r = self.remote
            raise HubError(f"The server sent {r.filename} of {r.repo_id} compressed ({encoding}) although Hearth "
                           f"asked for the file as it is; the bytes cannot be checked or resumed.",
                           hint="A proxy or mirror (HF_ENDPOINT) is re-encoding downloads. Download without it, "
                                "or try again later.")

    def _changed_remote(self, resp: httpx2.Response) -> bool:
        """True when the Hub now serves another file under this name (its etag differs)."""
        for step in [*resp.history, resp]:
            linked = step.headers.get("X-Linked-Etag")
            if linked:
                return _normal_etag(linked) != self.remote.etag
        if not resp.history and resp.headers.get("ETag"):  # a small file served by the Hub itself
            return _normal_etag(resp.headers["ETag"]) != self.remote.etag
        return False

    def _receive(self, resp: httpx2.Response) -> None:
        r = self.remote
        unhook = self.cancel.on_cancel(lambda: _interrupt(resp)) if self.cancel else (lambda: None)
        try:
            for chunk in resp.iter_raw():  # as received: nothing buffered is lost when the connection drops
                self._check_cancel()
                if self.offset + len(chunk) > r.size:
                    self._restart("the server sent more bytes than the file has")
                    raise _Transient("too many bytes")
                with self._disk():
                    assert self.fh is not None
                    view = memoryview(chunk)
                    while view:
                        view = view[self.fh.write(view) or 0:]
                self._hash(chunk)
                self.offset += len(chunk)
                self.report(r.filename, self.offset, r.size, "downloading")
        finally:
            unhook()
        if self.offset < r.size:
            raise _Transient(f"the connection ended at byte {self.offset}")

    def _check_cancel(self, cause: BaseException | None = None) -> None:
        if self.cancel is not None and self.cancel.cancelled:
            raise DownloadCancelled(
                f"The download of {self.remote.filename} was cancelled at {format_bytes(self.offset)} of "
                f"{format_bytes(self.remote.size)}.", path=self.part,
                params={"file": self.remote.filename, "done": format_bytes(self.offset),
                        "total": format_bytes(self.remote.size)}) from cause

    # ----- the end -----
    def _finish(self) -> Path:
        r = self.remote
        assert self.fh is not None
        with self._disk():
            os.fsync(self.fh.fileno())
            self._close()
        self.report(r.filename, r.size, r.size, "verifying", force=True)
        digest = self.hasher.hexdigest()
        for want, source, reason in ((r.sha256, "the model hub", "sha256"),
                                     (self.expected, "Hearth's catalog", "sha256_catalog")):
            if want and digest != want:
                self._discard()
                raise ChecksumMismatch(f"{r.filename} is corrupt: its sha256 is {digest} but {source} says {want}. "
                                       f"The file was deleted.", path=r.filename, reason=reason,
                                       params={"file": r.filename, "digest": digest, "want": want})
        if not r.sha256:
            if _HEX40.match(r.etag):  # a file not stored in LFS: its etag is its git blob id
                got = self.git.hexdigest()
                if got != r.etag:
                    self._discard()
                    raise ChecksumMismatch(f"{r.filename} is corrupt: its git blob id is {got} but the model hub "
                                           f"says {r.etag}. The file was deleted.", path=r.filename,
                                           reason="git_blob", params={"file": r.filename, "digest": got,
                                                                      "want": r.etag})
            elif not self.expected:
                self._discard()
                raise ChecksumMismatch(f"{r.filename} cannot be verified: the model hub gave neither a sha256 nor "
                                       f"a git blob id for it (etag {r.etag!r}). The file was deleted.",
                                       path=r.filename, reason="unverifiable",
                                       params={"file": r.filename, "etag": repr(r.etag)},
                                       hint="Hearth installs only verified files. Try again later, or download it "
                                            "from the Hub itself rather than a mirror.")
        if self.target.suffix.lower() == ".gguf":
            try:
                read_gguf_info(self.part)
            except ModelError as exc:
                self._discard()
                raise DownloadError(f"{r.filename} was downloaded but is not a usable GGUF model: {exc}. "
                                    f"The file was deleted.", path=r.filename, hint=ModelInvalid.hint) from exc
        with self._disk():
            os.replace(self.part, self.target)
            self.sidecar.unlink(missing_ok=True)
        fsync_dir(self.target.parent)
        log.info("downloaded %s/%s to %s", r.repo_id, r.filename, self.target)
        self.report(r.filename, r.size, r.size, "done", force=True)
        return self.target


def _interrupt(resp: httpx2.Response) -> None:
    """Wake a read blocked on ``resp``'s socket (cancel during a stall): shut the socket down."""
    stream = resp.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if isinstance(sock, socket.socket):
        try:
            socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain method: safe under TLS too
        except OSError:
            pass


__all__ = ["DownloadProgress", "PartialDownload", "download_model", "list_partial_downloads", "discard_partial",
           "model_folder"]
