"""Hearth as an OpenAI-compatible client, against a scripted server: framing and failures a real
llama-server cannot be made to produce (CRLF, pings, a missing [DONE], an error mid-stream, 503, 401, 429,
404 for a missing /v1, TLS to a plain server, a refused connection), URL rules and context discovery."""
from __future__ import annotations

import pytest

from engine.errors import ContextError, RemoteAuthFailed, RemoteContextExceeded, RemoteError, RemoteLoading, \
    RemoteNotFound, RemoteRateLimited, RemoteServerError, RemoteTLSFailed, RemoteUnreachable
from engine.remote import Answer, Backend, ChatDelta, ChatDone, discover_context, list_models, \
    normalise_base_url, stream_chat, stream_with_failover
from engine.remote import client
from engine.remote.sse import events
from tests.remote_fake_server import PIECES, FakeOpenAI, fake_openai  # noqa: F401
from tests.remote_server import free_port

HI = [{"role": "user", "content": "Hi"}]


def _reply(items: list[object]) -> tuple[str, ChatDone]:
    done = items[-1]
    assert isinstance(done, ChatDone)
    return "".join(i.text for i in items if isinstance(i, ChatDelta)), done


@pytest.mark.parametrize("given, kept", [
    ("http://host:8080", "http://host:8080/v1"), ("http://host:8080/", "http://host:8080/v1"),
    ("http://host:8080/v1/", "http://host:8080/v1"), ("  https://api.example.com/v1  ", "https://api.example.com/v1"),
    ("http://proxy/openai", "http://proxy/openai/v1"), ("http://lmstudio:1234/api/v1", "http://lmstudio:1234/api/v1"),
])
def test_base_url_is_normalised(given: str, kept: str) -> None:
    assert normalise_base_url(given) == kept
    assert Backend("b", given).base_url == kept


def test_a_bad_url_or_preset_is_refused_with_what_to_do() -> None:
    with pytest.raises(RemoteError, match="not an http"):
        Backend("b", "host:8080")
    with pytest.raises(RemoteError, match="preset") as err:
        Backend("b", "http://h", preset="tgi")
    assert "llama-server" in err.value.hint


def test_repr_never_shows_the_key() -> None:
    backend = Backend("b", "http://10.0.0.5:8080", api_key="sk-secret-123")
    assert "sk-secret-123" not in repr(backend) and "key=set" in repr(backend)
    assert backend.plain_http_to_network and not Backend("b", "http://127.0.0.1:1").plain_http_to_network


def test_sse_parser_joins_split_crlf_lines_and_skips_pings() -> None:
    raw = [b': ping\r\n\r\ndata: {"a"\r', b'\n\r\nevent: error\ndata: one\ndata: two\n\n', b'data: [DONE]\n\ndata: tail']
    assert list(events(raw)) == [("message", '{"a"'), ("error", "one\ntwo"), ("message", "[DONE]"),
                                 ("message", "tail")]


@pytest.mark.parametrize("mode", ["lf", "crlf", "pings", "no_done"])
def test_streamed_reply_survives_every_framing(fake_openai: FakeOpenAI, mode: str) -> None:
    fake_openai.stream = mode
    text, done = _reply(list(stream_chat(Backend("fake", fake_openai.url), HI, model="fake-model")))
    assert text == "".join(PIECES)
    assert done.finish_reason == "stop" and done.backend == "fake" and done.model == "fake-model"
    sent = fake_openai.requests[-1][3]
    assert sent["messages"] == HI and sent["stream"] is True and sent["model"] == "fake-model"


def test_error_in_the_middle_of_a_stream_is_raised_after_the_text_so_far(fake_openai: FakeOpenAI) -> None:
    fake_openai.stream = "error_mid"
    got: list[object] = []
    with pytest.raises(RemoteServerError, match="CUDA out of memory"):
        for item in stream_chat(Backend("fake", fake_openai.url), HI):
            got.append(item)
    assert "".join(i.text for i in got if isinstance(i, ChatDelta)) == "".join(PIECES[:2])


def test_tool_call_arguments_split_across_chunks_are_joined(fake_openai: FakeOpenAI) -> None:
    fake_openai.stream = "tools"
    _, done = _reply(list(stream_chat(Backend("fake", fake_openai.url), HI)))
    assert done.finish_reason == "tool_calls"
    assert done.tool_calls == [{"id": "call_1", "type": "function",
                                "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}}]


@pytest.mark.parametrize("status, error, words", [
    (503, RemoteLoading, "not ready"), (401, RemoteAuthFailed, "Invalid API Key"), (403, RemoteAuthFailed, "403"),
    (500, RemoteServerError, "Internal error"),
])
def test_http_failures_become_errors_that_say_what_to_do(fake_openai: FakeOpenAI, status: int,
                                                         error: type[RemoteError], words: str) -> None:
    fake_openai.status = status
    backend = Backend("fake", fake_openai.url)
    for call in (lambda: list_models(backend), lambda: list(stream_chat(backend, HI))):
        with pytest.raises(error, match=words) as err:
            call()
        assert "'fake'" in str(err.value) and err.value.hint


def test_429_says_how_long_to_wait(fake_openai: FakeOpenAI) -> None:
    fake_openai.status, fake_openai.retry_after = 429, "7"
    with pytest.raises(RemoteRateLimited, match="wait 7 s") as err:
        list(stream_chat(Backend("fake", fake_openai.url), HI))
    assert err.value.params["retry_after"] == 7.0


def test_a_missing_v1_is_a_404_that_points_at_the_base_url(fake_openai: FakeOpenAI) -> None:
    backend = Backend("fake", fake_openai.root + "/api/v2")   # kept as given: a version segment already
    with pytest.raises(RemoteNotFound, match="404") as err:
        client.test_connection(backend)
    assert "/v1" in err.value.hint


def test_context_overflow_from_the_server_is_the_engines_context_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.status = 400
    fake_openai.error_body = {"error": {"message": "This model's maximum context length is 4096 tokens.",
                                        "type": "invalid_request_error", "code": "context_length_exceeded"}}
    with pytest.raises(ContextError) as err:
        list(stream_chat(Backend("vllm", fake_openai.url, preset="vllm"), HI))
    assert isinstance(err.value, RemoteContextExceeded) and "4096" in str(err.value)


def test_refused_connection_and_tls_to_a_plain_server() -> None:
    port = free_port()   # nothing listens there
    with pytest.raises(RemoteUnreachable, match="refused") as err:
        client.test_connection(Backend("gone", f"http://127.0.0.1:{port}"))
    assert "Start the server" in err.value.hint


def test_https_to_a_plain_http_server_is_a_tls_error(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(RemoteTLSFailed) as err:
        list_models(Backend("tls", fake_openai.url.replace("http://", "https://")))
    assert "http://" in err.value.hint


def test_context_discovery_for_vllm_llama_server_and_ollama(fake_openai: FakeOpenAI) -> None:
    fake_openai.models = [{"id": "fake-model", "max_model_len": 32768}]
    found = discover_context(Backend("v", fake_openai.url, preset="vllm"))
    assert found is not None and (found.tokens, found.source) == (32768, "/models max_model_len")
    fake_openai.models = [{"id": "fake-model"}]
    fake_openai.props = {"default_generation_settings": {"n_ctx": 2048}}
    found = discover_context(Backend("l", fake_openai.url, preset="llama-server"))
    assert found is not None and (found.tokens, found.source) == (2048, "/props n_ctx")
    fake_openai.props = None
    fake_openai.ollama_show = {"parameters": "stop \"<|im_end|>\"\nnum_ctx 8192",
                               "model_info": {"qwen2.context_length": 32768}}
    found = discover_context(Backend("o", fake_openai.url, preset="ollama", model="fake-model"))
    assert found is not None and found.tokens == 8192
    fake_openai.ollama_show = {"parameters": "", "model_info": {"llama.context_length": 131072}}
    found = discover_context(Backend("o", fake_openai.url, preset="ollama", model="fake-model"))
    assert found is not None and found.tokens == 4096   # Ollama's default num_ctx, not the trained maximum
    assert fake_openai.requests[-1][1:4:2] == ("/api/show", {"model": "fake-model"})


def test_failover_skips_a_loading_and_a_dead_backend_and_says_who_answered(fake_openai: FakeOpenAI) -> None:
    loading = FakeOpenAI()
    loading.status = 503
    try:
        backends = [Backend("dead", f"http://127.0.0.1:{free_port()}", model="m"),
                    Backend("loading", loading.url, model="m"), Backend("ok", fake_openai.url, model="m")]
        items = list(stream_with_failover(backends, HI, model="m"))
    finally:
        loading.close()
    answer = items[0]
    assert isinstance(answer, Answer) and answer.backend == "ok"
    assert [name for name, _ in answer.skipped] == ["dead", "loading"]
    assert "answered by ok" in answer.describe() and "503" in answer.describe()
    text, done = _reply(items[1:])
    assert text == "".join(PIECES) and done.backend == "ok"


def test_failover_does_not_hide_a_wrong_key(fake_openai: FakeOpenAI) -> None:
    fake_openai.status = 401
    with pytest.raises(RemoteAuthFailed):
        list(stream_with_failover([Backend("a", fake_openai.url, model="m")], HI, model="m"))


def test_when_no_backend_answers_every_one_tried_is_named() -> None:
    backends = [Backend(n, f"http://127.0.0.1:{free_port()}", model="m") for n in ("one", "two")]
    with pytest.raises(RemoteUnreachable, match="one: .*two: ") as err:
        list(stream_with_failover(backends, HI, model="m"))
    assert err.value.params["tried"] == ["one", "two"]
