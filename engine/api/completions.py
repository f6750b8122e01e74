"""A chat completion in the model's thread: messages through the model's own chat template, an
optional knowledge-base retrieval (``model: "hearth-kb/<collection>"``), then the runtime's stream,
held to a llama.cpp grammar when ``response_format`` asks for JSON (json_object, json_schema).

What goes back to the request's loop: ``("start", meta)``, ``("piece", kind, text)`` (kind "answer"
or "reasoning"), then ``("done", stats)`` or ``("error", ApiProblem)``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine import errors
from engine.api.replies import ApiProblem
from engine.api.worker import KB_PREFIX, default_sampling
from engine.chat.reasoning import reply_pieces, splitter_for
from engine.runtime.formats import response_format_parts

if TYPE_CHECKING:
    from engine.api.worker import Job, ModelWorker
    from engine.home import Engine

KB_SEARCHED = 8       # passages searched for a knowledge-base question (as the chat does)
DEFAULT_MAX_TOKENS = 1024


def messages_of(raw: Any) -> list[dict[str, str]]:
    """The request's messages as the chat template takes them; text parts joined, anything else refused."""
    if not isinstance(raw, list) or not raw:
        raise ApiProblem(400, "'messages' must be a non-empty list.", param="messages", code="invalid_value")
    out = []
    for i, message in enumerate(raw):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise ApiProblem(400, f"messages[{i}] needs a 'role'.", param=f"messages[{i}]", code="invalid_value")
        content = message.get("content")
        if content is None:
            content = ""
        if isinstance(content, list):
            parts = []
            for part in content:
                if not isinstance(part, dict) or part.get("type") != "text":
                    raise ApiProblem(400, f"messages[{i}]: only text content parts are supported.",
                                     param=f"messages[{i}].content", code="unsupported_content")
                parts.append(str(part.get("text", "")))
            content = "\n".join(parts)
        if not isinstance(content, str):
            raise ApiProblem(400, f"messages[{i}].content must be text.", param=f"messages[{i}].content",
                             code="invalid_value")
        role = "system" if message["role"] == "developer" else message["role"]
        out.append({"role": role, "content": content})
    return out


def stops_of(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list) and all(isinstance(s, str) for s in raw) and len(raw) <= 4:
        return tuple(s for s in raw if s)
    raise ApiProblem(400, "'stop' must be a string or a list of up to 4 strings.", param="stop", code="invalid_value")


def response_format_of(raw: Any) -> dict[str, Any] | None:
    """The request's ``response_format`` when it constrains the reply (json_object, json_schema), its shape
    checked; None for none or "text". The schema itself is checked by the model's worker."""
    try:
        kind, _ = response_format_parts(raw)
    except errors.GrammarInvalid as exc:
        raise _format_problem(exc) from None
    return dict(raw) if kind else None


def _format_problem(exc: errors.GrammarInvalid) -> ApiProblem:
    message = f"{exc.message} {exc.hint}" if exc.hint else exc.message
    return ApiProblem(400, message, param="response_format", code="invalid_response_format")


def serve_chat(worker: "ModelWorker", eng: "Engine", job: "Job") -> None:
    request = job.request
    name = str(request["model"])
    kb = name.startswith(KB_PREFIX)
    info = worker.chat_model(eng, None if kb else name)
    messages = messages_of(request["messages"])
    asked = [dict(m) for m in messages]   # as the client sent them (retrieval adds passages to the last)
    requested = request.get("max_completion_tokens", request.get("max_tokens")) or DEFAULT_MAX_TOKENS
    limit = min(int(requested), worker.max_tokens_cap)
    sources: list[dict[str, Any]] = []
    if kb:
        sources = _retrieve(eng, info, name[len(KB_PREFIX):], messages, limit)
    prompt = info.template.render(messages)
    prompt_tokens = eng.runtime.count_tokens(prompt)
    if prompt_tokens >= info.n_ctx:
        raise ApiProblem(400, f"This model's context is {info.n_ctx} tokens; the messages take {prompt_tokens}. "
                              "Send fewer or shorter messages.", code="context_length_exceeded", param="messages")
    stop = tuple(dict.fromkeys(stops_of(request.get("stop")) + info.template.stop_strings))
    settings = default_sampling(request, min(limit, info.n_ctx - prompt_tokens), stop)
    constraint: dict[str, Any] = {}
    response_format = response_format_of(request.get("response_format"))
    if response_format is not None:   # a local model: a grammar, checked now; a remote one: the field itself
        try:
            constraint = {"grammar": eng.runtime.grammar_for(response_format), "response_format": response_format}
        except errors.GrammarInvalid as exc:
            raise _format_problem(exc) from None
    recorder = None
    if worker.store_conversations:   # the user opted in: kept like a chat, saved before generating
        from engine.api.history import ApiRecorder
        recorder = ApiRecorder(eng.store, info, settings, name)
        recorder.start(asked, sources)
    job.emit("start", {"model": name if kb else worker.loaded_id, "sources": sources})
    stats: dict[str, Any] = {}
    pieces = reply_pieces(eng.runtime.generate(prompt, settings, cancel=job.cancel, **constraint),
                          splitter_for(info.template.source, prompt), stats)
    try:
        for kind, text in pieces:
            job.emit("piece", kind, text)
            if recorder is not None:
                recorder.grow(kind, text)
    except errors.HearthError as exc:
        if recorder is not None:
            recorder.finish(stats, error=exc.full_text())
        raise
    if recorder is not None:
        recorder.finish(stats)
    job.emit("done", stats)


def _retrieve(eng: "Engine", info: Any, collection: str, messages: list[dict[str, str]],
              max_tokens: int) -> list[dict[str, Any]]:
    """Put the collection's passages into the last user message; returns them as the reply's sources."""
    from engine.knowledge.prompting import compose, source_record
    last = next((m for m in reversed(messages) if m["role"] == "user"), None)
    if last is None:
        raise ApiProblem(400, "A knowledge-base question needs a user message.", param="messages",
                         code="invalid_value")
    question = last["content"]
    hits = eng.knowledge.search([collection], question, k=KB_SEARCHED)
    relevant = eng.knowledge.relevant(hits, question)
    count = eng.runtime.count_tokens
    room = info.n_ctx - count(info.template.render(messages)) - min(max_tokens, info.n_ctx // 4)
    prompt = compose(question, relevant, documents_only=False, count=count, budget_tokens=max(room, 0))
    last["content"] = prompt.text
    return [source_record(n, h) for n, h in enumerate(prompt.sources, 1)]
