"""``response_format`` through the official ``openai`` SDK against Hearth's API, real SmolLM2 on loopback:
json_object and json_schema replies parse (and fit the schema), whole and streamed; a schema llama.cpp
cannot use, or a malformed response_format, is a 400 in OpenAI's shape before anything is generated,
and the server answers the next request."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import openai
import pytest

from engine import open_home
from engine.api import ApiConfig, ApiServer
from tests.engine.api.conftest import assert_openai_error, request

PERSON = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
          "required": ["name", "age"]}
AS_PERSON = {"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON, "strict": True}}
ANN = [{"role": "user", "content": "Ann is 31 years old. Reply in JSON with her name and age."}]
BAD_SCHEMA = {"type": "json_schema", "json_schema": {"name": "odd", "schema": {"type": "mystery"}}}


@pytest.fixture(scope="module")
def api(smollm2_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """The API with SmolLM2 only (no knowledge base: nothing here needs one)."""
    home = open_home(tmp_path_factory.mktemp("api-home"))
    (home.paths.models / smollm2_path.name).symlink_to(smollm2_path)
    server = ApiServer(home, ApiConfig(port=0, model=smollm2_path, n_ctx=2048, n_threads=2, max_queue=2)).start()
    assert server.wait_ready(180), server.worker.problem
    yield server
    server.stop()


def client(api: ApiServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=api.url + "/v1", api_key="not-needed", max_retries=0, timeout=120)


def _is_person(data: Any) -> bool:
    return (isinstance(data, dict) and set(data) == {"name", "age"} and isinstance(data["name"], str)
            and type(data["age"]) is int)


def test_json_object_replies_parse(api: ApiServer) -> None:
    c = client(api)
    for question in ("What is the capital of France? Answer in JSON.", ANN[0]["content"]):
        reply = c.chat.completions.create(model=api.worker.loaded_id, temperature=0, max_tokens=300,
                                          response_format={"type": "json_object"},
                                          messages=[{"role": "user", "content": question}])
        assert reply.choices[0].finish_reason == "stop"
        assert isinstance(json.loads(reply.choices[0].message.content), dict)


def test_json_schema_replies_fit_the_schema(api: ApiServer) -> None:
    c = client(api)
    free = c.chat.completions.create(model=api.worker.loaded_id, temperature=0, max_tokens=60, messages=ANN)
    try:   # unconstrained, the tiny model does not answer with exactly this object
        assert not _is_person(json.loads(free.choices[0].message.content))
    except ValueError:
        pass
    for seed in (1, 2, 3):
        reply = c.chat.completions.create(model=api.worker.loaded_id, temperature=0.9, seed=seed, max_tokens=200,
                                          response_format=AS_PERSON, messages=ANN)
        data = json.loads(reply.choices[0].message.content)
        assert _is_person(data), data
        assert reply.choices[0].finish_reason == "stop" and reply.usage.completion_tokens > 0


def test_streamed_json_schema_reply_parses(api: ApiServer) -> None:
    stream = client(api).chat.completions.create(model=api.worker.loaded_id, temperature=0, max_tokens=200,
                                                  response_format=AS_PERSON, messages=ANN, stream=True,
                                                  stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant" and len({c.id for c in chunks}) == 1
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert _is_person(json.loads(text)), text
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"] and chunks[-1].usage.completion_tokens > 0


@pytest.mark.parametrize("stream", [False, True])
def test_a_schema_llama_cpp_cannot_use_is_a_400_and_the_server_goes_on(api: ApiServer, stream: bool) -> None:
    c = client(api)
    with pytest.raises(openai.BadRequestError) as caught:
        c.chat.completions.create(model=api.worker.loaded_id, max_tokens=20, response_format=BAD_SCHEMA,
                                  messages=ANN, stream=stream)
    assert caught.value.status_code == 400
    error = caught.value.body
    assert error["code"] == "invalid_response_format" and error["param"] == "response_format"
    assert "Unrecognized schema" in error["message"] and caught.value.type == "invalid_request_error"
    assert "simplify the JSON schema" in error["message"]   # what to do, too
    reply = c.chat.completions.create(model=api.worker.loaded_id, temperature=0, max_tokens=200,
                                      response_format={"type": "json_object"}, messages=ANN)
    assert isinstance(json.loads(reply.choices[0].message.content), dict)


@pytest.mark.parametrize("response_format", [{"type": "xml"}, "json", {"type": "json_schema"},
                                             {"type": "json_schema", "json_schema": {"schema": 5}}])
def test_a_malformed_response_format_is_refused_before_it_queues(api: ApiServer, response_format: Any) -> None:
    body = json.dumps({"model": api.worker.loaded_id, "messages": ANN, "response_format": response_format})
    status, _, reply = request(api, "POST", "/v1/chat/completions", body.encode(),
                               {"Content-Type": "application/json"})
    assert status == 400
    assert_openai_error(reply, "invalid_response_format")
    assert reply["error"]["param"] == "response_format" and reply["error"]["type"] == "invalid_request_error"


def test_text_response_format_is_plain_text(api: ApiServer) -> None:
    kwargs: dict[str, Any] = dict(model=api.worker.loaded_id, temperature=0, seed=1, max_tokens=16, messages=ANN)
    plain = client(api).chat.completions.create(**kwargs)
    text = client(api).chat.completions.create(response_format={"type": "text"}, **kwargs)
    assert text.choices[0].message.content == plain.choices[0].message.content
