"""``POST /v1/hearth/search``: a collection's passages through the API, on a real server on loopback that
requires its key (``requests`` as the client): ranked hits with their document, path, text and scores
from the knowledge base's own search (MiniLM vectors + keywords), 404 collection_not_found and 400s in
OpenAI's error shape, and the same gates as every other route (key, Host)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from engine import open_home
from engine.api import ApiConfig, ApiServer, load_or_create_key
from tests.engine.api.conftest import assert_openai_error

DOCS = {
    "kettle.md": "# The Zephyr kettle\n\nThe Zephyr kettle boils one litre of water in exactly 97 seconds and "
                 "switches itself off.\n",
    "bicycle.md": "# Bicycle care\n\nPump the tyres of a road bike to about seven bar and oil the chain every few "
                  "hundred kilometres.\n",
    "garden.md": "# Growing tomatoes\n\nTomato plants want full sun, deep watering twice a week and a stake to "
                 "climb on.\n",
}


@pytest.fixture(scope="module")
def keyed_kb(minilm_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ApiServer, str]]:
    """A server (no chat model: a search needs none) over a home whose collection "Household" is indexed by
    MiniLM, requiring the home's API key."""
    root = tmp_path_factory.mktemp("search-home")
    home = open_home(root)
    (home.paths.models / minilm_path.name).symlink_to(minilm_path)
    docs = root / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    with home.engine() as eng:
        eng.knowledge.create("Household", embedder=minilm_path)
        eng.knowledge.add("Household", [docs])
        assert [p.state for p in eng.knowledge.index("Household")][-1] == "done"
    key, _ = load_or_create_key(home.root)
    server = ApiServer(home, ApiConfig(port=0, api_key=key, n_threads=2)).start()
    assert server.wait_ready(60), server.worker.problem
    yield server, key
    server.stop()


def search(server: ApiServer, key: str | None, body: Any, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    headers.update(kwargs.pop("headers", {}))
    return requests.post(f"{server.url}/v1/hearth/search", json=body, headers=headers, timeout=120, **kwargs)


def test_search_answers_ranked_passages_with_their_scores(keyed_kb: tuple[ApiServer, str]) -> None:
    server, key = keyed_kb
    reply = search(server, key, {"collection": "Household", "query": "How fast does the kettle boil water?", "k": 2,
                                 "unknown_field": True})   # ignored, not refused
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["object"] == "list" and len(body["data"]) == 2
    top = body["data"][0]
    assert top["document"] == "kettle.md" and top["path"].endswith("/docs/kettle.md")
    assert "97 seconds" in top["text"] and isinstance(top["chunk_id"], int)
    assert top["vector_score"] > 0.3 and top["keyword_score"] is not None and top["relevant"] is True
    assert top["score"] >= body["data"][1]["score"]
    for field in ("document", "path", "text", "score", "keyword_score", "vector_score", "chunk_id"):
        assert all(field in hit for hit in body["data"]), field
    # a question without the documents' words: found by the MiniLM vectors alone
    meaning = search(server, key, {"collection": "Household", "query": "when should I water the vegetables",
                                   "k": 1, "mode": "vectors"}).json()["data"]
    assert [h["document"] for h in meaning] == ["garden.md"] and meaning[0]["keyword_score"] is None
    assert len(search(server, key, {"collection": "Household", "query": "bike"}).json()["data"]) <= 5   # k: 5


def test_an_unknown_collection_is_404_collection_not_found(keyed_kb: tuple[ApiServer, str]) -> None:
    server, key = keyed_kb
    reply = search(server, key, {"collection": "Nope", "query": "kettle"})
    assert reply.status_code == 404
    assert_openai_error(reply.json(), "collection_not_found")
    assert reply.json()["error"]["param"] == "collection" and "Nope" in reply.json()["error"]["message"]


@pytest.mark.parametrize("body, param", [
    ({"collection": "Household"}, "query"),
    ({"collection": "Household", "query": "   "}, "query"),
    ({"collection": "Household", "query": 42}, "query"),
    ({"query": "kettle"}, "collection"),
    ({"collection": "Household", "query": "kettle", "k": 0}, "k"),
    ({"collection": "Household", "query": "kettle", "k": "3"}, "k"),
    ({"collection": "Household", "query": "kettle", "mode": "telepathy"}, "mode"),
])
def test_a_bad_request_is_400(keyed_kb: tuple[ApiServer, str], body: dict[str, Any], param: str) -> None:
    server, key = keyed_kb
    reply = search(server, key, body)
    assert reply.status_code == 400, reply.text
    assert_openai_error(reply.json(), "invalid_value")
    assert reply.json()["error"]["param"] == param


def test_bad_json_is_400(keyed_kb: tuple[ApiServer, str]) -> None:
    server, key = keyed_kb
    reply = requests.post(f"{server.url}/v1/hearth/search", data=b"{not json", timeout=30,
                          headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert reply.status_code == 400
    assert_openai_error(reply.json(), "invalid_json")


def test_search_passes_the_same_gates_as_every_route(keyed_kb: tuple[ApiServer, str]) -> None:
    server, key = keyed_kb
    question = {"collection": "Household", "query": "kettle"}
    for offered in (None, key + "x"):
        reply = search(server, offered, question)
        assert reply.status_code == 401
        assert_openai_error(reply.json(), "invalid_api_key")
    reply = search(server, key, question, headers={"Host": "evil.example"})
    assert reply.status_code == 403
    assert_openai_error(reply.json(), "host_not_allowed")
    reply = requests.get(f"{server.url}/v1/hearth/search", headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert reply.status_code == 405
