"""``hearth bench api``: Hearth's API server (through the ``openai`` SDK) against its engine in-process.

Same model, same prompt, same run, rounds interleaved so drift affects both alike: decode tokens/s and
time to first token (TTFT) measured by the client, the way a user of either sees them. Then N
concurrent API clients: all must complete (the queue holds them; none is cancelled), with their p95
TTFT. Writes JSON.
"""
from __future__ import annotations

import json
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from engine import errors
from engine.home import open_home
from engine.runtime.client import Done, Runtime, default_threads
from engine.sampling import Sampling

PROMPT = "Count from 1 to 300, separated by commas."
ROUNDS = 3


def _decode(first: float | None, last: float, tokens: int, started: float) -> dict[str, float]:
    if first is None:
        return {"ttft_s": float("nan"), "tokens": tokens, "tokens_per_s": 0.0}
    rate = (tokens - 1) / (last - first) if tokens > 1 and last > first else 0.0
    return {"ttft_s": first - started, "tokens": tokens, "tokens_per_s": rate}


def _in_process(runtime: Runtime, prompt: str, n_tokens: int) -> dict[str, float]:
    sampling = Sampling(temperature=0, repeat_penalty=1.0, max_tokens=n_tokens, seed=1)
    started = time.perf_counter()
    first, last, tokens = None, started, 0
    for item in runtime.generate(prompt, sampling):   # prefix reuse on, as the API server has it
        if isinstance(item, Done):
            tokens = int(item.stats.get("completion_tokens", tokens))
            break
        last = time.perf_counter()
        first = first if first is not None else last
    return _decode(first, last, tokens, started)


def _through_api(client: Any, model: str, n_tokens: int, content: str = PROMPT) -> dict[str, float]:
    started = time.perf_counter()
    first, last, tokens = None, started, 0
    stream = client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}],
                                            temperature=0, seed=1, max_tokens=n_tokens, stream=True,
                                            stream_options={"include_usage": True})
    for chunk in stream:
        if chunk.usage is not None:
            tokens = chunk.usage.completion_tokens
        if chunk.choices and chunk.choices[0].delta.content:
            last = time.perf_counter()
            first = first if first is not None else last
    return _decode(first, last, tokens, started)


def _concurrent(client: Any, model: str, clients: int, n_tokens: int) -> dict[str, Any]:
    results: list[dict[str, float] | None] = [None] * clients
    failures: list[str] = []

    def one(i: int) -> None:
        try:
            results[i] = _through_api(client, model, n_tokens, f"Write one sentence about the number {i}.")
        except Exception as exc:   # a refused or cancelled client is the finding, not a crash of the bench
            failures.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = [r for r in results if r is not None and r["tokens"] > 0]
    ttfts = sorted(r["ttft_s"] for r in done)
    p95 = ttfts[min(len(ttfts) - 1, max(0, round(0.95 * len(ttfts)) - 1))] if ttfts else None
    return {"clients": clients, "completed": len(done), "failures": failures, "ttft_p95_s": p95,
            "ttft_median_s": statistics.median(ttfts) if ttfts else None,
            "wall_s": time.perf_counter() - started}


def run_api_bench(model_path: Path, out: Path, *, threads: int | None = None, n_tokens: int = 128,
                  clients: int = 8) -> dict[str, Any]:
    """Measure and write JSON to ``out``."""
    try:
        import openai
    except ImportError:
        raise errors.HearthError("`hearth bench api` drives the server with the openai package, which is not "
                                 "installed.", hint="Install it: pip install openai") from None
    from engine.api import ApiConfig, ApiServer
    threads = threads or default_threads()
    home = open_home()
    runtime = home.runtime()
    server = ApiServer(home, ApiConfig(port=0, model=model_path, n_ctx=4096, n_threads=threads,
                                       max_queue=clients, max_tokens_cap=max(n_tokens, 4096)))
    try:
        info = runtime.load(model_path, n_ctx=4096, n_threads=threads)
        prompt = info.template.render([{"role": "user", "content": PROMPT}])
        server.start()
        if not server.wait_ready(600):
            raise errors.ModelLoadFailed(server.worker.problem or "The API's model did not load.")
        client = openai.OpenAI(base_url=server.url + "/v1", api_key="bench", max_retries=0, timeout=600)
        model = str(server.worker.loaded_id)
        _in_process(runtime, prompt, 16)   # warm up both
        _through_api(client, model, 16)
        engine_runs, api_runs = [], []
        for _ in range(ROUNDS):
            engine_runs.append(_in_process(runtime, prompt, n_tokens))
            api_runs.append(_through_api(client, model, n_tokens))
        runtime.unload()   # the concurrent clients get the CPU to themselves
        concurrent = _concurrent(client, model, clients, min(n_tokens, 32))
    finally:
        server.stop()
        runtime.close()

    def med(runs: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in runs)

    result: dict[str, Any] = {
        "model": info.name, "model_path": str(info.path), "backend": info.backend, "threads": threads,
        "tokens": n_tokens, "rounds": ROUNDS,
        "engine": {"tokens_per_s": med(engine_runs, "tokens_per_s"), "ttft_s": med(engine_runs, "ttft_s"),
                   "runs": engine_runs},
        "api": {"tokens_per_s": med(api_runs, "tokens_per_s"), "ttft_s": med(api_runs, "ttft_s"), "runs": api_runs},
        "concurrent": concurrent,
    }
    engine_tps = result["engine"]["tokens_per_s"]
    result["api_vs_engine_decode"] = result["api"]["tokens_per_s"] / engine_tps if engine_tps else None
    result["api_ttft_overhead_s"] = result["api"]["ttft_s"] - result["engine"]["ttft_s"]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result
