"""``hearth bench remote``: a llama-server reached through Hearth's remote client against the official ``openai``
SDK sending the same request straight to the same server.

One llama-server (``LlamaServerProcess``: the binary ``scripts/build_llama_server.sh`` caches, or one given)
serves the model on loopback. Each round sends the same prompt with the same max_tokens, temperature 0 and a
fixed seed through ``engine.remote.client.stream_chat`` ("hearth"), through the SDK ("direct") and through the
``RemoteRuntime`` the chat uses ("runtime": it also counts the prompt on the server first, so its time to first
token includes that request); the order turns each round so drift affects all alike. Decode tokens/s and
time to first token are measured by the client, the way a user sees them; ``decode_ratio`` is hearth/direct
of the medians (target ≥ 0.97), ``decode_ratio_best`` of the best rounds (steadier on a busy machine). ``with_api`` adds ``hearth bench api``'s figures (Hearth's API against its engine). Writes JSON.
"""
from __future__ import annotations

import importlib.metadata
import json
import os
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import requests

from engine import errors
from engine.bench.api import PROMPT, _decode, _through_api
from engine.remote.backend import Backend
from engine.remote.client import ChatDelta, ChatDone, stream_chat
from engine.remote.runtime import RemoteRuntime, remote_path
from engine.runtime.client import Done, default_threads
from engine.sampling import Sampling

ROUNDS = 5
SEED = 1
ALIAS = "bench"
TARGET = 0.97
START_TIMEOUT_S = 180


def default_server_binary() -> Path:
    """Where ``scripts/build_llama_server.sh`` keeps llama-server for the installed llama-cpp-python."""
    root = os.environ.get("HEARTH_LLAMA_SERVER_CACHE") or str(Path.home() / ".cache" / "hearth" / "llama-server")
    return Path(root) / importlib.metadata.version("llama_cpp_python") / "llama-server"


class LlamaServerProcess:
    """One llama-server on a free 127.0.0.1 port serving ``model`` as ``alias``; ``stop()`` ends it."""

    def __init__(self, binary: Path, model: Path, log: Path, *, n_ctx: int = 2048, threads: int = 2,
                 alias: str = ALIAS, port: int | None = None, api_key: str | None = None,
                 embeddings: bool = False) -> None:
        """``port``: None for a free one; ``api_key``: required by the server; ``embeddings``: serve
        /v1/embeddings (501 without it)."""
        if not (binary.is_file() and os.access(binary, os.X_OK)):
            raise errors.HearthError(f"There is no llama-server program at {binary}.",
                                     hint="Build it with `bash scripts/build_llama_server.sh`, or name one with "
                                          "--server PATH.")
        if port is None:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = int(sock.getsockname()[1])
        self.port = port
        self.log = log
        args = [str(binary), "-m", str(model), "--host", "127.0.0.1", "--port", str(self.port), "-c", str(n_ctx),
                "-np", "1", "-t", str(threads), "--alias", alias, "--no-webui",
                "--no-repack"]   # no extra buffer types, as the engine loads models (llama.cpp issue 20824)
        args += ["--api-key", api_key] if api_key else []
        args += ["--embeddings"] if embeddings else []
        with open(log, "ab") as out:
            self.process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self._wait_healthy()

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.root}/v1"

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise errors.HearthError(f"llama-server stopped while starting (exit code {self.process.returncode}).",
                                         hint=f"Its log: {self.log}")
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise errors.HearthError(f"llama-server did not become ready within {START_TIMEOUT_S} s.",
                                 hint=f"Its log: {self.log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _through_client(backend: Backend, n_tokens: int) -> dict[str, float]:
    """One streamed reply through ``stream_chat``, timed as ``_through_api`` times the SDK's."""
    started = time.perf_counter()
    first, last, tokens = None, started, 0
    options = {"temperature": 0, "seed": SEED, "max_tokens": n_tokens}
    for event in stream_chat(backend, [{"role": "user", "content": PROMPT}], model=ALIAS, options=options):
        if isinstance(event, ChatDelta) and event.text:
            last = time.perf_counter()
            first = first if first is not None else last
        elif isinstance(event, ChatDone):
            tokens = int(event.usage.get("completion_tokens") or 0)
    return _decode(first, last, tokens, started)


def _through_runtime(runtime: RemoteRuntime, n_tokens: int) -> dict[str, float]:
    """One reply as the chat gets it: ``RemoteRuntime.generate`` (server-side counting first)."""
    assert runtime.info is not None
    prompt = runtime.info.template.render([{"role": "user", "content": PROMPT}])
    sampling = Sampling(temperature=0, seed=SEED, max_tokens=n_tokens, repeat_penalty=1.0)
    started = time.perf_counter()
    first, last, tokens = None, started, 0
    for item in runtime.generate(prompt, sampling):
        if isinstance(item, Done):
            tokens = int(item.stats.get("completion_tokens", 0))
        elif item:
            last = time.perf_counter()
            first = first if first is not None else last
    return _decode(first, last, tokens, started)


def _summary(runs: list[dict[str, float]]) -> dict[str, Any]:
    return {"tokens_per_s": statistics.median(r["tokens_per_s"] for r in runs),
            "ttft_s": statistics.median(r["ttft_s"] for r in runs),
            "best_tokens_per_s": max(r["tokens_per_s"] for r in runs), "best_ttft_s": min(r["ttft_s"] for r in runs),
            "runs": runs}


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def run_remote_bench(model_path: Path, out: Path, *, server: Path | None = None, threads: int | None = None,
                     n_tokens: int = 128, rounds: int = ROUNDS, with_api: bool = False) -> dict[str, Any]:
    """Measure and write JSON to ``out``."""
    try:
        import openai
    except ImportError:
        raise errors.HearthError("`hearth bench remote` drives the server with the openai package too, which is "
                                 "not installed.", hint="Install it: pip install openai") from None
    threads = threads or default_threads()
    binary = server or default_server_binary()
    with tempfile.TemporaryDirectory(prefix="hearth-bench-remote-") as tmp:
        log = Path(tmp) / "llama-server.log"
        process = LlamaServerProcess(binary, model_path, log, threads=threads)
        try:
            backend = Backend("bench", process.url, preset="llama-server", model=ALIAS)
            client = openai.OpenAI(base_url=process.url, api_key="bench", max_retries=0, timeout=600)
            runtime = RemoteRuntime(lambda: [backend])
            runtime.load(remote_path(backend.name, ALIAS))
            ways: dict[str, Callable[[int], dict[str, float]]] = {
                "hearth": lambda n: _through_client(backend, n),
                "direct": lambda n: _through_api(client, ALIAS, n),
                "runtime": lambda n: _through_runtime(runtime, n)}
            for way in ways.values():   # warm up: the prompt's cache, the connections
                way(8)
            runs: dict[str, list[dict[str, float]]] = {name: [] for name in ways}
            for i in range(rounds):
                order = list(ways)[i % len(ways):] + list(ways)[:i % len(ways)]   # each goes first in turn
                for name in order:
                    runs[name].append(ways[name](n_tokens))
        finally:
            process.stop()
    result: dict[str, Any] = {
        "model": model_path.name, "model_path": str(model_path), "server": str(binary), "threads": threads,
        "tokens": n_tokens, "rounds": rounds, "prompt": PROMPT, "temperature": 0, "seed": SEED,
        **{name: _summary(r) for name, r in runs.items()}}
    hearth, direct, chat = result["hearth"], result["direct"], result["runtime"]
    result["same_tokens"] = len({r["tokens"] for name in runs for r in runs[name]}) == 1
    result["decode_ratio"] = _ratio(hearth["tokens_per_s"], direct["tokens_per_s"])
    result["ttft_overhead_s"] = hearth["ttft_s"] - direct["ttft_s"]
    # best of the rounds: on a shared machine a neighbour's burst slows single runs, rarely all of them
    result["decode_ratio_best"] = _ratio(hearth["best_tokens_per_s"], direct["best_tokens_per_s"])
    result["runtime_decode_ratio"] = _ratio(chat["tokens_per_s"], direct["tokens_per_s"])
    result["runtime_ttft_overhead_s"] = chat["ttft_s"] - direct["ttft_s"]
    result["target"] = TARGET
    result["meets_target"] = result["decode_ratio"] is not None and result["decode_ratio"] >= TARGET
    if with_api:   # Hearth's own API server against its engine in-process (``hearth bench api``)
        from engine.bench.api import run_api_bench
        with tempfile.TemporaryDirectory(prefix="hearth-bench-api-") as tmp:
            api = run_api_bench(model_path, Path(tmp) / "api.json", threads=threads, n_tokens=n_tokens)
        result["api"] = {key: api[key] for key in ("engine", "api", "api_vs_engine_decode", "api_ttft_overhead_s",
                                                   "concurrent")}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result
