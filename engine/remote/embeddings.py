"""Embeddings computed by a remote backend (``POST {base_url}/embeddings``), for the knowledge base.

A collection whose embedding model lives on a backend names it ``remote://<backend>/<model>`` (the same
spelling as a remote chat model, each part percent-quoted: :func:`embedder_spelling` makes it,
:func:`parse_embedder` reads it back, and also takes what a user types, such as
``remote://gpu/BAAI/bge-m3``). :func:`embed_remote` sends the texts in batches and returns one
L2-normalised float32 row per text, as the local worker does, so both kinds of vectors compare the same
way (cosine = dot product). What can go wrong says so: nothing at the address, a model the server does
not serve (404), a server that does not compute embeddings (llama-server started without
``--embeddings`` answers 501), a reply with another number of vectors than texts sent, or vectors whose
size changes from one batch to the next. A text longer than the server's model takes (llama-server
answers 500 "input is too large to process. increase the physical batch size" or 400 "larger than the
max context size"; vLLM and OpenAI "maximum context length") is not a failure: its batch is sent again
with each text cut to its first 2,048 characters (about 512 tokens), halved down to 256 until the
server takes it, and the cut is logged (info), as the local worker truncates to its context. The API key
comes with the :class:`Backend` (from the keychain) and goes only into the request's header; nothing here
logs it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Sequence
from urllib.parse import quote, unquote

import numpy as np

from engine.errors import RemoteContextExceeded, RemoteError, RemoteNotFound, RemoteReplyInvalid
from engine.remote.backend import Backend
from engine.remote.http import CONNECT_TIMEOUT_S, json_of, request

SCHEME = "remote://"
BATCH_TEXTS = 32                 # texts per request: small enough for a server's request-size limits
EMBED_TIMEOUT = (CONNECT_TIMEOUT_S, 120.0)
PROBE_TEXT = "Hearth checks the size of this model's vectors."
CUT_CHARS = 4 * 512              # the first cut of a text too long for the server: about 512 tokens of English
MIN_CUT_CHARS = 256              # the last one tried (halving from CUT_CHARS)
# how servers refuse an input longer than the model takes: llama-server "input (3002 tokens) is too large to
# process. increase the physical batch size" (500) or "… is larger than the max context size" (400,
# exceed_context_size_error); vLLM/OpenAI "maximum context length is 512 tokens" (400); TEI "must have less
# than 512 tokens" (413)
_TOO_LONG_STATUSES = (400, 413, 422, 500)
_TOO_LONG_WORDS = ("too large", "too long", "exceed", "context size", "context length", "maximum context",
                   "physical batch size", "must have less than")
log = logging.getLogger(__name__)
# llama-server without --embeddings answers 501 "This server does not support embeddings. Start it with
# `--embeddings`"; Ollama with a chat-only model "this model does not support embeddings" (400/500); vLLM
# with a generative model "The model does not support Embeddings API" (400)


def embedder_spelling(backend: str, model: str) -> str:
    """How a collection stores the embedding model ``model`` served by backend ``backend``."""
    return f"{SCHEME}{quote(backend, safe='')}/{quote(model, safe='')}"


def is_remote_embedder(choice: object) -> bool:
    """Whether a collection's embedding model choice names a remote backend's model."""
    return isinstance(choice, str) and choice.strip().lower().startswith(SCHEME)


def parse_embedder(choice: str) -> tuple[str, str] | None:
    """``(backend, model)`` of a ``remote://backend/model`` choice; None for a local one (a path or a name).

    Everything after the backend's name is the model's id, so a typed ``remote://gpu/BAAI/bge-m3`` is
    the model ``BAAI/bge-m3``. A remote choice without both parts is refused (``RemoteError``)."""
    if not is_remote_embedder(choice):
        return None
    rest = choice.strip()[len(SCHEME):]
    backend, _, model = rest.partition("/")
    backend, model = unquote(backend).strip(), unquote(model).strip()
    if not backend or not model:
        raise RemoteError(f"{choice!r} does not name a backend and a model.",
                          hint="Write a remote embedding model as remote://BACKEND/MODEL, for example "
                               "remote://desktop-gpu/nomic-embed-text (`hearth backends list` names the backends).",
                          reason="bad_embedder", params={"choice": choice})
    return backend, model


def canonical(choice: str) -> str:
    """The one spelling of a remote choice (what collections store and compare)."""
    parsed = parse_embedder(choice)
    if parsed is None:
        raise RemoteError(f"{choice!r} is not a remote embedding model.", reason="bad_embedder",
                          hint="Write it as remote://BACKEND/MODEL.", params={"choice": choice})
    return embedder_spelling(*parsed)


def embed_remote(backend: Backend, model: str, texts: Sequence[str], *, batch: int = BATCH_TEXTS,
                 timeout: tuple[float, float] = EMBED_TIMEOUT) -> np.ndarray:
    """One L2-normalised float32 row per text, shape ``(len(texts), dim)``, computed by ``model`` on
    ``backend``, ``batch`` texts per request."""
    texts = list(texts)
    if not texts:
        return np.zeros((0, 0), np.float32)
    parts: list[np.ndarray] = []
    for start in range(0, len(texts), max(1, batch)):
        chunk = texts[start:start + max(1, batch)]
        vectors = _embed_batch(backend, model, chunk, timeout)
        if parts and vectors.shape[1] != parts[0].shape[1]:
            raise RemoteReplyInvalid(
                f"Backend {backend.name!r} changed the size of the vectors of {model!r} from "
                f"{parts[0].shape[1]} to {vectors.shape[1]} between two requests: it is not serving one model.",
                hint="Make sure every server behind this backend serves the same embedding model, then index "
                     "again.", reason="embedding_dimension",
                params={"name": backend.name, "model": model, "before": parts[0].shape[1],
                        "after": vectors.shape[1]})
        parts.append(vectors)
    return normalise(np.concatenate(parts, axis=0))


def dimension(backend: Backend, model: str) -> int:
    """The size of ``model``'s vectors, asked of the server by embedding one short text."""
    return int(embed_remote(backend, model, [PROBE_TEXT]).shape[1])


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32: what the local worker returns."""
    vecs = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vecs, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    return vecs / norms


def _embed_batch(backend: Backend, model: str, texts: list[str], timeout: tuple[float, float]) -> np.ndarray:
    """The vectors of one batch; refused as too long, the batch again with its texts cut (logged), shorter
    each time, down to ``MIN_CUT_CHARS``."""
    try:
        return _ask(backend, model, texts, timeout)
    except (RemoteError, RemoteContextExceeded) as exc:
        if not _too_long(exc):
            raise
        refused: RemoteError | RemoteContextExceeded = exc
    limit = CUT_CHARS
    while limit >= MIN_CUT_CHARS:
        longer = sum(len(text) > limit for text in texts)
        if longer:
            try:
                vectors = _ask(backend, model, [text[:limit] for text in texts], timeout)
            except (RemoteError, RemoteContextExceeded) as exc:
                if not _too_long(exc):
                    raise
                refused = exc
            else:
                log.info("backend %r refused %d of %d texts as too long for %r (%s): embedded their first %d "
                         "characters instead", backend.name, longer, len(texts), model,
                         refused.params.get("detail") or refused.message, limit)
                return vectors
        limit //= 2
    detail = str(refused.params.get("detail") or refused.message)
    raise RemoteError(
        f"Backend {backend.name!r} refused texts as too long for {model!r} even cut to {MIN_CUT_CHARS} "
        f"characters ({detail}).",
        hint="Restart its server with a larger context and batch (llama-server: -c 2048 -b 2048 -ub 2048), or "
             "choose another embedding model.", reason="embedding_too_long",
        params={"name": backend.name, "model": model, "url": f"{backend.base_url}/embeddings",
                "status": refused.params.get("status"), "detail": detail, "chars": MIN_CUT_CHARS}) from refused


def _too_long(exc: RemoteError | RemoteContextExceeded) -> bool:
    """Whether the server refused a batch because one of its texts is longer than its model takes."""
    if isinstance(exc, RemoteContextExceeded):
        return True
    detail = str(exc.params.get("detail") or "").lower()
    return exc.params.get("status") in _TOO_LONG_STATUSES and any(word in detail for word in _TOO_LONG_WORDS)


def _ask(backend: Backend, model: str, texts: list[str], timeout: tuple[float, float]) -> np.ndarray:
    """One request for ``texts``' vectors, its failures explained."""
    url = f"{backend.base_url}/embeddings"
    body = {"model": model, "input": texts, "encoding_format": "float"}
    try:
        with request(backend, "POST", url, json_body=body, timeout=timeout) as response:
            reply = json_of(backend, response)
    except RemoteError as exc:
        raise _explained(backend, model, url, exc) from exc
    return _vectors(backend, model, url, reply, len(texts))


def _explained(backend: Backend, model: str, url: str, exc: RemoteError) -> RemoteError:
    """The HTTP layer's error, said in terms of embeddings where the status tells more."""
    status = exc.params.get("status")
    detail = str(exc.params.get("detail") or "")
    params = {"name": backend.name, "model": model, "url": url, "status": status, "detail": detail}
    low = detail.lower()
    if status == 501 or (isinstance(status, int) and status >= 400 and status != 404
                         and "embedding" in low and "support" in low):
        return RemoteError(
            f"Backend {backend.name!r} does not compute embeddings ({status}: {detail or 'not implemented'}).",
            hint="Start its server with embeddings on (llama-server: --embeddings, with an embedding model such "
                 "as nomic-embed-text or all-MiniLM-L6-v2; vLLM: --task embed), or choose a backend that serves "
                 "an embedding model.", reason="embeddings_unsupported", params=params)
    if status == 404:
        return RemoteNotFound(
            f"Backend {backend.name!r} does not serve the embedding model {model!r} (404"
            f"{': ' + detail if detail else ''}).",
            hint=f"Check the model's id (`hearth backends test {backend.name}` lists what it serves) and that the "
                 "base URL ends in the API's path (/v1).", reason="embedding_model", params=params)
    return exc


def _vectors(backend: Backend, model: str, url: str, reply: Any, count: int) -> np.ndarray:
    """The reply's ``data[].embedding`` rows in input order, checked: as many as texts, one size, numbers."""
    where = f"Backend {backend.name!r}"
    params: dict[str, object] = {"name": backend.name, "model": model, "url": url, "sent": count}
    data = reply.get("data") if isinstance(reply, dict) else None
    if not isinstance(data, list) or not all(isinstance(d, dict) and isinstance(d.get("embedding"), list)
                                             for d in data):
        raise RemoteReplyInvalid(f"{where} answered {url} without a list of embeddings.", params=params,
                                 reason="embedding_reply")
    if len(data) != count:
        raise RemoteReplyInvalid(
            f"{where} returned {len(data)} vector{'s' if len(data) != 1 else ''} of {model!r} for {count} "
            f"text{'s' if count != 1 else ''}.", reason="embedding_count",
            hint="The server dropped or added inputs; nothing was stored. Check its log, then index again.",
            params={**params, "received": len(data)})
    if all(isinstance(d.get("index"), int) for d in data):
        data = sorted(data, key=lambda d: d["index"])   # OpenAI's order is by index, not by position
        if [d["index"] for d in data] != list(range(count)):
            raise RemoteReplyInvalid(f"{where} returned embeddings for other inputs than those sent.",
                                     reason="embedding_count", params={**params, "received": len(data)})
    sizes = {len(d["embedding"]) for d in data}
    if len(sizes) != 1 or 0 in sizes:
        raise RemoteReplyInvalid(f"{where} returned vectors of different sizes ({sorted(sizes)}) in one reply.",
                                 reason="embedding_dimension", params=params)
    try:
        vectors = np.asarray([d["embedding"] for d in data], dtype=np.float32)
    except (TypeError, ValueError):
        raise RemoteReplyInvalid(f"{where} returned embeddings that are not lists of numbers.",
                                 reason="embedding_reply", params=params) from None
    if not np.isfinite(vectors).all():
        raise RemoteReplyInvalid(f"{where} returned embeddings holding NaN or infinity.",
                                 reason="embedding_reply", params=params)
    return vectors


@dataclass(frozen=True)
class RemoteEmbedder:
    """A backend's embedding model in use, with the size of its vectors found when it was opened."""

    spelling: str
    backend: Backend
    model: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of ``texts``; refused when the server's vectors no longer have the size found at first."""
        vectors = embed_remote(self.backend, self.model, texts)
        if len(texts) and vectors.shape[1] != self.dim:
            raise RemoteReplyInvalid(
                f"The embedding model {self.model!r} on backend {self.backend.name!r} now makes vectors of "
                f"{vectors.shape[1]} numbers instead of {self.dim}: the server's model changed.",
                hint="Index the collection again: its vectors are made again with the new model.",
                reason="embedding_dimension", params={"name": self.backend.name, "model": self.model,
                                                      "before": self.dim, "after": int(vectors.shape[1])})
        return vectors

    def __repr__(self) -> str:   # the backend's own repr hides its key
        return f"RemoteEmbedder({self.spelling!r}, dim={self.dim})"


def open_embedder(spelling: str, backend: Backend) -> RemoteEmbedder:
    """The embedding model ``spelling`` names, on ``backend`` (found by the caller, key filled in), its
    vector size asked of the server now: unreachable, 404, 501… fail here, before anything is indexed."""
    parsed = parse_embedder(spelling)
    if parsed is None:
        raise RemoteError(f"{spelling!r} is not a remote embedding model.", reason="bad_embedder",
                          hint="Write it as remote://BACKEND/MODEL.", params={"choice": spelling})
    return RemoteEmbedder(embedder_spelling(*parsed), backend, parsed[1], dimension(backend, parsed[1]))
