"""A real llama.cpp ``llama-server`` for the remote-backend tests, built offline and cached.

``llama_server_bin`` (session): scripts/build_llama_server.sh builds llama-server from the llama.cpp
sources vendored in the llama-cpp-python sdist into ~/.cache/hearth/llama-server/<version>/ when it is
missing (about 10-20 minutes on 2 busy cores, once; it prints how long it took), else finds it at once.
``LlamaServer`` starts one on a free loopback port serving a GGUF, waits for ``/health`` to answer 200
(not merely for the port to open: it answers 503 while loading) and stops it. ``llama_server``
(module) serves SmolLM2 with a 1024-token context as model ``smollm2``; ``embedding_server`` (module)
serves all-MiniLM-L6-v2 with ``--embeddings`` as model ``minilm``.

Use: ``from tests.remote_server import llama_server, llama_server_bin  # noqa: F401``.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from engine.bench.remote import LlamaServerProcess

ROOT = Path(__file__).resolve().parents[1]
MODEL_ID = "smollm2"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LlamaServer(LlamaServerProcess):
    """One llama-server process on 127.0.0.1 (its log in ``log``): the benchmark's launcher with the tests'
    defaults (1,024-token context, model ``smollm2``), and ``kill`` to play a crashed machine."""

    def __init__(self, binary: Path, model: Path, log: Path, *, n_ctx: int = 1024, alias: str = MODEL_ID,
                 api_key: str | None = None, port: int | None = None, embeddings: bool = False) -> None:
        super().__init__(binary, model, log, n_ctx=n_ctx, alias=alias, port=port, api_key=api_key,
                         embeddings=embeddings)

    def kill(self) -> None:
        """As a crashed or unplugged machine: SIGKILL, no goodbye."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="session")
def llama_server_bin() -> Path:
    """The cached llama-server binary, built now when missing."""
    started = time.monotonic()
    done = subprocess.run(["bash", str(ROOT / "scripts" / "build_llama_server.sh")], capture_output=True, text=True,
                          env={**os.environ, "HEARTH_PYTHON": sys.executable}, timeout=3600)
    assert done.returncode == 0, done.stdout + done.stderr
    binary = Path(done.stdout.strip().splitlines()[-1])
    assert binary.is_file() and os.access(binary, os.X_OK), binary
    took = time.monotonic() - started
    if took > 5:
        print(f"\n[remote_server] built llama-server in {took:.0f} s", file=sys.stderr)
    return binary


@pytest.fixture(scope="module")
def llama_server(llama_server_bin: Path, smollm2_path: Path, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[LlamaServer]:
    """llama-server serving SmolLM2 (1024-token context) as model ``smollm2``, for a test module."""
    server = LlamaServer(llama_server_bin, smollm2_path, tmp_path_factory.mktemp("llama-server") / "server.log")
    yield server
    server.stop()


EMBED_MODEL_ID = "minilm"


@pytest.fixture(scope="module")
def embedding_server(llama_server_bin: Path, minilm_path: Path, tmp_path_factory: pytest.TempPathFactory
                     ) -> Iterator[LlamaServer]:
    """llama-server serving all-MiniLM-L6-v2 (384 dimensions) with ``--embeddings`` as model ``minilm``."""
    server = LlamaServer(llama_server_bin, minilm_path, tmp_path_factory.mktemp("embedding-server") / "server.log",
                         n_ctx=512, alias=EMBED_MODEL_ID, embeddings=True)
    yield server
    server.stop()
