"""Stop while llama.cpp reads a long prompt takes effect at once, not at the end of the batch (issue 18).

Real llama.cpp in the worker process, the real SmolLM2 model. The bound is relative to this machine's own
speed, measured in the same test: a cancel checked only between prompt batches waits for most of a batch
(``PROMPT_CHUNK`` tokens); through llama.cpp's abort callback it waits for one graph node.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from engine import CancelToken, Done, Runtime, Sampling
from engine.runtime.native import PROMPT_CHUNK

CHATML = "<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n"


@pytest.fixture(scope="module")
def runtime(smollm2_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    logs = tmp_path_factory.mktemp("logs")
    rt = Runtime(log_path=logs / "llama.log", cache_dir=logs)
    rt.load(smollm2_path, n_ctx=4096, n_threads=2)
    yield rt
    rt.close()


def _licence(clauses: int) -> str:
    text = "\n".join(f"Clause {i}: the licensee may copy, modify and share part {i * 7} of the work, provided "
                     f"that notice {i % 13} is kept and no warranty is implied for section {i * 3}."
                     for i in range(clauses))
    return CHATML.format(q="Summarize this licence.\n\n" + text)


def test_stop_while_the_prompt_is_read_returns_at_once_with_no_tokens(runtime: Runtime) -> None:
    greedy = Sampling(temperature=0, max_tokens=4)
    # One batch's worth of the same text, read from scratch: how long a batch takes on this machine now.
    short = _licence(5)
    short_pieces, short_done = _run(runtime, short, greedy, reuse_prefix=False)
    assert short_done["prompt_tokens"] <= PROMPT_CHUNK and short_pieces
    batch_seconds = short_done["prompt_seconds"] * PROMPT_CHUNK / short_done["prompt_tokens"]
    bound = max(0.25 * batch_seconds, 0.05)

    document = _licence(62)
    # A quarter into the first batch (a stop checked only between batches would wait ~3/4 of it), then
    # further in, after whole batches went into the KV cache.
    for stop_after in (0.25, 2.5):
        latency, pieces, stopped = _stopped(runtime, document, greedy, stop_after * batch_seconds)
        assert stopped["prompt_tokens"] >= 2500 and stopped["finish_reason"] == "cancelled"
        assert pieces == [] and stopped["completion_tokens"] == 0
        assert stopped["prompt_evaluated"] % PROMPT_CHUNK == 0   # whole batches only: the aborted one is gone
        assert stopped["prompt_evaluated"] < stopped["prompt_tokens"]
        assert latency < bound, (stop_after, latency, batch_seconds)
        if stop_after < 1:
            assert stopped["prompt_evaluated"] == 0

    # The runtime answers right after, reusing from the cache only what the stopped request really read:
    # the short prompt shares its first ~200 tokens with the document.
    reused = min(_common_prefix(runtime, short, document), stopped["prompt_evaluated"])
    again_pieces, again = _run(runtime, short, greedy)
    assert again["prompt_evaluated"] == short_done["prompt_tokens"] - reused
    assert again["finish_reason"] == short_done["finish_reason"] and again["completion_tokens"] > 0
    assert again_pieces


def _common_prefix(runtime: Runtime, a: str, b: str) -> int:
    """How many leading tokens two prompts share (the characters they share, counted in tokens)."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return runtime.count_tokens(a[:n]) if n else 0


def _stopped(runtime: Runtime, prompt: str, sampling: Sampling, after: float) -> tuple[float, list[str], dict]:
    """Stop a request ``after`` seconds in; the seconds from the stop to its Done, its pieces, its stats."""
    cancel = CancelToken()
    stopped_at: list[float] = []

    def stop() -> None:
        stopped_at.append(time.perf_counter())
        cancel.cancel()
    timer = threading.Timer(after, stop)
    timer.start()
    try:
        pieces, stats = _run(runtime, prompt, sampling, reuse_prefix=False, cancel=cancel)
    finally:
        timer.cancel()
    returned = time.perf_counter()
    assert stopped_at, "the prompt was read before the stop came: the test prompt is too short"
    return returned - stopped_at[0], pieces, stats


def _run(runtime: Runtime, prompt: str, sampling: Sampling, **kw: object) -> tuple[list[str], dict]:
    pieces: list[str] = []
    for item in runtime.generate(prompt, sampling, **kw):  # type: ignore[arg-type]
        if isinstance(item, Done):
            return pieces, item.stats
        pieces.append(item)
    raise AssertionError("the runtime ended without Done")
