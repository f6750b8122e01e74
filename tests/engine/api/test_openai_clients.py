"""Hearth's API through the official ``openai`` SDK (sync, async, streaming), real SmolLM2 on loopback.

Covers the wire format clients depend on: one id per stream, role first, finish_reason on the last
content chunk, ``stream_options.include_usage``, usage on every whole reply, seed, stop, max tokens,
unknown fields ignored, OpenAI-shaped errors (404 model_not_found, 400 context_length_exceeded).
"""
from __future__ import annotations

import asyncio

import numpy as np
import openai
import pytest

from engine.api import ApiServer
from tests.engine.api.conftest import assert_openai_error, request

QUESTION = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]


def client(api: ApiServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=api.url + "/v1", api_key="not-needed", max_retries=0, timeout=120)


def test_models_lists_chat_embedding_and_knowledge_entries(api: ApiServer) -> None:
    models = {m.id: m for m in client(api).models.list().data}
    chat = models[api.worker.loaded_id]
    assert chat.model_extra["type"] == "chat" and chat.model_extra["loaded"] is True
    assert chat.model_extra["context_length"] == 2048 and chat.model_extra["capabilities"]["chat"] is True
    assert chat.model_extra["capabilities"]["response_format"] is True
    embedders = [m for m in models.values() if m.model_extra["type"] == "embedding"]
    assert embedders and embedders[0].model_extra["dimensions"] == 384
    assert models["hearth-kb/Appliances"].model_extra["type"] == "knowledge"


def test_health_reports_the_loaded_model(api: ApiServer) -> None:
    status, _, body = request(api, "GET", "/health")
    assert status == 200 and body["model"] == api.worker.loaded_id


def test_sync_completion_has_usage_seed_and_max_tokens(api: ApiServer) -> None:
    c = client(api)
    kwargs = dict(model=api.worker.loaded_id, messages=QUESTION, seed=7, temperature=0.9, max_tokens=24,
                  extra_body={"unknown_field": {"ignored": True}, "logit_bias": None})
    first = c.chat.completions.create(**kwargs)
    again = c.chat.completions.create(**kwargs)
    assert first.object == "chat.completion" and first.id.startswith("chatcmpl-")
    assert first.choices[0].message.role == "assistant" and first.choices[0].message.content
    assert first.choices[0].message.content == again.choices[0].message.content   # same seed, same reply
    assert first.usage is not None and first.usage.prompt_tokens > 5
    assert 0 < first.usage.completion_tokens <= 24
    assert first.usage.total_tokens == first.usage.prompt_tokens + first.usage.completion_tokens
    short = c.chat.completions.create(model=api.worker.loaded_id, seed=1, max_completion_tokens=3,
                                      messages=[{"role": "user", "content": "Write a long story about a cat."}])
    assert short.choices[0].finish_reason == "length" and short.usage.completion_tokens == 3


def test_stop_strings_end_the_reply(api: ApiServer) -> None:
    reply = client(api).chat.completions.create(
        model=api.worker.loaded_id, seed=3, max_tokens=200, stop=["\n", "."],
        messages=[{"role": "user", "content": "List three colours, one per line, with a full stop after each."}])
    text = reply.choices[0].message.content
    assert text and "\n" not in text and "." not in text
    assert reply.choices[0].finish_reason == "stop"


def test_stream_framing_and_include_usage(api: ApiServer) -> None:
    chunks = list(client(api).chat.completions.create(model=api.worker.loaded_id, messages=QUESTION, seed=5,
                                                      max_tokens=16, stream=True,
                                                      stream_options={"include_usage": True}))
    assert len({c.id for c in chunks}) == 1 and chunks[0].object == "chat.completion.chunk"
    assert chunks[0].choices[0].delta.role == "assistant"
    finishing = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(finishing) == 1 and finishing[0].choices[0].finish_reason in ("stop", "length")
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None and last.usage.completion_tokens > 0
    assert all(c.usage is None for c in chunks[:-1])
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip()
    plain = list(client(api).chat.completions.create(model=api.worker.loaded_id, messages=QUESTION, seed=5,
                                                     max_tokens=16, stream=True))
    assert all(c.usage is None for c in plain)   # no usage chunk unless asked for
    assert "".join(c.choices[0].delta.content or "" for c in plain if c.choices) == text   # same seed


def test_async_client_streams(api: ApiServer) -> None:
    async def run() -> tuple[str, str]:
        aclient = openai.AsyncOpenAI(base_url=api.url + "/v1", api_key="x", max_retries=0, timeout=120)
        try:
            whole = await aclient.chat.completions.create(model=api.worker.loaded_id, messages=QUESTION, seed=9,
                                                          max_tokens=12)
            stream = await aclient.chat.completions.create(model=api.worker.loaded_id, messages=QUESTION, seed=9,
                                                           max_tokens=12, stream=True)
            parts = [c.choices[0].delta.content or "" async for c in stream if c.choices]
            return whole.choices[0].message.content or "", "".join(parts)
        finally:
            await aclient.close()

    whole, streamed = asyncio.run(run())
    assert whole and whole == streamed


def test_unknown_model_is_404_model_not_found(api: ApiServer) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client(api).chat.completions.create(model="no-such-model", messages=QUESTION)
    assert caught.value.code == "model_not_found"


def test_too_long_is_context_length_exceeded(api: ApiServer) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client(api).chat.completions.create(model=api.worker.loaded_id, max_tokens=4,
                                            messages=[{"role": "user", "content": "word " * 3000}])
    assert caught.value.code == "context_length_exceeded"


def test_bad_json_is_400_in_openai_shape(api: ApiServer) -> None:
    status, _, body = request(api, "POST", "/v1/chat/completions", b"{not json",
                              {"Content-Type": "application/json"})
    assert status == 400
    assert_openai_error(body, "invalid_json")
    status, _, body = request(api, "GET", "/v1/nothing-here")
    assert status == 404
    assert_openai_error(body, "not_found")


def test_embeddings_with_minilm(api: ApiServer) -> None:
    c = client(api)
    embedder = next(m.id for m in c.models.list().data if m.model_extra["type"] == "embedding")
    texts = ["The cat sat on the mat.", "A kitten rested on the rug.", "Quarterly tax filing deadlines."]
    reply = c.embeddings.create(model=embedder, input=texts)   # the SDK asks for base64 by default
    vectors = np.array([d.embedding for d in reply.data])
    assert vectors.shape == (3, 384) and reply.usage.prompt_tokens > 0
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.1
    as_floats = c.embeddings.create(model=embedder, input=texts[0], encoding_format="float")
    assert np.allclose(as_floats.data[0].embedding, vectors[0], atol=1e-5)


def test_knowledge_model_answers_with_sources(api: ApiServer) -> None:
    reply = client(api).chat.completions.create(
        model="hearth-kb/Appliances", seed=1, max_tokens=48,
        messages=[{"role": "user", "content": "How long does the Zephyr kettle take to boil water?"}])
    sources = reply.model_extra["sources"]
    assert sources and sources[0]["path"].endswith("kettle.md") and "97 seconds" in sources[0]["text"]
    assert reply.choices[0].message.content and reply.usage.prompt_tokens > 40
    stream = list(client(api).chat.completions.create(
        model="hearth-kb/Appliances", seed=1, max_tokens=8, stream=True,
        messages=[{"role": "user", "content": "How long does the Zephyr kettle take to boil water?"}]))
    assert stream[0].model_extra["sources"][0]["path"].endswith("kettle.md")
    with pytest.raises(openai.NotFoundError) as caught:
        client(api).chat.completions.create(model="hearth-kb/Nowhere", messages=QUESTION)
    assert caught.value.code == "model_not_found"
