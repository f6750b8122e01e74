"""The API's chats are kept as conversations only when the user opted in (``--store-conversations``):
then each request is stored like a window chat (its messages, then the reply with its record); by
default nothing of the client's prompt is written anywhere."""
from __future__ import annotations

from pathlib import Path

import openai

from engine import open_home
from engine.api import ApiConfig, ApiServer
from tests.engine.api.conftest import api  # noqa: F401

MESSAGES = [{"role": "system", "content": "You answer in one short sentence."},
            {"role": "user", "content": "What colour is the sky?"},
            {"role": "assistant", "content": "Blue."},
            {"role": "user", "content": "And the grass at the harbour of Tromsø?"}]


def _client(server: ApiServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)


def test_by_default_the_api_stores_nothing(api: ApiServer) -> None:  # noqa: F811
    reply = _client(api).chat.completions.create(model=api.worker.loaded_id, messages=MESSAGES, max_tokens=8)
    assert reply.choices[0].message.content
    with api.home.store() as store:
        assert store.conversations() == []
    assert not any(b"harbour of Troms" in p.read_bytes() for p in api.home.root.rglob("*") if p.is_file())


def test_opted_in_each_request_is_a_conversation(smollm2_path: Path, tmp_path: Path) -> None:
    home = open_home(tmp_path / "home")
    config = ApiConfig(port=0, model=smollm2_path, n_ctx=1024, n_threads=2, store_conversations=True)
    with ApiServer(home, config) as server:
        assert server.wait_ready(180), server.worker.problem
        client = _client(server)
        whole = client.chat.completions.create(model=server.worker.loaded_id, messages=MESSAGES, max_tokens=16,
                                               temperature=0, seed=3)
        streamed = "".join(chunk.choices[0].delta.content or "" for chunk in client.chat.completions.create(
            model=server.worker.loaded_id, messages=MESSAGES[:2], max_tokens=16, stream=True) if chunk.choices)
    with home.store() as store:
        convs = sorted(store.conversations(), key=lambda c: c.id)
        assert [c.title for c in convs] == ["API · And the grass at the harbour of Tromsø?",
                                            "API · What colour is the sky?"]
        first = store.thread(convs[0].id)
        second = store.thread(convs[1].id)
        assert convs[0].system_prompt == MESSAGES[0]["content"] and convs[0].model_path == str(smollm2_path.resolve())
    assert [(m.role, m.content) for m in first[:3]] == [(m["role"], m["content"]) for m in MESSAGES[1:]]
    reply = first[3]
    assert reply.content == whole.choices[0].message.content and reply.status == "complete"
    assert reply.record["api"]["model"] == server.worker.loaded_id
    assert reply.record["sampling"]["temperature"] == 0 and reply.record["sampling"]["seed"] == 3
    assert reply.completion_tokens == whole.usage.completion_tokens
    assert second[-1].content == streamed and second[-1].status == "complete"


def test_the_serve_command_takes_the_switch() -> None:
    from desktop.cli.main import _build_parser
    args = _build_parser().parse_args(["serve", "--store-conversations"])
    assert args.store_conversations is True
    assert _build_parser().parse_args(["serve"]).store_conversations is False
