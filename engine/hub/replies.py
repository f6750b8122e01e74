"""Bounded replies from the model hub: every body Hearth reads from the Hub goes through here.

A reply comes from a server Hearth does not control (a mirror in ``HF_ENDPOINT``, a proxy, a
captive portal), so each one is read with three bounds:

* bytes: at most ``max_bytes`` *after decompression* (the body is read raw and inflated here,
  never more than the bytes still allowed at a time: a gzip bomb stops at the limit);
* time: one overall deadline for the whole reply (headers and body), besides the per-read
  timeout: a watchdog shuts the socket down when it passes, so a reply trickling one byte a
  second ends too;
* depth: JSON nested deeper than ``max_depth`` is refused before ``json.loads`` sees it.

Each bound broken raises a :class:`~engine.errors.HubReplyRefused` subclass naming the endpoint and
the limit. Requests go through huggingface_hub's shared session (its headers, proxies and
offline mode); status errors are raised by ``hf_raise_for_status`` (for :func:`hub_errors`
to translate). KeyboardInterrupt is never caught here.
"""
from __future__ import annotations

import json
import re
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

try:
    import httpx2
except ImportError:  # huggingface_hub 1.x is built on httpx; the API is the same
    import httpx as httpx2  # type: ignore[no-redef]
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

from engine.errors import HubReplyMalformed, HubReplyTooDeep, HubReplyTooLarge, HubReplyTooSlow

MAX_JSON_BYTES = 16 * 1024 * 1024   # a 1000-item search is ~1 MB; a model with thousands of files a few MB
MAX_DEPTH = 64                      # the Hub's answers nest 5 levels or so
JSON_DEADLINE_S = 30.0              # a whole JSON reply, headers to last byte
ERROR_BODY_BYTES = 64 * 1024        # what is read of an error reply (for its message)


class Deadline:
    """An overall deadline: ``left()`` seconds remain (never below 0)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def passed(self) -> bool:
        return time.monotonic() >= self.end


def endpoint_name(url: str) -> str:
    """'GET /api/models' style name of a request for messages: the path, no query, no host."""
    return urlsplit(url).path or "/"


class _Watchdog:
    """Shuts the request's socket down when the deadline passes, waking a read blocked on a trickle."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.sockets: list[socket.socket] = []
        self.fired = False
        self.lock = threading.Lock()
        self.timer = threading.Timer(deadline.left(), self._fire)
        self.timer.daemon = True

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook: a new connection's socket is known before any header is read."""
        if event.endswith("connect_tcp.complete"):
            self._add(info.get("return_value"))

    def watch(self, response: httpx2.Response) -> None:
        """A pooled connection's socket, known once the headers arrived."""
        self._add(response.extensions.get("network_stream"))

    def _add(self, stream: Any) -> None:
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            with self.lock:
                self.sockets.append(sock)
                fired = self.fired
            if fired:
                _shutdown(sock)

    def _fire(self) -> None:
        with self.lock:
            self.fired = True
            sockets = list(self.sockets)
        for sock in sockets:
            _shutdown(sock)

    def __enter__(self) -> _Watchdog:
        self.timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.timer.cancel()


def _shutdown(sock: socket.socket) -> None:
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain method: safe under TLS too
    except OSError:
        pass


def _too_slow(what: str, url: str, deadline: Deadline) -> HubReplyTooSlow:
    return HubReplyTooSlow(f"The model hub's reply for {what} ({endpoint_name(url)}) did not arrive within "
                           f"{deadline.seconds:g} seconds; Hearth stopped waiting.",
                           endpoint=endpoint_name(url), limit=deadline.seconds)


@contextmanager
def bounded_stream(method: str, url: str, *, what: str, deadline: Deadline, timeout: float,
                   headers: dict[str, str] | None = None, params: dict[str, Any] | None = None,
                   data: dict[str, Any] | None = None, follow_redirects: bool = True,
                   accept_encoding: str = "gzip") -> Iterator[httpx2.Response]:
    """A streamed response from huggingface_hub's session that cannot outlive ``deadline``.

    A transport error after the deadline passed becomes :class:`HubReplyTooSlow`; others propagate
    (for :func:`engine.hub.search.hub_errors` to translate).
    """
    if deadline.passed():
        raise _too_slow(what, url, deadline)
    all_headers = {**build_hf_headers(), "Accept-Encoding": accept_encoding, **(headers or {})}
    per_read = max(0.05, min(timeout, deadline.left()))
    with _Watchdog(deadline) as dog:
        try:
            with get_session().stream(method, url, params=params, data=data, headers=all_headers,
                                      timeout=per_read, follow_redirects=follow_redirects,
                                      extensions={"trace": dog.trace}) as response:
                dog.watch(response)
                yield response
        except (httpx2.TransportError, OSError) as exc:
            if dog.fired or deadline.passed():
                raise _too_slow(what, url, deadline) from exc
            raise


def iter_body(response: httpx2.Response, *, what: str, max_bytes: int, deadline: Deadline,
              allow_encoding: bool = True) -> Iterator[bytes]:
    """The body, decompressed here, in pieces; HubReplyTooLarge past ``max_bytes``, HubReplyTooSlow past
    ``deadline``. ``allow_encoding=False`` refuses any Content-Encoding (range reads of a file)."""
    url = str(response.url)
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower() or "identity"
    if encoding not in ("identity", "gzip", "x-gzip", "deflate") or (encoding != "identity" and not allow_encoding):
        raise HubReplyMalformed(f"The model hub sent {what} ({endpoint_name(url)}) with the encoding {encoding!r}, "
                                f"which Hearth does not accept here.", endpoint=endpoint_name(url))
    inflate = zlib.decompressobj(47) if encoding != "identity" else None  # 47: gzip or zlib header, detected
    total = 0

    def take(piece: bytes) -> bytes:
        nonlocal total
        total += len(piece)
        if total > max_bytes:
            raise HubReplyTooLarge(f"The model hub's reply for {what} ({endpoint_name(url)}) is larger than "
                                   f"{max_bytes:,} bytes (after decompression), more than Hearth reads for it.",
                                   endpoint=endpoint_name(url), limit=max_bytes)
        return piece

    try:
        for raw in response.iter_raw():
            if deadline.passed():
                raise _too_slow(what, url, deadline)
            if inflate is None:
                yield take(raw)
                continue
            pending = raw
            while pending:
                out = inflate.decompress(pending, max_bytes - total + 1)  # never more than one byte past the limit
                pending = inflate.unconsumed_tail
                yield take(out)
                if inflate.eof:
                    break
        if inflate is not None and not inflate.eof:
            yield take(inflate.flush())
    except zlib.error as exc:
        raise HubReplyMalformed(f"The model hub sent {what} ({endpoint_name(url)}) with a damaged {encoding} "
                                f"encoding: {exc}.", endpoint=endpoint_name(url)) from exc
    except (httpx2.TransportError, OSError) as exc:
        if deadline.passed():
            raise _too_slow(what, url, deadline) from exc
        raise


def read_body(response: httpx2.Response, *, what: str, max_bytes: int, deadline: Deadline) -> bytes:
    return b"".join(iter_body(response, what=what, max_bytes=max_bytes, deadline=deadline))


def raise_for_status(response: httpx2.Response, *, what: str, deadline: Deadline) -> None:
    """huggingface_hub's own error for a status >= 400, read from at most ERROR_BODY_BYTES of the body."""
    if response.status_code < 400:
        return
    pieces: list[bytes] = []
    try:
        for piece in iter_body(response, what=what, max_bytes=ERROR_BODY_BYTES, deadline=deadline):
            pieces.append(piece)
    except HubReplyTooLarge:
        pass  # the first ERROR_BODY_BYTES are enough for a message
    except HubReplyMalformed:
        pieces = []
    body = b"".join(pieces)
    skip = {"content-encoding", "content-length", "transfer-encoding"}
    copy = httpx2.Response(response.status_code, headers=[(k, v) for k, v in response.headers.items()
                                                         if k.lower() not in skip],
                           content=body, request=response.request)
    hf_raise_for_status(copy)


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth_exceeds(body: bytes, max_depth: int) -> bool:
    """True if the JSON text nests arrays/objects deeper than ``max_depth`` (strings are skipped)."""
    depth = 0
    for m in _BRACKET.finditer(_STRING.sub(b'""', body)):
        if m.group() in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                return True
        else:
            depth -= 1
    return False


def parse_json(body: bytes, *, what: str, url: str, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` of a reply, after the depth check; HubReplyTooDeep / HubReplyMalformed otherwise."""
    if json_depth_exceeds(body, max_depth):
        raise HubReplyTooDeep(f"The model hub's reply for {what} ({endpoint_name(url)}) nests deeper than "
                              f"{max_depth} levels; Hearth refused to parse it.",
                              endpoint=endpoint_name(url), limit=max_depth)
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise HubReplyMalformed(f"The model hub's reply for {what} ({endpoint_name(url)}) is not valid JSON: "
                                f"{str(exc)[:200]}.", endpoint=endpoint_name(url)) from exc


def fetch_json(method: str, url: str, *, what: str, params: dict[str, Any] | None = None,
               data: dict[str, Any] | None = None, timeout: float = 10.0, max_bytes: int = MAX_JSON_BYTES,
               max_depth: int = MAX_DEPTH, deadline_s: float | None = None) -> Any:
    """A JSON reply from the Hub, within every bound (see the module docstring).

    Raises huggingface_hub's HTTP errors for a status >= 400, httpx's transport errors, and
    HubReplyRefused subclasses; wrap the call in :func:`engine.hub.search.hub_errors`.
    """
    deadline = Deadline(JSON_DEADLINE_S if deadline_s is None else deadline_s)
    with bounded_stream(method, url, what=what, deadline=deadline, timeout=timeout, params=params,
                        data=data) as response:
        raise_for_status(response, what=what, deadline=deadline)
        body = read_body(response, what=what, max_bytes=max_bytes, deadline=deadline)
    return parse_json(body, what=what, url=url, max_depth=max_depth)
