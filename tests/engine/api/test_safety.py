"""The API's safety rules, each checked against a real server on loopback: Host allowlist (DNS
rebinding), no CORS for foreign origins, the API key (401 in OpenAI shape, constant-time compare,
0600 file outside SQLite), no LAN bind without a key, the body cap (413), and the bounded queue
(429 with Retry-After, never cancelling the running request; a client that leaves stops its own)."""
from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path
from typing import Iterator

import openai
import pytest

from engine import errors, open_home
from engine.api import ApiConfig, ApiServer, load_or_create_key
from engine.api.keys import key_path
from tests.engine.api.conftest import assert_openai_error, request


@pytest.fixture
def keyed(hearth_home: Path) -> Iterator[ApiServer]:
    """A server with no model (none is needed to check the gates) that requires the home's key."""
    home = open_home(hearth_home)
    key, _ = load_or_create_key(home.root)
    server = ApiServer(home, ApiConfig(port=0, api_key=key, max_body_bytes=2048,
                                       cors_origins=frozenset({"http://allowed.example"}))).start()
    yield server
    server.stop()


def test_foreign_host_is_403(api: ApiServer) -> None:
    status, _, body = request(api, "GET", "/v1/models", headers={"Host": "evil.example"})
    assert status == 403
    assert_openai_error(body, "host_not_allowed")
    status, _, _ = request(api, "GET", "/v1/models", headers={"Host": f"evil.example:{api.port}"})
    assert status == 403
    for host in (f"localhost:{api.port}", f"127.0.0.1:{api.port}", "[::1]"):
        assert request(api, "GET", "/v1/models", headers={"Host": host})[0] == 200, host


def test_foreign_origin_gets_no_cors_headers(api: ApiServer) -> None:
    status, head, body = request(api, "GET", "/v1/models", headers={"Origin": "http://evil.example"})
    assert status == 403 and not any(h.startswith("access-control-") for h in head)
    assert_openai_error(body, "origin_not_allowed")
    status, head, _ = request(api, "OPTIONS", "/v1/chat/completions",
                              headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert status == 403 and not any(h.startswith("access-control-") for h in head)


def test_allowed_origin_gets_exactly_its_own_cors_header(keyed: ApiServer) -> None:
    key = key_path(keyed.home.root).read_text().strip()
    status, head, _ = request(keyed, "GET", "/v1/models", headers={"Origin": "http://allowed.example",
                                                                    "Authorization": f"Bearer {key}"})
    assert status == 200 and head["access-control-allow-origin"] == "http://allowed.example"
    status, head, _ = request(keyed, "OPTIONS", "/v1/models", headers={"Origin": "http://allowed.example"})
    assert status == 204 and head["access-control-allow-origin"] != "*"


def test_missing_or_wrong_key_is_401_in_openai_shape(keyed: ApiServer) -> None:
    key = key_path(keyed.home.root).read_text().strip()
    status, head, body = request(keyed, "GET", "/v1/models")
    assert status == 401 and head.get("www-authenticate") == "Bearer"
    assert_openai_error(body, "invalid_api_key")
    status, _, body = request(keyed, "GET", "/v1/models", headers={"Authorization": f"Bearer {key}x"})
    assert status == 401
    assert_openai_error(body, "invalid_api_key")
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=keyed.url + "/v1", api_key="wrong", max_retries=0).models.list()
    listed = openai.OpenAI(base_url=keyed.url + "/v1", api_key=key, max_retries=0).models.list()
    assert listed.object == "list" and isinstance(listed.data, list)   # the right key passes
    assert request(keyed, "GET", "/health")[0] == 200   # health stays public, as llama-server's


def test_key_file_is_private_and_not_in_the_database(hearth_home: Path) -> None:
    key, made = load_or_create_key(hearth_home)
    again, made_again = load_or_create_key(hearth_home)
    assert made and not made_again and key == again and len(key) > 30
    assert stat.S_IMODE(os.stat(key_path(hearth_home)).st_mode) == 0o600
    for db in hearth_home.rglob("*.db*"):
        assert key.encode() not in db.read_bytes()


def test_lan_bind_without_a_key_is_refused(hearth_home: Path) -> None:
    home = open_home(hearth_home)
    for host in ("0.0.0.0", "192.168.1.20", "::"):
        with pytest.raises(errors.ApiKeyRequired):
            ApiServer(home, ApiConfig(host=host, port=0))
    ApiServer(home, ApiConfig(host="0.0.0.0", port=0, api_key="k" * 40))   # with a key it may


def test_oversized_body_is_413(keyed: ApiServer) -> None:
    key = key_path(keyed.home.root).read_text().strip()
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    status, _, body = request(keyed, "POST", "/v1/chat/completions", b'{"x": "' + b"a" * 4096 + b'"}', auth)
    assert status == 413
    assert_openai_error(body, "request_too_large")
    status, _, body = request(keyed, "POST", "/v1/chat/completions", b"{", auth)
    assert status == 400   # under the cap it reaches the API (which refuses bad JSON)


COUNT = [{"role": "user", "content": "Count from 1 to 500, one number per line."}]


def test_full_queue_is_429_and_never_cancels_the_running_request(api: ApiServer) -> None:
    c = openai.OpenAI(base_url=api.url + "/v1", api_key="x", max_retries=0, timeout=120)
    running = c.chat.completions.create(model=api.worker.loaded_id, messages=COUNT, seed=2, max_tokens=1500,
                                        temperature=0.0, stream=True)
    it = iter(running)
    first = next(it)
    assert first.choices[0].delta.role == "assistant"
    queued: dict[str, object] = {}

    def wait_in_queue() -> None:
        queued["reply"] = c.chat.completions.create(model=api.worker.loaded_id, messages=COUNT, max_tokens=4, seed=1)

    waiter = threading.Thread(target=wait_in_queue)
    waiter.start()
    deadline = time.monotonic() + 10
    while api.worker.waiting() < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert api.worker.waiting() == 1
    status, head, body = request(api, "POST", "/v1/chat/completions",
                                 b'{"model": "%s", "messages": [{"role": "user", "content": "hi"}]}'
                                 % api.worker.loaded_id.encode(), {"Content-Type": "application/json"})
    assert status == 429 and int(head["retry-after"]) > 0
    assert_openai_error(body, "queue_full")
    more = [next(it) for _ in range(5)]   # the running stream went on: nobody cancelled it
    assert all(ch.choices and ch.choices[0].finish_reason is None for ch in more)
    running.close()   # this client leaves: its own generation stops, the queued one gets the model
    waiter.join(60)
    assert not waiter.is_alive()
    assert queued["reply"].usage.completion_tokens == 4   # type: ignore[attr-defined]


def test_a_client_that_disconnects_stops_its_generation(api: ApiServer) -> None:
    c = openai.OpenAI(base_url=api.url + "/v1", api_key="x", max_retries=0, timeout=120)
    stream = c.chat.completions.create(model=api.worker.loaded_id, messages=COUNT, seed=2, max_tokens=1500,
                                       temperature=0.0, stream=True)
    next(iter(stream))
    assert api.worker.busy
    stream.close()
    deadline = time.monotonic() + 5   # 1500 tokens take far longer: only a cancel frees the model this soon
    while api.worker.busy and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not api.worker.busy
