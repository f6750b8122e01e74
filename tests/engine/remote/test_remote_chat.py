"""Conversations answered by a remote model, through the same Chat service as a local one: stored, counted on
the server, fitted to the server's context, stopped, recorded; against a REAL llama-server and the fake."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Iterator

import pytest
import requests

from engine import errors
from engine.chat.events import ContextTrimmed, Piece, ReplyFinished, ReplyStarted, UserSaved
from engine.home import open_home
from engine.remote import Backend, Backends
from engine.remote.runtime import remote_path
from engine.sampling import CancelToken, Sampling
from tests.engine.remote.test_backends import MemoryKeyring, keychain  # noqa: F401
from tests.remote_fake_server import FakeOpenAI, fake_openai  # noqa: F401
from tests.remote_server import MODEL_ID, LlamaServer, free_port, llama_server, llama_server_bin  # noqa: F401

GREEDY = Sampling(temperature=0.0, seed=7, max_tokens=24)


@pytest.fixture
def home_with(hearth_home: Path, keychain: MemoryKeyring) -> Iterator[object]:  # noqa: F811
    """A function adding backends to the test home, then the home."""
    home = open_home()

    def add(*backends: Backend) -> object:
        with home.store() as store:
            for backend in backends:
                Backends(store).add(backend)
        return home
    yield add


def test_a_remote_reply_is_stored_counted_on_the_server_and_recorded(llama_server: LlamaServer,  # noqa: F811
                                                                      home_with: object) -> None:
    home = home_with(Backend("box", llama_server.url, preset="llama-server", model=MODEL_ID))
    with home.engine() as parts:
        info = parts.runtime.load(remote_path("box", MODEL_ID))
        assert (info.n_ctx, info.n_ctx_train, info.backend, info.architecture) == (1024, 1024, "remote:box", "remote")
        conv = parts.store.create_conversation(system_prompt="You are terse.")
        budget = parts.chat.budget(conv.id, "Name three colours.", sampling=GREEDY)
        events = list(parts.chat.send(conv.id, "Name three colours.", sampling=GREEDY))
        assert isinstance(events[0], UserSaved) and isinstance(events[-1], ReplyFinished)
        started = next(e for e in events if isinstance(e, ReplyStarted))
        text = "".join(e.text for e in events if isinstance(e, Piece) and e.kind == "answer")
        reply = parts.store.message(events[-1].message.id)
        record = reply.record
    assert text and reply.content == text and reply.status == "complete"
    remote = record["remote"]
    # counted exactly: what the meter and the fitting counted is what the server evaluated
    assert remote["counting"] == "server"
    assert remote["usage"]["prompt_tokens"] == remote["prompt_tokens_sent"] == started.prompt_tokens
    assert budget.used == started.prompt_tokens and budget.n_ctx == 1024   # the meter showed the same count
    assert remote["backend"] == "box" and "truncated" not in remote
    assert record["model"]["path"] == f"remote://box/{MODEL_ID}" and record["model"]["backend"] == "remote:box"
    assert record["sampling"]["temperature"] == 0.0 and record["sampling"]["seed"] == 7
    assert record["n_ctx"] == 1024
    # the same request sent straight to the server gives the same answer: messages, not a local template
    plain = requests.post(f"{llama_server.url}/chat/completions", timeout=60, json={
        "model": MODEL_ID, "temperature": 0.0, "seed": 7, "max_tokens": 24, "top_p": 0.95, "top_k": 40,
        "min_p": 0.05, "repeat_penalty": 1.1, "messages": [{"role": "system", "content": "You are terse."},
                                                           {"role": "user", "content": "Name three colours."}]}).json()
    assert plain["choices"][0]["message"]["content"].strip() == text.strip()


def test_a_long_conversation_drops_its_oldest_turns_to_fit_the_servers_context(llama_server: LlamaServer,  # noqa: F811
                                                                               home_with: object) -> None:
    home = home_with(Backend("box", llama_server.url, preset="llama-server", model=MODEL_ID))
    filler = "The archive holds letters, maps and ledgers from the old harbour office. " * 12
    with home.engine() as parts:
        parts.runtime.load(remote_path("box", MODEL_ID), n_ctx=512)   # less than the server's 1024: honoured
        assert parts.runtime.info.n_ctx == 512
        conv = parts.store.create_conversation()
        settings = Sampling(temperature=0.0, seed=1, max_tokens=8)
        trimmed: list[ContextTrimmed] = []
        for n in range(4):
            events = list(parts.chat.send(conv.id, f"Note {n}: {filler}", sampling=settings))
            trimmed += [e for e in events if isinstance(e, ContextTrimmed)]
            started = next(e for e in events if isinstance(e, ReplyStarted))
            assert started.prompt_tokens + started.reserve <= 512
            last = parts.store.message(events[-1].message.id)
            assert last.record["remote"]["usage"]["prompt_tokens"] == started.prompt_tokens
        assert trimmed and trimmed[-1].dropped_ids   # the oldest turns went, and the reply still came
        parts.store.update_conversation(conv.id, context_policy="refuse")
        with pytest.raises(errors.ContextError):
            list(parts.chat.send(conv.id, f"Note 5: {filler}", sampling=settings))


def test_stop_keeps_what_streamed_and_failover_names_who_answered(llama_server: LlamaServer,  # noqa: F811
                                                                  home_with: object) -> None:
    dead = f"http://127.0.0.1:{free_port()}/v1"
    home = home_with(Backend("gone", dead, preset="llama-server", model=MODEL_ID, context_window=1024),
                     Backend("box", llama_server.url, preset="llama-server", model=MODEL_ID))
    with home.engine() as parts:
        parts.runtime.load(remote_path("gone", MODEL_ID))
        conv = parts.store.create_conversation()
        cancel = CancelToken()
        got = []
        for event in parts.chat.send(conv.id, "Tell me a long story about a lighthouse.", cancel=cancel,
                                     sampling=Sampling(temperature=0.0, max_tokens=400)):
            got.append(event)
            if sum(isinstance(e, Piece) for e in got) == 5:
                cancel.cancel()
        reply = parts.store.message(got[-1].message.id)
    assert reply.status == "interrupted" and reply.content
    assert reply.record["finish_reason"] == "cancelled"
    assert reply.record["remote"]["backend"] == "box"
    assert [name for name, _ in reply.record["remote"]["skipped"]] == ["gone"]


def test_reasoning_ollama_truncation_and_estimated_counts(fake_openai: FakeOpenAI,  # noqa: F811
                                                           home_with: object) -> None:
    fake_openai.stream = "reasoning"
    fake_openai.usage = {"prompt_tokens": 20, "completion_tokens": 6, "total_tokens": 26}
    home = home_with(Backend("ollama", fake_openai.url, preset="ollama", model="fake-model", context_window=4096))
    long = "Every chapter of the manual explains one part of the machine in detail. " * 40
    with home.engine() as parts:
        parts.runtime.load(remote_path("ollama", "fake-model"))
        conv = parts.store.create_conversation()
        events = list(parts.chat.send(conv.id, long))
        reply = parts.store.message(events[-1].message.id)
    assert reply.reasoning == "The user greets me." and reply.content == "Hello there!"
    remote = reply.record["remote"]
    assert remote["counting"] == "estimate"
    # the server read 20 of the ~800 tokens sent: it cut the conversation (Ollama at num_ctx) and says nothing
    assert remote["truncated"]["seen"] == 20 and remote["truncated"]["sent"] > 500
    sent = [body for method, path, _, body in fake_openai.requests if path == "/v1/chat/completions"][-1]
    assert sent["messages"][-1] == {"role": "user", "content": long}
    assert "top_k" not in sent and sent["stream"] is True   # Ollama gets only the OpenAI fields


def test_knowledge_and_documents_go_to_a_remote_model(llama_server: LlamaServer, home_with: object,  # noqa: F811
                                                      minilm_path: Path, tmp_path: Path) -> None:
    """The collection is searched here (the local embedder), its passages counted by the server and sent in
    the request; an attached document goes whole, or is refused with the server's count when too big."""
    from engine.chat.attachments import prepare
    from engine.chat.events import KnowledgeRetrieved
    from engine.knowledge import collections as library
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "harbour.md").write_text("# Harbour office\n\nThe harbour office opens at seven in the morning and "
                                     "closes at noon on Saturdays. The harbour master is Ingrid Solberg.\n",
                                     encoding="utf-8")
    home_with(Backend("box", llama_server.url, preset="llama-server", model=MODEL_ID))
    with open_home(embedder=minilm_path).engine() as parts:
        kb = parts.knowledge
        kb.create("port")
        kb.add("port", [docs])
        assert [p.state for p in kb.index("port")][-1] == "done"
        parts.runtime.load(remote_path("box", MODEL_ID))
        conv = parts.store.create_conversation()
        library.use_collections(parts.store.db.conn, conv.id, [library.get(parts.store.db.conn, "port").id],
                                documents_only=False)
        events = list(parts.chat.send(conv.id, "Who is the harbour master?", sampling=GREEDY))
        found = next(e for e in events if isinstance(e, KnowledgeRetrieved))
        reply = parts.store.message(events[-1].message.id)
        assert found.sources and "Ingrid Solberg" in found.sources[0].text
        assert reply.record["knowledge"]["sources"] and reply.record["remote"]["counting"] == "server"
        sent = reply.record["prompt"]
        assert "Ingrid Solberg" in sent and '"role": "user"' in sent   # the request, passages in the user turn
        assert reply.record["remote"]["usage"]["prompt_tokens"] == reply.prompt_tokens
        # a document attached to a message goes whole; one bigger than the server's context is refused
        note = tmp_path / "note.txt"
        note.write_text("The ferry leaves at nine.", encoding="utf-8")
        conv2 = parts.store.create_conversation()
        events = list(parts.chat.send(conv2.id, "When does the ferry leave?", attachments=[prepare(note)],
                                      sampling=GREEDY))
        assert "The ferry leaves at nine." in parts.store.message(events[-1].message.id).record["prompt"]
        big = tmp_path / "big.txt"
        big.write_text("Ledger entry: one crate of salted fish received at the north pier. " * 300, encoding="utf-8")
        with pytest.raises(errors.AttachmentTooLarge) as refused:
            list(parts.chat.send(conv2.id, "Summarise this.", attachments=[prepare(big)], sampling=GREEDY))
        assert "1,024" in str(refused.value)


def test_images_go_as_data_urls_only_to_a_backend_marked_vision(fake_openai: FakeOpenAI,  # noqa: F811
                                                                 home_with: object, tmp_path: Path) -> None:
    import base64
    import io

    from PIL import Image

    from engine.chat.attachments import prepare
    picture = tmp_path / "red.png"
    Image.new("RGB", (40, 30), (200, 10, 10)).save(picture)
    home = home_with(Backend("eyes", fake_openai.url, preset="vllm", model="fake-model", context_window=8192,
                             vision=True),
                     Backend("blind", fake_openai.url, preset="vllm", model="other-model", context_window=8192))
    with home.engine() as parts:
        parts.runtime.load(remote_path("eyes", "fake-model"))
        conv = parts.store.create_conversation()
        list(parts.chat.send(conv.id, "What colour is this?", attachments=[prepare(picture)]))
        sent = [b for _, path, _, b in fake_openai.requests if path == "/v1/chat/completions"][-1]
        parts_sent = sent["messages"][-1]["content"]
        image = next(p for p in parts_sent if p["type"] == "image_url")["image_url"]["url"]
        assert image.startswith("data:image/png;base64,")
        decoded = Image.open(io.BytesIO(base64.b64decode(image.split(",", 1)[1])))
        assert decoded.size == (40, 30) and decoded.getpixel((5, 5)) == (200, 10, 10)
        assert any(p["type"] == "text" and "What colour is this?" in p["text"] for p in parts_sent)
        parts.runtime.load(remote_path("blind", "other-model"))
        conv2 = parts.store.create_conversation()
        with pytest.raises(errors.VisionUnsupported):
            list(parts.chat.send(conv2.id, "And this?", attachments=[prepare(picture)]))
        assert parts.store.thread(conv2.id) == []   # refused before anything was stored


def test_counting_falls_back_to_an_estimate_and_says_so(fake_openai: FakeOpenAI) -> None:  # noqa: F811
    from engine.remote.counting import ESTIMATE_MARGIN, Counter, estimate_tokens
    text = "A sentence of plain English words for counting."
    assert estimate_tokens(text) == math.ceil(len(text) / 3.5 * (1 + ESTIMATE_MARGIN))
    assert estimate_tokens("量化入门") == math.ceil(4 * (1 + ESTIMATE_MARGIN))   # one per CJK character
    down = Counter(Backend("down", f"http://127.0.0.1:{free_port()}", preset="vllm"), "m")
    assert down.text(text) == estimate_tokens(text) and down.method == "server"   # asked again next time
    no_endpoint = Counter(Backend("fake", fake_openai.url, preset="vllm"), "fake-model")   # 404 on /tokenize
    assert no_endpoint.messages([{"role": "user", "content": text}]) > estimate_tokens(text)
    assert no_endpoint.method == "estimate" and not no_endpoint.exact
    asked = [path for _, path, _, _ in fake_openai.requests]
    no_endpoint.text(text)
    assert [path for _, path, _, _ in fake_openai.requests] == asked   # not asked again once it had no endpoint
