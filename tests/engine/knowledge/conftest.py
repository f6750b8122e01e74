"""The knowledge tests' embedding runtime, one real llama.cpp worker per test module (loading MiniLM in a
fresh worker for every test would double these tests' time), and ``kb``: a knowledge base in the test's
Hearth home embedding with MiniLM through it."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from engine.knowledge.base import KnowledgeBase
from engine.runtime.client import Runtime
from engine.store import Store


@pytest.fixture(scope="module")
def embed_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    folder = tmp_path_factory.mktemp("kb-runtime")
    with Runtime(log_path=folder / "llama.log", cache_dir=folder) as runtime:
        yield runtime


@pytest.fixture()
def kb(hearth_home: Path, embed_runtime: Runtime, minilm_path: Path) -> Iterator[KnowledgeBase]:
    store = Store(hearth_home / "hearth.db")
    base = KnowledgeBase(store, embed_runtime, embedder=minilm_path)
    yield base
    store.close()
