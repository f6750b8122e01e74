"""A server-sent-events parser for streamed chat replies, tolerant of what real servers send.

CRLF or LF line ends (split across network chunks too), ``:`` comment lines (keep-alive pings), ``event:``
and ``id:`` fields, multi-line ``data:``, a stream that ends without ``data: [DONE]``, and an unterminated
last event. Yields each event's data as text; ``[DONE]`` ends the iteration.
"""
from __future__ import annotations

from typing import Iterable, Iterator

DONE = "[DONE]"


def events(chunks: Iterable[bytes]) -> Iterator[tuple[str, str]]:
    """(event type, data) for each event in a byte stream; the type is "message" unless the server names one."""
    buffer = b""
    data: list[str] = []
    kind = "message"
    for chunk in chunks:
        buffer += chunk
        while True:
            cut = buffer.find(b"\n")
            if cut < 0:
                break
            line = buffer[:cut].rstrip(b"\r").decode("utf-8", errors="replace")
            buffer = buffer[cut + 1:]
            if not line:   # the blank line that ends an event
                if data:
                    yield kind, "\n".join(data)
                data, kind = [], "message"
                continue
            if line.startswith(":"):   # a comment: keep-alive ping
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "data":
                data.append(value)
            elif field == "event":
                kind = value or "message"
    tail = buffer.rstrip(b"\r").decode("utf-8", errors="replace")
    if tail.startswith("data:"):   # the connection closed mid-event: its data is whole when the line is
        value = tail[5:]
        data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield kind, "\n".join(data)


def data_events(chunks: Iterable[bytes]) -> Iterator[tuple[str, str]]:
    """Like :func:`events`, stopping at ``[DONE]``."""
    for kind, data in events(chunks):
        if data.strip() == DONE:
            return
        yield kind, data
