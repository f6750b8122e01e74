"""The knowledge tests' embedding runtime: one real llama.cpp worker per test module (loading MiniLM in a
fresh worker for every test would double these tests' time)."""
from __future__ import annotations

from typing import Iterator

import pytest

from engine.runtime.client import Runtime


@pytest.fixture(scope="module")
def embed_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    folder = tmp_path_factory.mktemp("kb-runtime")
    with Runtime(log_path=folder / "llama.log", cache_dir=folder) as runtime:
        yield runtime
