"""A local, Hub-like HTTP server for tests: no test ever reaches huggingface.co.

``FakeHub`` speaks the parts of the Hugging Face Hub protocol that the real
``huggingface_hub`` 2.4.0 client (built on ``httpx2``) uses: model search
(``GET /api/models``), model info with file metadata, tree listing, paths-info,
and ``HEAD``/``GET /{repo}/resolve/{revision}/{filename}``. LFS files redirect
(302) to a CDN listener on a *second port* -- another origin, exactly like
cdn-lfs.hf.co -- so ``get_hf_file_metadata`` reads the ETag / size / commit from
the 302 itself, and the CDN serves the bytes with ``Range`` support.

Faults for download tests: ``drop_after``, ``stall_after``, ``corrupt``,
``set_offline``, ``gzip_files``. Hostile replies for any path (``hostile``): an endless
JSON body, a raw body (a gzip bomb, 10^6-deep JSON, malformed items), a slow trickle.
Observability: ``requests`` and ``bytes_sent(filename)``.

Use the ``hub`` fixture (``from tests.hub_server import hub  # noqa: F401``); it
sets ``HF_ENDPOINT`` to the server. ``smollm2_hub`` also serves the real
SmolLM2 GGUF (from disk; its sha256 is hashed once per test session). What it serves
(repos, files, faults, hostile replies) is in ``hub_repos``.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import socket
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO, Iterator
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest

from tests.hub_repos import (LAST_MODIFIED, Fault, Hostile, HubFile, Repo, Request, entry, file_sha256, git_oid,
                              normal_dirs, search_repos)

CHUNK = 1 << 20
SMOLLM2_REPO = "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_FLIP = bytes(b ^ 0xFF for b in range(256))  # corrupt(): same length, every byte different
_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError, OSError)


def _ascii(text: str) -> str:
    """Header values must be latin-1: escape anything else."""
    return text.encode("ascii", "backslashreplace").decode()


class FakeHub:
    """The fake Hub: add repos and files, start(), point the client at ``url``."""

    gzip_files: str | None = None  # "negotiated": files gzip-encoded when the client accepts gzip; "always"

    rate_limit: float | None = None  # bytes per second for files served from disk (benchmarks); None: as fast as possible

    def __init__(self, page_size: int = 1000) -> None:
        self.repos: dict[str, Repo] = {}
        self.requests: list[Request] = []
        self.page_size = page_size
        self._faults: dict[str, list[Fault]] = {}
        self._sent: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._servers: list[ThreadingHTTPServer] = []
        self._ports: list[int] = [0, 0]
        self._conns: set[socket.socket] = set()
        self.offline = False
        self.hangup = False
        self.errors: list[str] = []  # tracebacks of server bugs (should stay empty)
        self._hostile: dict[str, Hostile] = {}

    # ----- content -----
    def add_repo(self, repo_id: str, *, downloads: int = 0, likes: int = 0,
                 last_modified: str = LAST_MODIFIED, tags: tuple[str, ...] | list[str] = ("gguf",),
                 gated: bool | str = False, **extra: Any) -> Repo:
        """Create a repo or replace its metadata (files are kept). Extra keys (gguf, cardData, pipeline_tag,
        trendingScore, createdAt...) go into its JSON as given. add_file() creates repos with the defaults."""
        repo = self.repos.setdefault(repo_id, Repo(repo_id))
        repo.downloads, repo.likes, repo.last_modified = downloads, likes, last_modified
        repo.tags, repo.gated = tuple(tags), gated
        repo.extra.update(extra)
        return repo

    def add_file(self, repo_id: str, filename: str, data: bytes | Path, *, lfs: bool = True) -> HubFile:
        """Add a file (the repo is created if needed). A Path is served from disk, never loaded."""
        repo = self.repos.get(repo_id) or self.add_repo(repo_id)
        if isinstance(data, Path):
            f = HubFile(filename, data.stat().st_size, file_sha256(data), lfs, path=data)
        else:
            f = HubFile(filename, len(data), hashlib.sha256(data).hexdigest(), lfs, data=bytes(data))
        repo.files[filename] = f
        return f

    # ----- faults -----
    def _add_fault(self, filename: str, fault: Fault) -> None:
        with self._lock:
            self._faults.setdefault(filename, []).append(fault)

    def drop_after(self, filename: str, n_bytes: int, *, times: int = 1) -> None:
        """The next download GET of filename sends headers and n_bytes of body, then closes the socket."""
        self._add_fault(filename, Fault("drop", n_bytes, times=times))

    def stall_after(self, filename: str, n_bytes: int, seconds: float, *, times: int = 1) -> None:
        """The next download GET of filename sends n_bytes, sleeps `seconds`, then sends the rest."""
        self._add_fault(filename, Fault("stall", n_bytes, seconds, times=times))

    def corrupt(self, filename: str, *, times: int = 1) -> None:
        """The next download GET of filename serves other bytes of the same length (metadata unchanged)."""
        self._add_fault(filename, Fault("corrupt", times=times))

    def hostile(self, path: str, kind: str, *, body: bytes | str = b"", rate: float = 1.0,
                headers: dict[str, str] | None = None) -> None:
        """Every request for ``path`` (URL-decoded, no query: "/api/models", "/api/models/o/n",
        "/o/n/resolve/main/f.gguf") gets a hostile 200 reply instead of the real one:
        "endless": a JSON array that never ends (chunked); "raw": ``body`` as given, with ``headers``
        (e.g. Content-Encoding: gzip); "trickle": ``body`` at ``rate`` bytes per second."""
        self._hostile[path] = Hostile(kind, body.encode() if isinstance(body, str) else body, dict(headers or {}),
                                       rate)

    def _take_fault(self, filename: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(filename)
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    def set_offline(self, offline: bool = True, *, hangup: bool = False) -> None:
        """Offline: stop listening and cut open connections, so clients get a ConnectError (same ports when
        back online). hangup=True instead keeps listening but closes every connection without a response
        (the client sees RemoteProtocolError: "Server disconnected without sending a response")."""
        self.hangup = offline and hangup
        if (offline and not hangup) == self.offline:
            return
        self.offline = offline and not hangup
        if self.offline:
            self._close_servers()
        else:
            self._open_servers()
        if self.hangup:
            self._cut_connections()

    # ----- observability -----
    def bytes_sent(self, filename: str) -> int:
        """Body bytes sent for filename by download GETs so far (all repos)."""
        with self._lock:
            return self._sent.get(filename, 0)

    def gets(self, filename: str) -> list[Request]:
        """Download GETs (resolve or CDN) that named filename, in order."""
        with self._lock:
            return [r for r in self.requests if r.method == "GET" and r.path.endswith("/" + filename)
                    and ("/resolve/" in r.path or r.path.startswith("/cdn/"))]

    def _count(self, filename: str, n: int) -> None:
        with self._lock:
            self._sent[filename] = self._sent.get(filename, 0) + n

    def _log(self, method: str, path: str, rng: str | None, status: int) -> None:
        with self._lock:
            self.requests.append(Request(method, path, rng, status))

    # ----- lifecycle -----
    @property
    def url(self) -> str:
        """The Hub endpoint, e.g. http://127.0.0.1:PORT (use as HF_ENDPOINT / endpoint=)."""
        return f"http://127.0.0.1:{self._ports[0]}"

    @property
    def cdn_url(self) -> str:
        """Where LFS files are served from: another port, hence another origin."""
        return f"http://127.0.0.1:{self._ports[1]}"

    def start(self) -> FakeHub:
        self._stopping.clear()
        self._open_servers()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._close_servers()

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _open_servers(self) -> None:
        for i, role in enumerate(("hub", "cdn")):
            server = _Server(("127.0.0.1", self._ports[i]), _Handler)
            server.hub, server.role = self, role
            self._ports[i] = server.server_address[1]
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                             name=f"fake-{role}", daemon=True).start()
            self._servers.append(server)

    def _close_servers(self) -> None:
        servers, self._servers = self._servers, []
        for server in servers:
            server.shutdown()
            server.server_close()
        self._cut_connections()

    def _cut_connections(self) -> None:
        with self._lock:
            conns, self._conns = list(self._conns), set()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # ----- lookups -----
    def _split_repo(self, rest: str) -> tuple[str, str]:
        """'owner/name/tail...' -> (repo_id, tail); a one-part repo id is matched when it exists."""
        parts = rest.split("/")
        if parts[0] in self.repos:
            return parts[0], "/".join(parts[1:])
        return "/".join(parts[:2]), "/".join(parts[2:])


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64
    hub: FakeHub
    role: str

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], _GONE):  # clients hanging up are normal; bugs are not
            super().handle_error(request, client_address)


class _HubError(Exception):
    def __init__(self, status: int, code: str | None, message: str, commit: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.commit = status, code, commit


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # an idle keep-alive connection or a client that stopped reading frees its thread
    server: _Server

    # ----- plumbing -----
    def setup(self) -> None:
        super().setup()
        with self.server.hub._lock:
            self.server.hub._conns.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        with self.server.hub._lock:
            self.server.hub._conns.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle(self) -> None:
        if self.server.hub.hangup:
            return self._abort()
        super().handle()

    def _dispatch(self) -> None:
        hub = self.server.hub
        split = urlsplit(self.path)
        self.rel_path = unquote(split.path)
        self.query = parse_qs(split.query)
        self.status = 0
        self._logged = False
        try:
            length = int(self.headers.get("Content-Length") or 0)
            self.body = self.rfile.read(length) if length else b""  # always drained: keep-alive stays in sync
            hostile = hub._hostile.get(self.rel_path)
            if hostile is not None:
                self._serve_hostile(hostile)
            elif self.server.role == "cdn":
                self._cdn()
            elif self.rel_path.startswith("/api/models"):
                self._api(self.rel_path[len("/api/models"):])
            elif "/resolve/" in self.rel_path:
                self._resolve()
            else:
                raise _HubError(404, None, "Not found")
        except _HubError as e:
            headers = {"X-Error-Message": _ascii(str(e))}
            if e.code:
                headers["X-Error-Code"] = e.code
            if e.commit:
                headers["X-Repo-Commit"] = e.commit
            self._json({"error": str(e)}, e.status, headers)
        except _GONE:
            self.close_connection = True
        except Exception:  # a bug in this server: tell the test loudly
            hub.errors.append(traceback.format_exc())
            traceback.print_exc()
            self.close_connection = True
            if not self.status:
                self._json({"error": "fake hub crashed"}, 500)
        finally:
            if not self._logged:  # no response was started (connection gone)
                hub._log(self.command, self.rel_path, self.headers.get("Range"), self.status)

    do_GET = do_HEAD = do_POST = _dispatch

    def _send_head(self, status: int, headers: dict[str, str]) -> None:
        self.status = status
        if not self._logged:  # before the client can see the response, so a test never races the log
            self._logged = True
            self.server.hub._log(self.command, self.rel_path, self.headers.get("Range"), status)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()

    def _json(self, obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(obj).encode()
        self._send_head(status, {"Content-Type": "application/json; charset=utf-8",
                                 "Content-Length": str(len(body)), **(headers or {})})
        if self.command != "HEAD":
            self.wfile.write(body)

    def _serve_hostile(self, h: Hostile) -> None:
        hub = self.server.hub
        self.close_connection = True
        if h.kind == "endless":
            self._send_head(200, {"Content-Type": "application/json", "Transfer-Encoding": "chunked", **h.headers})
            item = json.dumps({"id": "o/x" + "y" * 200, "downloads": 1}).encode() + b","
            piece = b"[" + item * 300
            while not hub._stopping.is_set():
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                piece = item * 300
            return
        self._send_head(200, {"Content-Type": "application/json", "Content-Length": str(len(h.body)), **h.headers})
        if self.command == "HEAD":
            return
        if h.kind == "raw":
            self.wfile.write(h.body)
            return
        for i in range(len(h.body)):  # trickle
            if hub._stopping.wait(1 / h.rate):
                return self._abort()
            self.wfile.write(h.body[i:i + 1])
            self.wfile.flush()

    def _body_params(self) -> dict[str, list[str]]:
        raw = self.body.decode()
        if raw.lstrip().startswith("{"):
            return {k: v if isinstance(v, list) else [str(v)] for k, v in json.loads(raw).items()}
        return parse_qs(raw)

    def _flag(self, name: str) -> bool:
        return self.query.get(name, ["false"])[-1].lower() in ("1", "true")

    # ----- repos -----
    def _repo(self, repo_id: str) -> Repo:
        repo = self.server.hub.repos.get(repo_id)
        if repo is None:
            raise _HubError(404, "RepoNotFound", f"Repository not found: {repo_id}")
        return repo

    def _check_revision(self, repo: Repo, revision: str) -> None:
        if revision not in ("main", repo.sha, "refs/heads/main"):
            raise _HubError(404, "RevisionNotFound", f"Invalid rev id: {revision}")

    def _api(self, rest: str) -> None:
        if rest in ("", "/"):
            return self._search()
        repo_id, tail = self.server.hub._split_repo(rest.lstrip("/"))
        repo = self._repo(repo_id)
        if tail == "" or tail.startswith("revision/"):
            self._check_revision(repo, tail[len("revision/"):] or "main")
            blobs = self._flag("blobs")
            expand = self.query.get("expand") or self.query.get("expand[]")
            info = repo.summary(siblings=not expand or "siblings" in expand, blobs=blobs)
            if expand:
                info = {k: v for k, v in info.items() if k in expand or k in ("id", "_id")}
            return self._json(info)
        kind, _, rest2 = tail.partition("/")
        if kind == "tree":
            revision, _, folder = rest2.partition("/")
            self._check_revision(repo, revision)
            return self._json(self._tree(repo, folder.strip("/"), self._flag("recursive")))
        if kind == "paths-info" and self.command == "POST":
            self._check_revision(repo, rest2)
            wanted = self._body_params().get("paths", [])
            out = [entry(f) for name, f in list(repo.files.items()) if name in wanted]
            out += [e for e in self._tree(repo, "", True) if e["type"] == "directory" and e["path"] in wanted]
            return self._json(out)
        raise _HubError(404, None, f"Not found: {self.rel_path}")

    def _tree(self, repo: Repo, folder: str, recursive: bool) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        dirs: dict[str, None] = {}
        prefix = folder + "/" if folder else ""
        for name, f in list(repo.files.items()):
            parts = normal_dirs(name)
            if parts is None:  # hostile names: listed as given, at the top
                if not folder:
                    out.append(entry(f))
                continue
            if not name.startswith(prefix):
                continue
            below = parts[len(folder.split("/")):] if folder else parts  # folders between `folder` and the file
            if recursive:
                for depth in range(1, len(below) + 1):
                    dirs.setdefault(prefix + "/".join(below[:depth]))
                out.append(entry(f))
            elif below:
                dirs.setdefault(prefix + below[0])
            else:
                out.append(entry(f))
        if folder and not out and not dirs:
            raise _HubError(404, "EntryNotFound", f"{folder} does not exist on main")
        folders = [{"type": "directory", "path": d, "size": 0, "oid": git_oid(d.encode())} for d in dirs]
        return folders + out

    def _search(self) -> None:
        hub, q = self.server.hub, self.query
        items = search_repos(list(hub.repos.values()), q, full=self._flag("full"))
        start = int(q.get("cursor", ["0"])[-1])
        size = min(int(q.get("limit", [hub.page_size])[-1]), hub.page_size)
        page, headers = items[start:start + size], {}
        if start + size < len(items):
            query = "&".join(f"{k}={quote(v)}" for k, vs in q.items() if k != "cursor" for v in vs)
            headers["Link"] = f'<{hub.url}/api/models?{query}&cursor={start + size}>; rel="next"'
        self._json(page, 200, headers)

    # ----- files -----
    def _resolve(self) -> None:
        hub = self.server.hub
        repo_part, _, rest = self.rel_path.lstrip("/").partition("/resolve/")
        repo = self._repo(repo_part)
        revision, _, filename = rest.partition("/")
        self._check_revision(repo, revision)
        f = repo.files.get(filename)
        if f is None:
            raise _HubError(404, "EntryNotFound", f"{filename} does not exist on main", commit=repo.sha)
        if repo.gated and not self.headers.get("Authorization"):
            raise _HubError(401, "GatedRepo", f"Access to model {repo.repo_id} is restricted.")
        common = {"X-Repo-Commit": repo.sha, "Accept-Ranges": "bytes"}
        if f.lfs:
            location = f"{hub.cdn_url}/cdn/{f.sha256}/{quote(repo.repo_id, safe='')}/{quote(filename, safe='')}"
            self._send_head(302, {**common, "Location": location, "ETag": f'"{f.oid}"',
                                  "X-Linked-Etag": f'"{f.sha256}"', "X-Linked-Size": str(f.size),
                                  "Content-Length": "0"})
            return
        self._serve(f, {**common, "ETag": f'"{f.oid}"'})

    def _cdn(self) -> None:
        """/cdn/{sha256}/{quoted repo id}/{quoted filename}: the bytes, like cdn-lfs.hf.co."""
        parts = [unquote(p) for p in urlsplit(self.path).path.split("/")]
        repo = self.server.hub.repos.get(parts[3]) if len(parts) == 5 and parts[1] == "cdn" else None
        f = repo.files.get(parts[4]) if repo else None
        if f is None or f.sha256 != parts[2]:
            raise _HubError(404, None, "NoSuchKey")
        base = f.filename.split("/")[-1]
        disposition = f"inline; filename*=UTF-8''{quote(base)}; filename=\"{_ascii(base)}\";"
        self._serve(f, {"ETag": f'"{f.sha256}"', "Accept-Ranges": "bytes", "Content-Disposition": disposition,
                        "Content-Type": "binary/octet-stream", "Last-Modified": "Sat, 01 Jun 2024 12:00:00 GMT"})

    def _range(self, size: int) -> tuple[int, int] | None:
        """(start, end) inclusive from the Range header; None for the whole file; raises 416."""
        header = self.headers.get("Range")
        if not header or not header.startswith("bytes=") or "," in header:
            return None
        first, _, last = header[6:].strip().partition("-")
        try:
            if first == "":
                start, end = max(size - int(last), 0), size - 1
            else:
                start, end = int(first), min(int(last), size - 1) if last else size - 1
        except ValueError:
            return None
        if start >= size or start > end:
            raise _HubError(416, None, "Requested Range Not Satisfiable")
        return start, end

    def _serve(self, f: HubFile, headers: dict[str, str]) -> None:
        try:
            span = self._range(f.size)
        except _HubError:
            self._send_head(416, {**headers, "Content-Range": f"bytes */{f.size}", "Content-Length": "0"})
            return
        hub = self.server.hub
        accepts = "gzip" in (self.headers.get("Accept-Encoding") or "").lower()
        if hub.gzip_files == "always" or (hub.gzip_files == "negotiated" and accepts):
            with f.open() as src:  # the whole file, compressed; ranges ignored (like a re-encoding proxy)
                packed = gzip.compress(src.read())
            self._send_head(200, {**headers, "Content-Encoding": "gzip", "Content-Length": str(len(packed))})
            if self.command != "HEAD":
                self.wfile.write(packed)
                hub._count(f.filename, len(packed))
            return
        start, end = span if span else (0, f.size - 1)
        length = max(end - start + 1, 0)
        if span:
            headers["Content-Range"] = f"bytes {start}-{end}/{f.size}"
        headers["Content-Length"] = str(length)
        self._send_head(206 if span else 200, headers)
        if self.command == "HEAD":
            return
        fault = self.server.hub._take_fault(f.filename)
        with f.open() as src:
            src.seek(start)
            if fault is None and f.path is not None:
                self._sendfile(src, f.filename, start, length)
            else:
                self._copy(src, f.filename, length, fault)

    def _sendfile(self, src: BinaryIO, filename: str, offset: int, length: int) -> None:
        """Send from disk; with ``hub.rate_limit`` (bytes/s) paced like a link of that speed."""
        sock, hub = self.connection, self.server.hub
        rate, began, sent = hub.rate_limit, time.monotonic(), 0
        while length > 0:
            n = sock.sendfile(src, offset, min(length, CHUNK if rate else 16 * CHUNK)) or 0
            if n == 0:
                raise BrokenPipeError
            hub._count(filename, n)
            offset, length, sent = offset + n, length - n, sent + n
            if rate:
                ahead = sent / rate - (time.monotonic() - began)
                if ahead > 0:
                    time.sleep(ahead)

    def _copy(self, src: BinaryIO, filename: str, length: int, fault: Fault | None) -> None:
        """Send length bytes from src in 1 MiB writes, applying a fault if one is due."""
        hub, sent = self.server.hub, 0
        limit = fault.n_bytes if fault is not None and fault.kind in ("drop", "stall") else None
        while True:
            if fault is not None and limit is not None and sent >= limit:
                if fault.kind == "drop" or hub._stopping.wait(fault.seconds):
                    return self._abort()
                limit = None
            if sent >= length:
                return
            block = src.read(min(CHUNK, length - sent, (limit - sent) if limit is not None else CHUNK))
            if not block:
                raise BrokenPipeError("file shrank while serving it")
            if fault is not None and fault.kind == "corrupt":
                block = block.translate(_FLIP)
            self.wfile.write(block)
            sent += len(block)
            hub._count(filename, len(block))

    def _abort(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.connection.close()


# ----- fixtures -----
def _point_client_at(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """HF_ENDPOINT for Hearth; huggingface_hub's import-time constants too, so a stray call stays local."""
    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    for var in ("NO_PROXY", "no_proxy"):  # a proxy in the environment must not see local traffic
        monkeypatch.setenv(var, ",".join(filter(None, [os.environ.get(var), "127.0.0.1", "localhost"])))
    try:
        from huggingface_hub import constants
    except ImportError:
        return
    monkeypatch.setattr(constants, "ENDPOINT", url)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", url + "/{repo_id}/resolve/{revision}/{filename}")


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """A running FakeHub with HF_ENDPOINT pointing at it (empty: add repos and files)."""
    with FakeHub() as server:
        _point_client_at(server.url, monkeypatch)
        yield server


@pytest.fixture
def smollm2_hub(hub: FakeHub, smollm2_path: Path) -> FakeHub:
    """``hub`` plus the real SmolLM2 GGUF as SMOLLM2_REPO/SMOLLM2_FILE (served from disk)."""
    hub.add_repo(SMOLLM2_REPO, downloads=5000, likes=40, tags=("gguf", "llama", "text-generation"))
    hub.add_file(SMOLLM2_REPO, SMOLLM2_FILE, smollm2_path)
    return hub
