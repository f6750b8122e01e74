"""Shared fixtures of the chat tests: the temporary home's database, opened for one test."""
from __future__ import annotations

from typing import Iterator

import pytest

from engine import paths
from engine.store import Store


@pytest.fixture
def store() -> Iterator[Store]:
    s = Store(paths().database)
    yield s
    s.close()
