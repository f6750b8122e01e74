"""One running API server per module: a Hearth home with SmolLM2 and MiniLM installed, a knowledge
collection indexed by MiniLM, and the server on a free loopback port with SmolLM2 loaded."""
from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from engine import open_home
from engine.api import ApiConfig, ApiServer

KETTLE = ("# The Zephyr kettle\n\nThe Zephyr kettle boils one litre of water in exactly 97 seconds "
          "and switches itself off.\n")


@pytest.fixture(scope="module")
def api(smollm2_path: Path, minilm_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    root = tmp_path_factory.mktemp("api-home")
    home = open_home(root)
    for model in (smollm2_path, minilm_path):
        (home.paths.models / model.name).symlink_to(model)
    docs = root / "docs"
    docs.mkdir()
    (docs / "kettle.md").write_text(KETTLE, encoding="utf-8")
    with home.engine() as eng:
        eng.knowledge.create("Appliances", embedder=minilm_path)
        eng.knowledge.add("Appliances", [docs])
        assert [p.state for p in eng.knowledge.index("Appliances")][-1] == "done"
    server = ApiServer(home, ApiConfig(port=0, model=smollm2_path, n_ctx=2048, n_threads=2, max_queue=1)).start()
    assert server.wait_ready(180), server.worker.problem
    yield server
    server.stop()


def request(server: ApiServer, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    """A raw HTTP request (the SDK would add headers and retry): status, lower-case headers, JSON body."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        reply = conn.getresponse()
        data = reply.read()
        head = {k.lower(): v for k, v in reply.getheaders()}
    finally:
        conn.close()
    try:
        parsed = json.loads(data) if data else None
    except ValueError:
        parsed = data.decode("utf-8", "replace")
    return reply.status, head, parsed


def assert_openai_error(body: Any, code: str) -> None:
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert set(body["error"]) == {"message", "type", "param", "code"}, body
    assert body["error"]["code"] == code and body["error"]["message"], body
