"""Embeddings from a remote backend for the knowledge base: a REAL llama-server (built offline, started with
``--embeddings`` serving all-MiniLM-L6-v2) embeds a collection that then finds the right document; switching
the collection to the local MiniLM re-embeds it and never mixes the two; a server whose vectors change size
gets the collection re-embedded, not mixed. The failures (501 from a server without ``--embeddings``, the
real one too; 404 model; a wrong number of vectors; sizes changing between batches; nothing listening)
each raise a clear error, from a small scripted fake server. The API key goes only into the header."""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest
import requests

from engine import errors
from engine.home import Home, open_home
from engine.remote import Backend, Backends
from engine.remote.embeddings import canonical, embed_remote, embedder_spelling, parse_embedder
from tests.engine.remote.test_backends import SECRET, MemoryKeyring, keychain  # noqa: F401
from tests.remote_server import EMBED_MODEL_ID, LlamaServer, embedding_server, free_port, llama_server, \
    llama_server_bin  # noqa: F401

DOCS = {
    "kettle.md": "# The Zephyr kettle\n\nThe Zephyr kettle boils one litre of water in exactly 97 seconds and "
                 "switches itself off.\n",
    "bicycle.md": "# Bicycle care\n\nPump the tyres of a road bike to about seven bar and oil the chain every few "
                  "hundred kilometres.\n",
    "garden.md": "# Growing tomatoes\n\nTomato plants want full sun, deep watering twice a week and a stake to "
                 "climb on.\n",
}
QUESTION = "How fast can I get hot water for my tea?"
REMOTE = f"remote://emb/{EMBED_MODEL_ID}"


def _home(root: Path, docs: dict[str, str] = DOCS) -> Home:
    home = open_home(root)
    folder = root / "docs"
    folder.mkdir(exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    return home


def _add_backend(home: Home, name: str, url: str, **kwargs: Any) -> None:
    with home.store() as store:
        Backends(store).add(Backend(name, url, **kwargs))


def _vectors(home: Home, collection: str) -> dict[str, bytes]:
    """file name → the stored vector of its first chunk, read straight from the database."""
    with sqlite3.connect(home.paths.database) as conn:
        rows = conn.execute("SELECT f.path, c.embedding FROM kb_chunks c JOIN kb_files f ON f.id = c.file_id "
                            "JOIN kb_collections k ON k.id = c.collection_id WHERE k.name = ? AND c.ord = 0",
                            (collection,)).fetchall()
    return {Path(path).name: blob for path, blob in rows}


# --- the spelling -------------------------------------------------------------------------------------

def test_the_remote_spelling_round_trips() -> None:
    assert embedder_spelling("desktop gpu", "BAAI/bge-m3") == "remote://desktop%20gpu/BAAI%2Fbge-m3"
    assert parse_embedder("remote://desktop%20gpu/BAAI%2Fbge-m3") == ("desktop gpu", "BAAI/bge-m3")
    assert parse_embedder("remote://gpu/BAAI/bge-m3") == ("gpu", "BAAI/bge-m3")   # as a user types it
    assert canonical("remote://gpu/BAAI/bge-m3") == "remote://gpu/BAAI%2Fbge-m3"
    assert canonical("remote://gpu/nomic-embed-text:latest") == "remote://gpu/nomic-embed-text%3Alatest"
    assert parse_embedder("/models/all-MiniLM-L6-v2.F16.gguf") is None and parse_embedder("bge-m3") is None
    for bad in ("remote://gpu/", "remote:///model", "remote://"):
        with pytest.raises(errors.RemoteError) as caught:
            parse_embedder(bad)
        assert "remote://BACKEND/MODEL" in caught.value.hint


# --- a real llama-server --------------------------------------------------------------------------------

def test_a_collection_embedded_by_a_real_llama_server_finds_the_right_document(
        embedding_server: LlamaServer, hearth_home: Path) -> None:
    home = _home(hearth_home)
    _add_backend(home, "emb", embedding_server.root, preset="llama-server")   # /v1 added
    with home.engine() as eng:
        kb = eng.knowledge
        coll = kb.create("Notes", embedder="remote://emb/minilm")
        assert coll.embedder == REMOTE
        kb.add("Notes", [hearth_home / "docs"])
        progress = list(kb.index("Notes"))
        assert progress[-1].state == "done" and progress[-1].chunks == 3, progress[-1]
        coll = kb.collection("Notes")
        assert (coll.embed_model, coll.embed_dim) == (REMOTE, 384)
        status = kb.status("Notes")
        assert status.embedded == status.chunks == 3 and status.embedder_warning is None
        hits = kb.search(["Notes"], QUESTION, k=3, mode="vectors")
        assert [Path(h.path).name for h in hits][0] == "kettle.md", [(h.path, h.vector_score) for h in hits]
        assert hits[0].vector_score is not None and hits[0].vector_score > hits[1].vector_score
        assert [Path(h.path).name for h in kb.search(["Notes"], "when should tomatoes be watered", k=1,
                                                     mode="vectors")] == ["garden.md"]
        assert eng.runtime.embedder is None   # this computer's worker never loaded an embedding model
    for blob in _vectors(home, "Notes").values():
        assert abs(np.linalg.norm(np.frombuffer(blob, np.float32)) - 1.0) < 1e-4   # normalised, as locally


def test_switching_to_the_local_minilm_re_embeds_and_never_mixes(
        llama_server_bin: Path, minilm_path: Path, hearth_home: Path, tmp_path: Path) -> None:
    server = LlamaServer(llama_server_bin, minilm_path, tmp_path / "server.log", n_ctx=512, alias=EMBED_MODEL_ID,
                         embeddings=True)
    try:
        home = _home(hearth_home)
        _add_backend(home, "emb", server.url, preset="llama-server")
        with home.engine() as eng:
            kb = eng.knowledge
            kb.create("Notes", embedder=REMOTE)
            kb.add("Notes", [hearth_home / "docs"])
            assert list(kb.index("Notes"))[-1].state == "done"
            before = kb.collection("Notes")
            remote_vectors = _vectors(home, "Notes")
            assert kb.set_embedder("Notes", minilm_path) == 3   # every chunk is to be embedded again
            switched = kb.collection("Notes")
            assert switched.embedder == str(minilm_path.resolve()) and switched.embed_model == REMOTE
            # until the re-embedding runs, the remote vectors are not compared with local questions
            assert kb.search(["Notes"], QUESTION, k=3, mode="vectors") == []
            hybrid = kb.search(["Notes"], "Zephyr kettle", k=3)
            assert hybrid and all(h.vector_score is None for h in hybrid)   # keyword search goes on
            server.stop()   # from here on, nothing can come from the server
            progress = list(kb.index("Notes"))
            assert progress[-1].state == "done" and progress[-1].chunks == 3   # all of them, none kept
            after = kb.collection("Notes")
            assert after.embed_model != REMOTE and "@" in after.embed_model and after.embed_dim == 384
            assert after.vectors_version > before.vectors_version
            assert eng.runtime.embedder is not None   # the local worker made them
            hits = kb.search(["Notes"], QUESTION, k=3, mode="vectors")
            assert Path(hits[0].path).name == "kettle.md" and hits[0].vector_score is not None
            # the same model on two engines: the server's vectors and the worker's agree
            local_vectors = _vectors(home, "Notes")
            for name, blob in remote_vectors.items():
                cos = float(np.frombuffer(blob, np.float32) @ np.frombuffer(local_vectors[name], np.float32))
                assert cos > 0.99, (name, cos)
            # and back to the server, which is down: refused at once, the collection keeps its local model
            with pytest.raises(errors.RemoteUnreachable) as caught:
                kb.set_embedder("Notes", REMOTE)
            assert "'emb'" in caught.value.message
            assert kb.collection("Notes").embedder == str(minilm_path.resolve())
    finally:
        server.stop()


def test_a_real_llama_server_without_embeddings_is_told_apart(llama_server: LlamaServer) -> None:
    with pytest.raises(errors.RemoteError) as caught:
        embed_remote(Backend("chat-only", llama_server.url), "smollm2", ["hello"])
    assert caught.value.reason == "embeddings_unsupported" and caught.value.params["status"] == 501
    assert "does not compute embeddings" in caught.value.message and "--embeddings" in caught.value.hint


# --- a scripted server, for what a real one will not do ------------------------------------------------

class FakeEmbeddings:
    """``POST /v1/embeddings`` on loopback: hashed bag-of-words vectors (not normalised, listed in reverse
    order with their ``index``), with scripted faults: ``status`` for every request, ``dims`` (the size of
    each next reply), ``drop`` (vectors left out), ``key`` (the bearer token required), ``max_chars`` (a
    longer input is refused as llama-server refuses one longer than its batch)."""

    def __init__(self, dim: int = 8, key: str | None = None) -> None:
        self.dim, self.key = dim, key
        self.dims: list[int] = []
        self.status: int | None = None
        self.drop = 0
        self.max_chars: int | None = None
        self.requests: list[tuple[dict[str, str], Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                fake.requests.append((dict(self.headers.items()), body))
                status, reply = fake.answer(self.path, self.headers.get("Authorization"), body)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def answer(self, path: str, auth: str | None, body: Any) -> tuple[int, Any]:
        if self.status == 501:   # llama-server's own words
            return 501, {"error": {"code": 501, "type": "not_supported_error", "message": "This server does not "
                                   "support embeddings. Start it with `--embeddings`"}}
        if self.key is not None and auth != f"Bearer {self.key}":
            return 401, {"error": {"code": 401, "type": "authentication_error", "message": "Invalid API Key"}}
        if path != "/v1/embeddings" or body.get("model") != "fake-embed":
            return 404, {"error": {"code": 404, "type": "NotFoundError",
                                   "message": f"The model `{body.get('model')}` does not exist."}}
        longest = max((len(text) for text in body["input"]), default=0)
        if self.max_chars is not None and longest > self.max_chars:
            return 500, {"error": {"code": 500, "type": "server_error", "message": f"input ({longest} tokens) is "
                                   "too large to process. increase the physical batch size (current batch size: "
                                   f"{self.max_chars})"}}
        if self.status is not None:
            return self.status, {"error": {"code": self.status, "type": "server_error",
                                           "message": "could not write the cache: the disk is full"}}
        dim = self.dims.pop(0) if self.dims else self.dim
        rows = [{"object": "embedding", "index": i, "embedding": bag_of_words(text, dim)}
                for i, text in enumerate(body["input"])]
        return 200, {"object": "list", "model": "fake-embed", "data": rows[::-1][self.drop:]}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def bag_of_words(text: str, dim: int) -> list[float]:
    vector = [0.0] * dim
    for word in text.lower().split():
        vector[zlib.crc32(word.strip(".,?#").encode()) % dim] += 3.0
    return vector


@pytest.fixture
def fake() -> Iterator[FakeEmbeddings]:
    server = FakeEmbeddings()
    yield server
    server.close()


def test_vectors_come_back_in_input_order_normalised_in_batches(fake: FakeEmbeddings) -> None:
    texts = ["alpha beta", "gamma", "delta epsilon zeta", "eta"]
    vectors = embed_remote(Backend("fake", fake.url), "fake-embed", texts, batch=3)
    assert vectors.shape == (4, 8) and vectors.dtype == np.float32
    expected = np.asarray([bag_of_words(t, 8) for t in texts], np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(vectors, expected, atol=1e-6)
    assert [len(body["input"]) for _, body in fake.requests] == [3, 1]


def test_each_failure_says_what_happened(fake: FakeEmbeddings) -> None:
    backend = Backend("fake", fake.url)
    fake.drop = 1
    with pytest.raises(errors.RemoteReplyInvalid) as caught:
        embed_remote(backend, "fake-embed", ["one", "two"])
    assert caught.value.reason == "embedding_count" and "returned 1 vector" in caught.value.message
    assert "for 2 texts" in caught.value.message
    fake.drop = 0
    fake.dims = [8, 9]
    with pytest.raises(errors.RemoteReplyInvalid) as caught:
        embed_remote(backend, "fake-embed", ["one", "two", "three"], batch=2)
    assert caught.value.reason == "embedding_dimension" and "from 8 to 9" in caught.value.message
    with pytest.raises(errors.RemoteNotFound) as caught:
        embed_remote(backend, "no-such-model", ["one"])
    assert "'no-such-model'" in caught.value.message and "does not exist" in caught.value.message
    assert "backends test fake" in caught.value.hint
    fake.status = 501
    with pytest.raises(errors.RemoteError) as caught:
        embed_remote(backend, "fake-embed", ["one"])
    assert caught.value.reason == "embeddings_unsupported" and "--embeddings" in caught.value.hint
    with pytest.raises(errors.RemoteUnreachable):
        embed_remote(Backend("gone", f"http://127.0.0.1:{free_port()}"), "fake-embed", ["one"])


def test_a_collection_is_refused_a_backend_that_cannot_embed(fake: FakeEmbeddings, hearth_home: Path) -> None:
    home = _home(hearth_home)
    _add_backend(home, "fake", fake.url)
    fake.status = 501
    with home.engine() as eng:
        with pytest.raises(errors.RemoteError) as caught:
            eng.knowledge.create("Notes", embedder="remote://fake/fake-embed")
        assert caught.value.reason == "embeddings_unsupported"
        with pytest.raises(errors.BackendNotFound):
            eng.knowledge.create("Notes", embedder="remote://nobody/fake-embed")
        assert eng.knowledge.collections() == []


def test_vectors_of_another_size_are_re_embedded_never_mixed(fake: FakeEmbeddings, hearth_home: Path) -> None:
    home = _home(hearth_home)
    _add_backend(home, "fake", fake.url)
    spelling = "remote://fake/fake-embed"
    with home.engine() as eng:
        kb = eng.knowledge
        kb.create("Notes", embedder=spelling)
        kb.add("Notes", [hearth_home / "docs"])
        assert list(kb.index("Notes"))[-1].state == "done"
        assert (kb.collection("Notes").embed_model, kb.collection("Notes").embed_dim) == (spelling, 8)
        assert kb.search(["Notes"], "Zephyr kettle water", k=1, mode="vectors")[0].vector_score is not None
        fake.dim = 16   # the server now runs another model under the same name
        assert kb.search(["Notes"], "Zephyr kettle water", k=3, mode="vectors") == []   # not compared
        hybrid = kb.search(["Notes"], "Zephyr kettle water", k=3)
        assert hybrid and all(h.vector_score is None for h in hybrid)   # keyword search goes on
    with home.engine() as eng:   # a fresh knowledge base asks the size again: still no mixing
        kb = eng.knowledge
        assert kb.search(["Notes"], "Zephyr kettle water", k=3, mode="vectors") == []
        progress = list(kb.index("Notes"))
        assert progress[-1].state == "done" and progress[-1].chunks == 3   # every chunk again
        coll = kb.collection("Notes")
        assert (coll.embed_model, coll.embed_dim) == (spelling, 16)
        assert {len(blob) for blob in _vectors(home, "Notes").values()} == {16 * 4}
        assert kb.search(["Notes"], "Zephyr kettle water", k=1, mode="vectors")[0].vector_score is not None
        # a size change in the middle of a run stops it: nothing of another size is stored
        (hearth_home / "docs" / "kettle.md").write_text(DOCS["kettle.md"] + "\nDescale it monthly.\n",
                                                        encoding="utf-8")
        fake.dims = [32]
        with pytest.raises(errors.RemoteReplyInvalid) as caught:
            list(kb.index("Notes"))
        assert caught.value.reason == "embedding_dimension"
        assert {len(blob) for blob in _vectors(home, "Notes").values()} == {16 * 4}


def test_the_key_goes_to_the_server_only(keychain: MemoryKeyring, hearth_home: Path,  # noqa: F811
                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server = FakeEmbeddings(key=SECRET)
    try:
        home = _home(hearth_home)
        _add_backend(home, "keyed", server.url, api_key=SECRET)
        _add_backend(home, "wrong", server.url, api_key=SECRET + "x")
        with home.engine() as eng:
            kb = eng.knowledge
            kb.create("Notes", embedder="remote://keyed/fake-embed")
            kb.add("Notes", [hearth_home / "docs"])
            assert list(kb.index("Notes"))[-1].state == "done"
            assert kb.status("Notes").embedded == 3
            with pytest.raises(errors.RemoteAuthFailed) as caught:
                kb.set_embedder("Notes", "remote://wrong/fake-embed")
            assert SECRET not in caught.value.full_text() and SECRET not in repr(caught.value.params)
    finally:
        server.close()
    assert server.requests and all(h["Authorization"] in (f"Bearer {SECRET}", f"Bearer {SECRET}x")
                                   for h, _ in server.requests)
    assert SECRET not in caplog.text
    for path in hearth_home.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_hearth_kb_takes_the_remote_spelling(embedding_server: LlamaServer, minilm_path: Path,
                                             hearth_home: Path) -> None:
    """The terminal: ``kb create --embedder``, ``kb status``, ``kb search --embedder`` (the knowledge base's
    default for collections naming none: a spelling, not a path) and ``kb embedder`` all take it."""
    import os
    import subprocess
    import sys

    home = _home(hearth_home)
    _add_backend(home, "emb", embedding_server.url)

    def hearth(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "desktop.cli.main", *args], cwd=Path(__file__).parents[3],
                              env={**os.environ, "HEARTH_HOME": str(hearth_home)}, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    assert "embedded by remote://emb/minilm" in hearth("kb", "create", "Notes", "--embedder", "remote://emb/minilm")
    hearth("kb", "add", "Notes", str(hearth_home / "docs"))
    status = json.loads(hearth("kb", "status", "Notes", "--json"))
    assert (status["embed_model"], status["embedder"], status["embedded"]) == (REMOTE, REMOTE, 3)
    hits = json.loads(hearth("kb", "search", "Notes", QUESTION, "--mode", "vectors", "--json"))
    assert Path(hits[0]["path"]).name == "kettle.md" and hits[0]["vector_score"] is not None
    # a collection made by `kb add` takes --embedder's model
    hearth("kb", "add", "Fresh", str(hearth_home / "docs" / "garden.md"), "--embedder", "remote://emb/minilm")
    fresh = json.loads(hearth("kb", "status", "Fresh", "--json"))
    assert (fresh["embedder"], fresh["embed_model"], fresh["embedded"]) == (REMOTE, REMOTE, 1)
    hearth("kb", "create", "Plain", "--embedder", str(minilm_path))   # a local model first
    hearth("kb", "add", "Plain", str(hearth_home / "docs" / "garden.md"))
    assert json.loads(hearth("kb", "status", "Plain", "--json"))["embed_model"] != REMOTE
    out = hearth("kb", "embedder", "Plain", "remote://emb/minilm")
    assert "now uses remote://emb/minilm: its 1 chunk will be embedded again" in out
    plain = json.loads(hearth("kb", "status", "Plain", "--json"))
    assert (plain["embedder"], plain["embed_model"], plain["embedded"]) == (REMOTE, REMOTE, 1)


# --- texts longer than the server's model takes -----------------------------------------------------------

LONG = " ".join(f"Paragraph {i}: the Zephyr kettle boils one litre of water in exactly 97 seconds, and the "
                "bicycle's tyres want about seven bar before a long ride through the hills." for i in range(80))


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_a_real_llama_server_gets_too_long_texts_cut_and_says_so_in_the_log(
        llama_server_bin: Path, minilm_path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A 256-token context: the whole text is refused as larger than the batch (500), cut to 2,048
    characters as larger than the context (400), and taken cut shorter; the short text beside it is
    embedded whole, and the log says what was cut."""
    server = LlamaServer(llama_server_bin, minilm_path, tmp_path / "server.log", n_ctx=256, alias=EMBED_MODEL_ID,
                         embeddings=True)
    try:
        backend = Backend("small", server.url, preset="llama-server")
        assert len(LONG) > 10_000
        for text, status, words in ((LONG, 500, "increase the physical batch size"),
                                    (LONG[:2048], 400, "larger than the max context size")):
            refused = requests.post(f"{server.url}/embeddings", json={"model": EMBED_MODEL_ID, "input": [text]},
                                    timeout=60)   # what the server itself says to each
            assert refused.status_code == status and words in refused.text, refused.text
        short = "Oil the chain of a road bike every few hundred kilometres."
        caplog.set_level(logging.INFO, logger="engine.remote.embeddings")
        vectors = embed_remote(backend, EMBED_MODEL_ID, [LONG, short])
        assert vectors.shape == (2, 384) and np.isfinite(vectors).all()
        cuts = [r for r in caplog.records if r.name == "engine.remote.embeddings" and "too long" in r.getMessage()]
        assert len(cuts) == 1 and cuts[0].levelno == logging.INFO, caplog.text
        limit = cuts[0].args[-1]   # type: ignore[index]
        assert limit in (1024, 512), cuts[0].getMessage()
        assert "1 of 2 texts" in cuts[0].getMessage() and f"first {limit} characters" in cuts[0].getMessage()
        assert "too large" in cuts[0].getMessage() or "context size" in cuts[0].getMessage()
        caplog.clear()
        # the long text's vector is that of its first `limit` characters; the short one's is its own
        alone = embed_remote(backend, EMBED_MODEL_ID, [LONG[:limit], short])
        assert _cos(vectors[0], alone[0]) > 0.999 and _cos(vectors[1], alone[1]) > 0.999
        assert not [r for r in caplog.records if "too long" in r.getMessage()]   # nothing cut: nothing logged
        assert _cos(vectors[0], embed_remote(backend, EMBED_MODEL_ID, [LONG[:limit // 2]])[0]) < 0.999
    finally:
        server.stop()


def test_the_fixture_server_takes_a_text_longer_than_its_context(embedding_server: LlamaServer,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="engine.remote.embeddings")
    vectors = embed_remote(Backend("emb", embedding_server.url), EMBED_MODEL_ID, [LONG])
    assert vectors.shape == (1, 384)
    assert "refused 1 of 1 texts" in caplog.text and "increase the physical batch size" in caplog.text


def test_cuts_halve_down_to_256_characters_then_say_what_to_do(fake: FakeEmbeddings,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    backend = Backend("fake", fake.url)
    caplog.set_level(logging.INFO, logger="engine.remote.embeddings")
    fake.max_chars = 600
    texts = ["x " * 2500, "alpha beta", "gamma " * 150]   # 5,000, 10 and 900 characters
    vectors = embed_remote(backend, "fake-embed", texts)
    # whole, then 2,048 and 1,024 characters refused, 512 taken: every text cut to 512, the short one whole
    assert [max(len(t) for t in body["input"]) for _, body in fake.requests] == [5000, 2048, 1024, 512]
    assert [len(t) for t in fake.requests[-1][1]["input"]] == [512, 10, 512]
    expected = np.asarray([bag_of_words(t[:512], 8) for t in texts], np.float32)
    assert np.allclose(vectors, expected / np.linalg.norm(expected, axis=1, keepdims=True), atol=1e-6)
    assert "refused 2 of 3 texts" in caplog.text and "first 512 characters" in caplog.text

    fake.requests.clear()
    fake.max_chars = 100   # not even 256 characters fit: refused, with what to do
    with pytest.raises(errors.RemoteError) as caught:
        embed_remote(backend, "fake-embed", ["y " * 200])
    assert caught.value.reason == "embedding_too_long" and "even cut to 256 characters" in caught.value.message
    assert "-ub" in caught.value.hint and caught.value.params["status"] == 500
    assert [max(len(t) for t in body["input"]) for _, body in fake.requests] == [400, 256]   # 2,048… skipped

    fake.requests.clear()
    fake.max_chars = None
    fake.status = 500   # another failure is not taken for a text too long: no retry, nothing cut
    with pytest.raises(errors.RemoteServerError, match="disk is full"):
        embed_remote(backend, "fake-embed", ["z " * 3000])
    assert len(fake.requests) == 1
