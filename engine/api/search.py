"""``POST /v1/hearth/search``: a knowledge collection's best passages for a query, without a model's answer.

The request is ``{"collection": name, "query": text, "k": n}`` (``mode`` optional: one of the knowledge
base's retrieval modes); the reply is ``{"object": "list", "data": [...]}``, one entry per passage, best
first, each with its document, path, text, scores and chunk id, and whether it counts as found
(``relevant``: the same test the ``hearth-kb/<collection>`` chat applies before it quotes a passage).
It runs in the model's thread, like every request that uses the engine: the question is embedded by the
collection's own embedding model, and the search is the knowledge base's (hybrid, reranked).
"""
from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from engine import errors
from engine.api.replies import ApiProblem

if TYPE_CHECKING:
    from engine.home import Engine

DEFAULT_K = 5
MAX_K = 50
MAX_QUERY_CHARS = 4000


def search_request(body: dict[str, Any]) -> dict[str, Any]:
    """The request's fields, checked before it queues (400 in OpenAI's shape for anything wrong)."""
    collection = body.get("collection")
    if not isinstance(collection, str) or not collection.strip():
        raise ApiProblem(400, "'collection' is required: the name of a knowledge collection.", param="collection",
                         code="invalid_value")
    query = body.get("query")
    if not isinstance(query, str) or not query.strip():
        raise ApiProblem(400, "'query' is required: the text to search for.", param="query", code="invalid_value")
    if len(query) > MAX_QUERY_CHARS:
        raise ApiProblem(400, f"'query' is longer than {MAX_QUERY_CHARS} characters.", param="query",
                         code="invalid_value")
    k = body.get("k", DEFAULT_K)
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise ApiProblem(400, f"'k' must be a whole number from 1 to {MAX_K}.", param="k", code="invalid_value")
    from engine.knowledge.retrieval import MODES
    mode = body.get("mode")
    if mode is not None and mode not in MODES:
        raise ApiProblem(400, f"'mode' must be one of {', '.join(MODES)}.", param="mode", code="invalid_value")
    return {"collection": collection, "query": query, "k": k, "mode": mode}


def serve_search(eng: "Engine", request: dict[str, Any]) -> dict[str, Any]:
    """The passages of ``request['collection']`` for ``request['query']`` (see the module's docstring)."""
    kb = eng.knowledge
    try:
        kb.collection(request["collection"])
    except errors.CollectionNotFound:
        raise ApiProblem(404, f"There is no knowledge collection named '{request['collection']}'. GET /v1/models "
                              "lists them as hearth-kb/<collection>.", param="collection",
                         code="collection_not_found") from None
    hits = kb.search([request["collection"]], request["query"], k=request["k"], mode=request.get("mode"))
    found = {h.chunk_id for h in kb.relevant(hits, request["query"])}
    data = [{"object": "search.result", "document": PurePath(h.path).name, "path": h.path, "text": h.text,
             "score": round(h.order_score, 6),
             "keyword_score": None if h.keyword_score is None else float(f"{h.keyword_score:.4g}"),
             "vector_score": None if h.vector_score is None else round(h.vector_score, 4),
             "chunk_id": h.chunk_id, "collection": h.collection, "heading": h.heading, "page": h.page,
             "line_start": h.line_start, "line_end": h.line_end, "relevant": h.chunk_id in found}
            for h in hits]
    return {"object": "list", "data": data, "collection": request["collection"]}
