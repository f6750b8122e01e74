"""``hearth bench kb``: knowledge-base ingest, re-index and retrieval, written as JSON.

- Ingest: a real corpus (the licence texts of /usr/share/common-licenses
  and a slice of Python's own standard library: prose and code) indexed
  through ``KnowledgeBase.index``: files/s, chunks/s, and the embedding
  rate inside the run against raw llama.cpp (``llama_cpp.Llama.embed``, in
  a subprocess) embedding the very same batches with the same threads,
  with flash attention off and on; the ratio is against the faster.
- Re-index: a second ``index`` of an unchanged folder of N small files
  (default 10,000): scan plus an empty queue.
- Retrieval at scale: ``bench_scale.bench_retrieval`` (synthetic vectors,
  synthetic text in a real database with the real FTS index).
"""
from __future__ import annotations

# llama.cpp is not loaded in this process (the worker and the raw side are separate processes).
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

from engine.bench.kb_embed import raw_rate_in_subprocess
from engine.home import open_home
from engine.knowledge.base import KnowledgeBase
from engine.runtime.client import default_threads

STDLIB_PACKAGES = ("json", "http", "logging", "email")
RAW_TOKENS = 60_000  # the raw comparison re-embeds the first batches, up to about this many tokens


def default_corpus(into: Path) -> Path:
    """Licence texts plus a few standard-library packages, copied so the run owns them."""
    corpus = into / "corpus"
    licences = Path("/usr/share/common-licenses")
    if licences.is_dir():
        shutil.copytree(licences, corpus / "licences", symlinks=True)
    stdlib = Path(json.__file__).resolve().parent.parent
    for name in STDLIB_PACKAGES:
        if (stdlib / name).is_dir():
            shutil.copytree(stdlib / name, corpus / "python" / name,
                            ignore=shutil.ignore_patterns("__pycache__", "test*"))
    return corpus


def bench_ingest(kb: KnowledgeBase, corpus: Path, workdir: Path, embedder: Path, threads: int) -> dict[str, Any]:
    batches: list[list[str]] = []
    seconds: list[float] = []
    tokens: list[int] = []
    plain_embed = kb.embed

    def recording_embed(texts: list[str]) -> Any:
        t0 = time.perf_counter()
        vectors = plain_embed(texts)
        seconds.append(time.perf_counter() - t0)
        tokens.append(int(kb.runtime.last_embed_stats.get("tokens", 0)))
        batches.append(list(texts))
        return vectors

    kb.embed = recording_embed  # type: ignore[method-assign]
    kb.embedder()  # load time is not ingest time
    kb.create("bench")
    kb.add("bench", [corpus])
    t0 = time.perf_counter()
    last = [p for p in kb.index("bench")][-1]
    wall = time.perf_counter() - t0
    kb.embed = plain_embed  # type: ignore[method-assign]
    st = kb.status("bench")
    ours = sum(tokens) / sum(seconds) if seconds else 0.0
    n = 1
    while n < len(batches) and sum(tokens[:n]) < RAW_TOKENS:
        n += 1
    ours_same = sum(tokens[:n]) / sum(seconds[:n]) if seconds else 0.0
    # Both of Llama's flash-attention settings; the ratio is taken against the faster one.
    raws = [raw_rate_in_subprocess(embedder, batches[:n], threads, workdir, flash_attn=flash)
            for flash in (False, True)]
    raw = max(raws, key=lambda r: r.get("tokens_per_s", 0.0))
    return {
        "files": st.files, "chunks": st.chunks, "bytes": st.bytes_indexed, "seconds": round(wall, 2),
        "files_per_s": round(last.done / wall, 1), "chunks_per_s": round(st.chunks / wall, 1),
        "embedding": {"batches": len(batches), "texts": sum(map(len, batches)), "tokens": sum(tokens),
                      "seconds": round(sum(seconds), 2), "tokens_per_s": round(ours, 1),
                      "share_of_ingest_time": round(sum(seconds) / wall, 3)},
        "raw_llama_cpp": [{k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()} for r in raws],
        "compared_batches": n, "compared_tokens": sum(tokens[:n]),
        "hearth_tokens_per_s_same_batches": round(ours_same, 1),
        "embedding_ratio_vs_raw": round(ours_same / raw["tokens_per_s"], 3) if raw.get("tokens_per_s") else None,
    }


def bench_reindex(kb: KnowledgeBase, workdir: Path, n_files: int) -> dict[str, Any]:
    folder = workdir / "many"
    folder.mkdir()
    for i in range(n_files):
        sub = folder / f"d{i // 500:03}"
        sub.mkdir(exist_ok=True)
        (sub / f"note{i:05}.txt").write_text(f"Note {i}: remember item {i * 7919 % 10007}.\n", encoding="utf-8")
    kb.create("many")
    kb.add("many", [folder])
    t0 = time.perf_counter()
    [p for p in kb.index("many")]
    first = time.perf_counter() - t0
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        last = [p for p in kb.index("many")][-1]
        runs.append(time.perf_counter() - t0)
        assert last.total == 0, "an unchanged file was queued again"
    return {"files": n_files, "first_index_s": round(first, 2), "unchanged_reindex_s": [round(r, 3) for r in runs],
            "unchanged_reindex_median_s": round(statistics.median(runs), 3)}


def bench_search(kb: KnowledgeBase, queries: Sequence[str]) -> dict[str, Any]:
    times = []
    for q in list(queries) * 3:
        t0 = time.perf_counter()
        kb.search(["bench"], q, k=6)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"queries": len(times), "p50_ms": round(times[len(times) // 2], 2),
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 2), "includes": "query embedding in the worker"}


def run_kb_bench(out: Path, *, embedder: Path | None = None, corpus: Path | None = None, reindex_files: int = 10_000,
                 scales: Sequence[int] = (10_000, 100_000, 1_000_000), keyword_max_size: int | None = None,
                 threads: int | None = None) -> dict[str, Any]:
    from engine.bench.kb_scale import bench_retrieval
    from engine.models.embedders import default_embedder

    embedder = Path(embedder) if embedder else default_embedder()
    threads = threads or default_threads()
    report: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "threads": threads, "python": platform.python_version(),
                                          "platform": platform.platform()},
                              "embedder": str(embedder)}
    with tempfile.TemporaryDirectory(prefix="hearth-bench-kb-") as tmp:
        work = Path(tmp)
        with open_home(work, embedder=embedder).engine() as eng:   # a fresh home in the work folder
            kb = eng.knowledge
            eng.runtime.load_embedder(embedder, n_threads=threads)
            report["ingest"] = bench_ingest(kb, corpus or default_corpus(work), work, embedder, threads)
            report["search_real_corpus"] = bench_search(kb, [
                "What happens to my patent license if I sue?", "how do I parse a JSON document",
                "asyncio event loop run until complete", "warranty disclaimer", "send an email with attachments"])
            if reindex_files:
                report["reindex"] = bench_reindex(kb, work, reindex_files)
        if scales:
            report["retrieval_scale"] = bench_retrieval(tuple(scales), workdir=work / "scale",
                                                        keyword_max_size=keyword_max_size)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return report
