"""The API's routes: /health, /v1/models, /v1/chat/completions, /v1/embeddings, /v1/hearth/search.

Handlers validate the request, queue a job on the model's thread and relay what it sends back,
whole or as server-sent events. A client that disconnects cancels its own job (queued or running);
nobody else's. No prompt text is logged.
"""
from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any, AsyncIterator

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from engine.api import replies
from engine.api.completions import messages_of, response_format_of, stops_of
from engine.api.replies import ApiProblem
from engine.api.search import search_request
from engine.api.worker import KB_PREFIX, FINISH_FALLBACK, Job, model_id

if TYPE_CHECKING:
    from engine.api.worker import ModelWorker
    from engine.home import Home

PING_S = 15.0   # a ":" comment line keeps proxies from closing a stream that waits in the queue


def build_app(home: "Home", worker: "ModelWorker") -> Starlette:
    async def health(request: Request) -> Response:
        if worker.state == "ready":
            return JSONResponse({"status": "ok", "model": worker.loaded_id, "waiting": worker.waiting()})
        if worker.state == "failed":
            return ApiProblem(503, "The model failed to load: " + worker.problem, code="model_load_failed").response()
        return ApiProblem(503, "The model is loading.", code="model_loading").response()

    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": await run_in_threadpool(_listing, home, worker)})

    async def chat(request: Request) -> Response:
        body = await _json(request)
        if not isinstance(body.get("model"), str) or not body["model"]:
            raise ApiProblem(400, "'model' is required.", param="model", code="invalid_value")
        messages_of(body.get("messages"))   # refuse a malformed request before it queues
        stops_of(body.get("stop"))
        constrained = response_format_of(body.get("response_format")) is not None
        if body.get("n", 1) != 1:
            raise ApiProblem(400, "Only n=1 is supported.", param="n", code="invalid_value")
        for name in ("max_tokens", "max_completion_tokens", "seed"):
            if name in body and (not isinstance(body[name], int) or isinstance(body[name], bool) or body[name] < 0):
                raise ApiProblem(400, f"'{name}' must be a non-negative integer.", param=name, code="invalid_value")
        for name in ("temperature", "top_p"):
            if name in body and not isinstance(body[name], (int, float)):
                raise ApiProblem(400, f"'{name}' must be a number.", param=name, code="invalid_value")
        job = Job("chat", body, asyncio.get_running_loop())
        worker.submit(job)
        if body.get("stream"):
            options = body.get("stream_options") or {}
            include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
            # a schema the model's worker refuses is a 400, so the status waits for the job to begin
            first = await _first(job) if constrained else None
            return StreamingResponse(_stream(job, include_usage, first), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        return JSONResponse(await _whole(job))

    async def embeddings(request: Request) -> Response:
        body = await _json(request)
        if not isinstance(body.get("model"), str):
            raise ApiProblem(400, "'model' is required.", param="model", code="invalid_value")
        texts = body.get("input")
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            raise ApiProblem(400, "'input' must be a string or a list of strings (token arrays are not supported).",
                             param="input", code="invalid_value")
        job = Job("embed", {**body, "input": texts}, asyncio.get_running_loop())
        return await _one_result(worker, job)

    async def search(request: Request) -> Response:
        """A knowledge collection's passages for a query (``engine.api.search``), in the model's thread."""
        job = Job("search", search_request(await _json(request)), asyncio.get_running_loop())
        return await _one_result(worker, job)

    async def problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiProblem)
        return exc.response()

    async def http_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = "Unknown path." if exc.status_code == 404 else str(exc.detail)
        return ApiProblem(exc.status_code, message, code="not_found" if exc.status_code == 404 else None).response()

    routes = [Route("/health", health), Route("/v1/models", models), Route("/v1/chat/completions", chat,
              methods=["POST"]), Route("/v1/embeddings", embeddings, methods=["POST"]),
              Route("/v1/hearth/search", search, methods=["POST"])]
    return Starlette(routes=routes, exception_handlers={ApiProblem: problem, HTTPException: http_problem})


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise ApiProblem(400, "The request body is not valid JSON.", code="invalid_json") from None
    if not isinstance(body, dict):
        raise ApiProblem(400, "The request body must be a JSON object.", code="invalid_json")
    return {k: v for k, v in body.items() if v is not None}   # null means "not given", as OpenAI reads it


async def _whole(job: Job) -> dict[str, Any]:
    answer: list[str] = []
    reasoning: list[str] = []
    meta: dict[str, Any] = {}
    try:
        while True:
            item = await job.out.get()
            if item[0] == "error":
                raise item[1]
            if item[0] == "start":
                meta = item[1]
            elif item[0] == "piece":
                (answer if item[1] == "answer" else reasoning).append(item[2])
            elif item[0] == "done":
                stats = item[1]
                break
    finally:
        job.cancel.cancel()   # a no-op when done; stops the model when the client went away
    extra = {"sources": meta["sources"]} if str(job.request["model"]).startswith(KB_PREFIX) else {}
    return replies.completion(replies.completion_id(), meta.get("model", job.request["model"]), "".join(answer),
                              "".join(reasoning), _finish(stats), int(stats.get("prompt_tokens", 0)),
                              int(stats.get("completion_tokens", 0)), **extra)


async def _first(job: Job) -> tuple[Any, ...]:
    """The job's first item (its start); an error before it is raised, to be answered with its status."""
    try:
        item = await job.out.get()
    except BaseException:   # the client went away while it waited
        job.cancel.cancel()
        raise
    if item[0] == "error":
        job.cancel.cancel()
        raise item[1]
    return item


async def _stream(job: Job, include_usage: bool, first: tuple[Any, ...] | None = None) -> AsyncIterator[bytes]:
    cid, created = replies.completion_id(), int(time.time())
    model = str(job.request["model"])
    kb = model.startswith(KB_PREFIX)
    try:
        while True:
            if first is not None:   # read already (``_first``)
                item, first = first, None
            else:
                try:
                    item = await asyncio.wait_for(job.out.get(), PING_S)
                except asyncio.TimeoutError:
                    yield b": waiting\n\n"
                    continue
            kind = item[0]
            if kind == "error":
                yield replies.sse(item[1].body())   # mid-stream: the status line has gone already
                break
            if kind == "start":
                model = item[1]["model"]
                extra: dict[str, Any] = {"sources": item[1]["sources"]} if kb else {}
                if include_usage:
                    extra["usage"] = None
                yield replies.sse(replies.chunk(cid, created, model, {"role": "assistant", "content": ""}, **extra))
            elif kind == "piece":
                delta = {"content": item[2]} if item[1] == "answer" else {"reasoning_content": item[2]}
                yield replies.sse(replies.chunk(cid, created, model, delta, **({"usage": None} if include_usage
                                                                              else {})))
            elif kind == "done":
                stats = item[1]
                yield replies.sse(replies.chunk(cid, created, model, {}, _finish(stats),
                                                **({"usage": None} if include_usage else {})))
                if include_usage:
                    last = replies.chunk(cid, created, model, {})
                    last["choices"] = []
                    last["usage"] = replies.usage(int(stats.get("prompt_tokens", 0)),
                                                  int(stats.get("completion_tokens", 0)))
                    yield replies.sse(last)
                break
        yield replies.sse("[DONE]")
    finally:
        job.cancel.cancel()   # the client disconnected (or the stream ended): stop this job, no other


def _finish(stats: dict[str, Any]) -> str:
    return replies.FINISH.get(str(stats.get("finish_reason", "")), FINISH_FALLBACK)


# a local chat model: streamed, and constrained to JSON (response_format) through a llama.cpp grammar
CHAT_CAPABILITIES = {"chat": True, "embeddings": False, "streaming": True, "response_format": True}


async def _one_result(worker: "ModelWorker", job: Job) -> Response:
    """Queue a job that answers once (embeddings, search) and send its result, or raise its error."""
    worker.submit(job)
    try:
        item = await job.out.get()
    finally:
        job.cancel.cancel()
    if item[0] == "error":
        raise item[1]
    return JSONResponse(item[1])


def _listing(home: "Home", worker: "ModelWorker") -> list[dict[str, Any]]:
    """Installed chat models (context length, capabilities), embedding models, and knowledge collections."""
    from engine.knowledge import collections as library
    from engine.models.installed import installed_models
    created = int(time.time())
    out: list[dict[str, Any]] = []
    with home.store() as store:
        scan = installed_models(store, home.paths.models)
        for m in scan.models:
            mid = model_id(m.path)
            loaded = mid == worker.loaded_id
            out.append({"id": mid, "object": "model", "created": created, "owned_by": "hearth",
                        "name": m.name, "type": "chat", "loaded": loaded,
                        "context_length": worker.n_ctx_loaded if loaded else min(4096, m.context_length or 4096),
                        "max_context_length": m.context_length,
                        "capabilities": CHAT_CAPABILITIES})
        if worker.loaded_id and not any(e["id"] == worker.loaded_id for e in out):   # loaded from a path
            out.insert(0, {"id": worker.loaded_id, "object": "model", "created": created, "owned_by": "hearth",
                           "type": "chat", "loaded": True, "context_length": worker.n_ctx_loaded,
                           "capabilities": CHAT_CAPABILITIES})
        for m in scan.embedding:
            out.append({"id": model_id(m.path), "object": "model", "created": created, "owned_by": "hearth",
                        "name": m.name, "type": "embedding", "context_length": m.context_length,
                        "dimensions": m.embedding_length,
                        "capabilities": {"chat": False, "embeddings": True, "streaming": False}})
        for c in library.all_collections(store.db.conn):
            out.append({"id": KB_PREFIX + c.name, "object": "model", "created": created, "owned_by": "hearth",
                        "type": "knowledge", "context_length": worker.n_ctx_loaded,
                        "capabilities": {"chat": True, "embeddings": False, "streaming": True, "sources": True}})
    return out
