"""Embedding throughput: Hearth's worker against llama-cpp-python's own ``Llama.embed``.

Both sides embed the same batches of texts with the same model and thread
count and report tokens per second. ``raw_llama_embed_rate`` loads llama.cpp
in the calling process, so run it in a process of its own: ``raw_rate_in_subprocess``
does that (``hearth bench kb`` and ``python -m engine.bench.kb_embed MODEL`` use it).
Importing this module loads nothing.

llama-cpp-python's high-level ``Llama`` has no parameter for llama.cpp's
``use_extra_bufts``, whose AMX weight repacking segfaults on CPUs that report
AMX. ``Llama.__init__`` takes its model parameters from
``llama_cpp.llama_model_default_params()``, so for the raw run that function
is wrapped to switch extra buffers off; everything else is the stock API.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PARAGRAPH = ("Hearth keeps a local knowledge base: it reads the documents a person picks, splits them into "
             "passages of a few hundred tokens, and embeds each passage so that questions find the right "
             "page. Nothing leaves the computer; the index lives in one SQLite file next to the chats. ")


def sample_batches(n_texts: int = 200, per_batch: int = 50, repeat: int = 2) -> list[list[str]]:
    """``n_texts`` chunk-sized texts (about 100–200 tokens each), ``per_batch`` per call."""
    texts = [f"Passage {i}. " + PARAGRAPH * (1 + i % repeat) for i in range(n_texts)]
    return [texts[i:i + per_batch] for i in range(0, n_texts, per_batch)]


def _no_extra_buffers() -> None:
    import llama_cpp
    import llama_cpp.llama_cpp as low

    default = low.llama_model_default_params
    if getattr(default, "_hearth_wrapped", False):
        return

    def params() -> Any:
        p = default()
        p.use_extra_bufts = False
        return p

    params._hearth_wrapped = True  # type: ignore[attr-defined]
    low.llama_model_default_params = params
    llama_cpp.llama_model_default_params = params


def raw_llama_embed_rate(path: str | Path, batches: list[list[str]], n_threads: int,
                         batch_tokens: int = 2048, flash_attn: bool = False) -> dict[str, Any]:
    """Embed ``batches`` with ``llama_cpp.Llama(embedding=True).embed`` (normalised); tokens/s and totals.

    ``flash_attn`` is ``Llama``'s own switch (off by default there; our worker leaves llama.cpp on "auto").
    """
    import llama_cpp  # before numpy: CUDA builds need it first

    _no_extra_buffers()
    started = time.perf_counter()
    llm = llama_cpp.Llama(model_path=str(path), embedding=True, n_ctx=batch_tokens, n_batch=batch_tokens,
                          n_ubatch=batch_tokens, n_threads=n_threads, n_threads_batch=n_threads,
                          n_gpu_layers=-1, flash_attn=flash_attn, verbose=False)
    load = time.perf_counter() - started
    llm.embed(batches[0][:2], normalize=True)  # warm up, as the worker's first call does
    tokens = 0
    seconds = 0.0
    for batch in batches:
        t0 = time.perf_counter()
        _, count = llm.embed(batch, normalize=True, return_count=True)
        seconds += time.perf_counter() - t0
        tokens += count
    llm.close()
    side = "llama_cpp.Llama.embed" + (" (flash_attn)" if flash_attn else "")
    return {"side": side, "tokens": tokens, "seconds": seconds,
            "tokens_per_s": tokens / seconds if seconds else 0.0, "load_seconds": load,
            "texts": sum(len(b) for b in batches)}


def raw_rate_in_subprocess(path: str | Path, batches: list[list[str]], n_threads: int, workdir: Path, *,
                           flash_attn: bool) -> dict[str, Any]:
    """``raw_llama_embed_rate`` in a fresh process (llama.cpp before numpy, and no shared state)."""
    data = Path(workdir) / "batches.json"
    data.write_text(json.dumps(batches), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "engine.bench.kb_embed", "--raw", str(path), str(data),
                          str(n_threads), str(int(flash_attn))],
                         capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[2])
    return json.loads(out.stdout.strip().splitlines()[-1])


def hearth_embed_rate(runtime: Any, batches: list[list[str]]) -> dict[str, Any]:
    """Embed ``batches`` through a :class:`~engine.runtime.client.Runtime` with an embedder loaded."""
    runtime.embed(batches[0][:2])  # warm up
    tokens = 0
    seconds = 0.0
    for batch in batches:
        t0 = time.perf_counter()
        runtime.embed(batch)
        seconds += time.perf_counter() - t0   # wall time, pipe and numpy included
        tokens += runtime.last_embed_stats["tokens"]
    return {"side": "hearth Runtime.embed", "tokens": tokens, "seconds": seconds,
            "tokens_per_s": tokens / seconds if seconds else 0.0, "texts": sum(len(b) for b in batches)}


def compare(path: str | Path, *, n_threads: int, n_texts: int = 200, per_batch: int = 50,
            rounds: int = 3) -> list[dict[str, Any]]:
    """Each side's median rate over ``rounds`` interleaved rounds (a shared machine is noisy).

    The raw side runs in a fresh subprocess per round, with and without flash attention; ours
    goes through one Runtime (its worker loads the model once).
    """
    from engine.runtime.client import Runtime

    batches = sample_batches(n_texts, per_batch)
    runs: dict[str, list[dict[str, Any]]] = {}
    with Runtime() as runtime, tempfile.TemporaryDirectory(prefix="hearth-bench-embed-") as tmp:
        runtime.load_embedder(path, n_threads=n_threads)
        for _ in range(rounds):
            for flash in (False, True):
                row = raw_rate_in_subprocess(path, batches, n_threads, Path(tmp), flash_attn=flash)
                runs.setdefault(row["side"], []).append(row)
            row = hearth_embed_rate(runtime, batches)
            runs.setdefault(row["side"], []).append(row)
    results = []
    for rows in runs.values():
        rows.sort(key=lambda r: r["tokens_per_s"])
        median = dict(rows[len(rows) // 2])
        median["all_tokens_per_s"] = [round(r["tokens_per_s"]) for r in rows]
        results.append(median)
    return results


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--raw":  # raw_rate_in_subprocess's child: MODEL BATCHES.json THREADS FLASH
        batches = json.loads(Path(argv[2]).read_text(encoding="utf-8"))
        print(json.dumps(raw_llama_embed_rate(argv[1], batches, int(argv[3]), flash_attn=argv[4] == "1")))
        return 0
    if not argv:
        print("usage: python -m engine.bench.kb_embed MODEL.gguf [THREADS [ROUNDS]]", file=sys.stderr)
        return 2
    from engine.runtime.client import default_threads

    threads = int(argv[1]) if len(argv) > 1 else default_threads()
    rounds = int(argv[2]) if len(argv) > 2 else 3
    for row in compare(argv[0], n_threads=threads, rounds=rounds):
        print(f"{row['side']:<34} {row['tokens']:>6} tokens  median {row['tokens_per_s']:6.0f} tokens/s  "
              f"(rounds: {row['all_tokens_per_s']})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
