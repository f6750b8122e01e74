"""Hearth as a client of a REAL llama.cpp llama-server (built from the vendored sources, serving SmolLM2):
models, the connection test, context discovery, streaming, stop, overflow, API key, failover."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from engine.errors import ContextError, RemoteAuthFailed, RemoteContextExceeded
from engine.remote import Answer, Backend, ChatDelta, ChatDone, discover_context, list_models, stream_chat, \
    stream_with_failover
from engine.remote import client
from engine.sampling import CancelToken
from tests.remote_server import MODEL_ID, LlamaServer, llama_server, llama_server_bin  # noqa: F401

ROOT = Path(__file__).resolve().parents[3]
HI = [{"role": "user", "content": "Name three colours."}]


def test_models_connection_and_context(llama_server: LlamaServer) -> None:
    backend = Backend("local", llama_server.root, preset="llama-server")   # /v1 added
    assert [m["id"] for m in list_models(backend)] == [MODEL_ID]
    report = client.test_connection(backend)
    assert report.models == [MODEL_ID] and report.model == MODEL_ID and report.warnings == []
    assert report.context is not None and (report.context.tokens, report.context.source) == (1024, "/props n_ctx")
    found = discover_context(Backend("any", llama_server.url))   # no preset: the model list's meta.n_ctx
    assert found is not None and found.tokens == 1024 and found.source == "/models meta.n_ctx"


def test_streamed_chat_matches_the_servers_own_reply(llama_server: LlamaServer) -> None:
    options = {"temperature": 0, "max_tokens": 24, "seed": 1}
    items = list(stream_chat(Backend("local", llama_server.url), HI, model=MODEL_ID, options=options))
    done = items[-1]
    assert isinstance(done, ChatDone) and done.backend == "local" and done.finish_reason in ("stop", "length")
    pieces = [i.text for i in items if isinstance(i, ChatDelta)]
    assert len(pieces) > 3   # streamed, not one block
    plain = requests.post(f"{llama_server.url}/chat/completions", timeout=60,
                          json={"model": MODEL_ID, "messages": HI, **options}).json()
    assert "".join(pieces) == plain["choices"][0]["message"]["content"]
    assert done.usage["completion_tokens"] == plain["usage"]["completion_tokens"]


def test_stop_closes_the_stream_and_the_server_stops_generating(llama_server: LlamaServer) -> None:
    cancel = CancelToken()
    got = []
    started = time.monotonic()
    # 2000 tokens past the end of text would keep SmolLM2 busy for many seconds on these cores
    for item in stream_chat(Backend("local", llama_server.url), HI, model=MODEL_ID, cancel=cancel,
                            options={"max_tokens": 2000, "ignore_eos": True}):
        got.append(item)
        if len(got) == 3:
            cancel.cancel()
    done = got[-1]
    assert isinstance(done, ChatDone) and done.finish_reason == "cancelled"
    assert sum(isinstance(i, ChatDelta) for i in got) <= 4
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:   # the server notices the closed connection and frees its slot
        slots = requests.get(f"{llama_server.root}/slots", timeout=5).json()
        if not any(s["is_processing"] for s in slots):
            break
        time.sleep(0.1)
    else:
        pytest.fail("llama-server still generating 5 s after the stream was closed")
    decoded = slots[0].get("next_token", [{}])[0].get("n_decoded", 0)
    assert decoded < 2000, (decoded, time.monotonic() - started)


def test_a_conversation_longer_than_the_context_is_a_context_error(llama_server: LlamaServer) -> None:
    long = [{"role": "user", "content": "Summarise this: " + "the kettle boils water quickly. " * 300}]
    with pytest.raises(ContextError) as err:
        list(stream_chat(Backend("local", llama_server.url), long, model=MODEL_ID))
    assert isinstance(err.value, RemoteContextExceeded) and "context window" in str(err.value)
    assert "-c" in err.value.hint


def test_api_key_and_failover_when_the_first_server_is_killed(llama_server_bin: Path, smollm2_path: Path,
                                                              tmp_path: Path) -> None:
    key = "sk-llama-server-test-key"
    first = LlamaServer(llama_server_bin, smollm2_path, tmp_path / "first.log", api_key=key)
    second = LlamaServer(llama_server_bin, smollm2_path, tmp_path / "second.log", api_key=key)
    try:
        with pytest.raises(RemoteAuthFailed, match="401"):
            client.test_connection(Backend("first", first.url))
        with pytest.raises(RemoteAuthFailed):
            client.test_connection(Backend("first", first.url, api_key="wrong"))
        backends = [Backend("first", first.url, model=MODEL_ID, api_key=key),
                    Backend("second", second.url, model=MODEL_ID, api_key=key)]
        options = {"temperature": 0, "max_tokens": 8}
        answer = next(iter(stream_with_failover(backends, HI, model=MODEL_ID, options=options)))
        assert isinstance(answer, Answer) and answer.backend == "first" and answer.skipped == []
        first.kill()
        items = list(stream_with_failover(backends, HI, model=MODEL_ID, options=options))
        answer = items[0]
        assert isinstance(answer, Answer) and answer.backend == "second"
        assert [name for name, _ in answer.skipped] == ["first"] and "refused" in answer.skipped[0][1]
        assert isinstance(items[-1], ChatDone) and items[-1].backend == "second"
        assert "".join(i.text for i in items if isinstance(i, ChatDelta))
    finally:
        first.stop()
        second.stop()


def test_hearth_chat_backend_streams_from_the_server(llama_server: LlamaServer, hearth_home: Path) -> None:
    env = {**os.environ, "HEARTH_HOME": str(hearth_home), "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    run = [sys.executable, "-m", "desktop.cli.main"]
    added = subprocess.run([*run, "backends", "add", "local", llama_server.root, "--preset", "llama-server",
                            "--model", MODEL_ID], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert added.returncode == 0, added.stderr
    assert "local: OK" in added.stdout and "context 1024 tokens (/props n_ctx)" in added.stdout
    chat = subprocess.run([*run, "chat", "--backend", "local", "--temperature", "0", "--max-tokens", "12",
                           "Name three colours."], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert chat.returncode == 0, chat.stderr
    assert chat.stdout.strip() and "· answered by local · " in chat.stderr
    assert "· 12 tokens · " in chat.stderr or "· complete]" in chat.stderr
