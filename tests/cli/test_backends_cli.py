"""``hearth backends add|list|test|rm`` and ``hearth chat --backend`` against a scripted OpenAI server."""
from __future__ import annotations

import signal
from pathlib import Path
from typing import Iterator

import pytest

from desktop.cli.main import main
from engine.home import open_home
from tests.remote_fake_server import PIECES, FakeOpenAI, fake_openai  # noqa: F401
from tests.remote_server import free_port


@pytest.fixture(autouse=True)
def keep_sigint() -> Iterator[None]:
    handler = signal.getsignal(signal.SIGINT)   # `hearth chat` takes Ctrl+C for itself
    yield
    signal.signal(signal.SIGINT, handler)


def test_add_list_test_chat_and_remove(fake_openai: FakeOpenAI, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch, hearth_home: Path) -> None:
    fake_openai.models = [{"id": "fake-model", "max_model_len": 16384}]
    monkeypatch.setenv("FAKE_KEY", "sk-cli-key-81d2")
    assert main(["backends", "add", "box", fake_openai.root, "--preset", "vllm", "--model", "fake-model",
                 "--api-key-env", "FAKE_KEY"]) == 0
    out, err = capsys.readouterr()
    assert f"Added backend box at {fake_openai.url}." in out
    assert "box: OK" in out and "models: fake-model" in out and "context 16384 tokens (/models max_model_len)" in out
    assert fake_openai.requests[-1][2]["Authorization"] == "Bearer sk-cli-key-81d2"
    assert main(["backends", "list"]) == 0
    out, _ = capsys.readouterr()
    assert f"box  {fake_openai.url}  vllm  model=fake-model" in out
    assert main(["chat", "--backend", "box", "--temperature", "0", "--max-tokens", "20", "Hi"]) == 0
    out, err = capsys.readouterr()
    assert out == "".join(PIECES) + "\n"
    assert "· answered by box · " in err and "· complete]" in err
    sent = [r[3] for r in fake_openai.requests if r[1] == "/v1/chat/completions"][-1]
    assert sent["temperature"] == 0 and sent["max_tokens"] == 20 and sent["model"] == "fake-model"
    assert sent["messages"] == [{"role": "user", "content": "Hi"}]
    assert sent["top_k"] == 40   # vLLM takes the sampling fields beyond OpenAI's
    # stored like any chat: `hearth history show` prints it, bound to the backend's model
    assert main(["history", "list"]) == 0
    conv_id = int(capsys.readouterr().out.split()[0])
    assert main(["history", "show", str(conv_id)]) == 0
    assert "Hello there!" in capsys.readouterr().out
    with open_home().store() as store:
        assert store.conversation(conv_id).model_path == "remote://box/fake-model"
    assert main(["chat", "--conversation", str(conv_id), "--max-tokens", "20", "Again"]) == 0   # goes on there
    sent = [r[3] for r in fake_openai.requests if r[1] == "/v1/chat/completions"][-1]
    assert [m["content"] for m in sent["messages"]] == ["Hi", "Hello there!", "Again"]
    capsys.readouterr()
    assert b"sk-cli-key-81d2" not in b"".join(p.read_bytes() for p in hearth_home.rglob("*") if p.is_file())
    assert main(["backends", "rm", "box"]) == 0
    assert main(["backends", "test", "box"]) == 1
    assert "no backend named 'box'" in capsys.readouterr().err


def test_a_dead_backend_fails_over_and_says_so(fake_openai: FakeOpenAI, capsys: pytest.CaptureFixture[str]) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    assert main(["backends", "add", "dead", dead, "--model", "fake-model", "--no-test"]) == 0
    assert main(["backends", "add", "alive", fake_openai.url, "--model", "fake-model", "--no-test"]) == 0
    capsys.readouterr()
    assert main(["chat", "--backend", "dead", "Hi"]) == 0
    out, err = capsys.readouterr()
    assert out == "".join(PIECES) + "\n"
    assert "· answered by alive · " in err
    with open_home().store() as store:
        reply = store.thread(store.conversations()[0].id)[-1]
    assert reply.record["remote"]["skipped"][0][0] == "dead" and "did not answer" in reply.record["remote"]["skipped"][0][1]


def test_a_failing_test_prints_what_happened_and_what_to_do(fake_openai: FakeOpenAI,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    fake_openai.status = 503
    assert main(["backends", "add", "busy", fake_openai.url]) == 1
    err = capsys.readouterr().err
    assert "hearth: Backend 'busy' is not ready yet (503: Loading model)." in err
    assert "Wait until the server has loaded its model" in err
