"""``response_format`` with a remote model: Hearth makes no grammar of its own, it sends the client's field to
the server unchanged (the scripted fake records it) and the server holds the reply to it (a REAL llama-server)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from engine import errors
from engine.home import open_home
from engine.remote import Backend, Backends
from engine.remote.runtime import remote_path
from engine.runtime.client import Done
from engine.sampling import Sampling
from tests.engine.remote.test_backends import MemoryKeyring, keychain  # noqa: F401
from tests.remote_fake_server import FakeOpenAI, fake_openai  # noqa: F401
from tests.remote_server import MODEL_ID, LlamaServer, llama_server, llama_server_bin  # noqa: F401

PERSON = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
          "required": ["name", "age"]}
AS_PERSON = {"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON, "strict": True}}
ANN = [{"role": "user", "content": "Ann is 31 years old. Reply in JSON with her name and age."}]


@pytest.fixture
def remote_home(hearth_home: Path, keychain: MemoryKeyring) -> Iterator[Any]:  # noqa: F811
    home = open_home()

    def add(backend: Backend) -> Any:
        with home.store() as store:
            Backends(store).add(backend)
        return home
    yield add


def _reply(runtime: Any, sampling: Sampling, **constraint: Any) -> str:
    prompt = runtime.info.template.render(ANN)
    return "".join(item for item in runtime.generate(prompt, sampling, **constraint) if not isinstance(item, Done))


def test_the_field_reaches_the_server_unchanged(fake_openai: FakeOpenAI, remote_home: Any) -> None:  # noqa: F811
    home = remote_home(Backend("fake", fake_openai.url, preset="openai-compatible", model="fake-model",
                               context_window=4096))
    with home.engine() as parts:
        parts.runtime.load(remote_path("fake", "fake-model"))
        assert parts.runtime.grammar_for(AS_PERSON) == ""   # no local grammar: the server constrains
        with pytest.raises(errors.GrammarInvalid):           # a malformed one is refused alike
            parts.runtime.grammar_for({"type": "xml"})
        assert _reply(parts.runtime, Sampling(temperature=0, max_tokens=20), response_format=AS_PERSON) == "Hello there!"
        _reply(parts.runtime, Sampling(temperature=0, max_tokens=20))
    chats = [body for method, path, _, body in fake_openai.requests if path == "/v1/chat/completions"]
    assert chats[0]["response_format"] == AS_PERSON and chats[0]["stream"] is True
    assert "response_format" not in chats[1]


def test_a_real_llama_server_holds_the_reply_to_the_schema(llama_server: LlamaServer,  # noqa: F811
                                                           remote_home: Any) -> None:
    home = remote_home(Backend("box", llama_server.url, preset="llama-server", model=MODEL_ID))
    with home.engine() as parts:
        parts.runtime.load(remote_path("box", MODEL_ID))
        for seed in (1, 2):
            text = _reply(parts.runtime, Sampling(temperature=0.9, seed=seed, max_tokens=200),
                          grammar=parts.runtime.grammar_for(AS_PERSON), response_format=AS_PERSON)
            data = json.loads(text)
            assert set(data) == {"name", "age"} and isinstance(data["name"], str) and type(data["age"]) is int
        text = _reply(parts.runtime, Sampling(temperature=0, max_tokens=300), response_format={"type": "json_object"})
        assert isinstance(json.loads(text), dict)
