"""How retrieval scales: synthetic collections of 10k, 100k and 1M chunks.

    python -m engine.bench.kb_scale --sizes 10000 100000 --out bench.json

Each size gets a real database made by ``engine.store.Store`` (so the real
schema, FTS5 tables and triggers), filled with synthetic chunks: random
unit vectors, and about 60 words of text drawn from a Zipf-distributed
vocabulary (English stopwords first, then English words and made-up
English-like words; one chunk in ten is Chinese). Then it measures the
three searches the app runs for a question: vector top-50 from the
in-memory index, keyword top-50 from FTS5, and the hybrid (both, fused by
RRF, and the top 10 chunks read back with their file and collection).
The terms index (``kb_terms_fts``) is filled as the migration that made
it fills an old database (``terms.backfill``), or with the chunks, as the
indexer does (``--fts-fill triggers``); ``keyword_exact`` measures
questions that also hold a code-like token (looked up in the trigram index).

The database is in the OS page cache while measuring (it was just
written); the first question after a cold start is slower.
"""
from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import shutil
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from engine.knowledge.fusion import rrf
from engine.knowledge import terms as terms_index
from engine.knowledge.keyword import TRIGRAM_TABLE, keyword_search
from engine.knowledge.vectors import VectorIndex

log = logging.getLogger(__name__)

CANDIDATES = 50               # from each search, for the hybrid
TOP = 10                      # chunks read back for the prompt
WORDS_PER_CHUNK = 60
CHINESE_SHARE = 0.1
BATCH = 20_000                # chunks per executemany / transaction
CHUNKS_PER_FILE = 40
COLLECTIONS = 4

_STOP = """the of and to a in is that for it as with was on be by this are or from at an
not which but have has had were can all their its more one will been also would other
there they if about into than these some may only when such what so who how any each
our out up no most then them we he she his her you your do does""".split()
_ENGLISH = """contract warranty license agreement party parties term termination notice payment
invoice service services software hardware system data privacy security access user users
account password network server client request response error message file files folder
document documents report section clause liability damages indemnity obligation rights
copyright patent trademark source code binary distribution modification version release
update install installation configuration setting settings option options default value
memory storage disk database table index query search result results model models training
inference token tokens context window prompt answer question chapter page line lines
paragraph heading title summary abstract introduction method methods experiment evaluation
benchmark performance latency throughput accuracy precision recall metric metrics budget
schedule project team manager employee customer supplier vendor price cost tax revenue
profit loss quarter annual monthly weekly daily meeting minutes decision policy procedure
process workflow pipeline stage step task job queue worker thread process kernel driver
device battery screen display keyboard mouse printer camera audio video image images photo
library package module function class object method variable constant parameter argument
return exception warning failure recovery backup restore archive export import format
encoding unicode language translation english chinese japanese german french spanish
history science physics chemistry biology medicine patient doctor hospital treatment
therapy drug dose symptom diagnosis insurance claim coverage premium deductible benefit
property building tenant landlord lease rent deposit repair maintenance inspection
safety hazard fire emergency exit evacuation training certificate audit compliance
regulation standard requirement specification design architecture interface protocol
""".split()
_HAN = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定"
    "行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些"
    "然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公"
    "无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将"
    "组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处府研质保证款务器配置要求合同期限"
)
_SYLLABLES = """ba be bi bo bu ca ce co cu da de di do du fa fe fi fo ga ge go la le li lo lu ma me mi mo
mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo
ar er ir or ur an en in on un al el il ol ul as es is os us at et it ot ut
ex pro con per tion ment ness able ing ent ant ist ive ous ize""".split()


def _vocabulary(rng: np.random.Generator, size: int = 20_000) -> list[str]:
    """Stopwords, then English words, then pronounceable made-up words: Zipf ranks in that order."""
    words = list(dict.fromkeys(_STOP + _ENGLISH))
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(_SYLLABLES, size=int(rng.integers(2, 5))))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def _chinese_words(rng: np.random.Generator, size: int = 3_000) -> list[str]:
    chars = list(dict.fromkeys(_HAN))
    words: list[str] = ["保证条款", "合同期限", "服务器配置", "数据保护"]
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(chars, size=int(rng.integers(2, 4))))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def _zipf(size: int, exponent: float = 1.07, shift: float = 2.7) -> np.ndarray:
    weights = 1.0 / (np.arange(size) + shift) ** exponent
    return weights / weights.sum()


class Corpus:
    """Synthetic chunk text and questions, reproducible from a seed."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.words = np.array(_vocabulary(self.rng), dtype=object)
        self.p_words = _zipf(len(self.words))
        self.han = np.array(_chinese_words(self.rng), dtype=object)
        self.p_han = _zipf(len(self.han))
        self.content_start = len(set(_STOP))

    def texts(self, count: int) -> list[str]:
        rng = self.rng
        chinese = np.nonzero(rng.random(count) < CHINESE_SHARE)[0]
        rows = self.words[rng.choice(len(self.words), size=(count, WORDS_PER_CHUNK), p=self.p_words)]
        out = [" ".join(row) for row in rows.tolist()]
        han_rows = self.han[rng.choice(len(self.han), size=(len(chinese), 40), p=self.p_han)]
        for i, han in zip(chinese.tolist(), han_rows.tolist()):
            out[i] = "，".join("".join(han[j:j + 5]) for j in range(0, 40, 5)) + "。"
        return out

    def exact_questions(self, questions: Sequence[str]) -> list[str]:
        """The questions with a code-like token added, half made of a common word (its trigrams are common)."""
        rng = self.rng
        content = self.words[self.content_start:self.content_start + 200]
        codes = ["Q4_K_M", "CVE-2024-3094", "sha256", "GPL-3.0", "v2.1.0"]
        return [f"{q} {rng.choice(content)}-{rng.integers(1, 10)}" if i % 2 else f"{q} {codes[i // 2 % len(codes)]}"
                for i, q in enumerate(questions)]

    def headings(self, count: int) -> list[str]:
        rows = self.words[self.rng.choice(np.arange(self.content_start, len(self.words)), size=(count, 2))]
        return [" ".join(row).title() for row in rows.tolist()]

    def questions(self, count: int) -> list[str]:
        """English questions with stopwords (3 content words, Zipf-drawn), and Chinese ones without spaces."""
        rng = self.rng
        content = np.arange(self.content_start, len(self.words))
        p = self.p_words[content] / self.p_words[content].sum()
        out = []
        for _ in range(count):
            if rng.random() < 0.2:
                a, b = self.han[rng.choice(len(self.han), size=2, p=self.p_han)]
                out.append(f"{a}的{b}是什么")
            else:
                a, b, c = self.words[rng.choice(content, size=3, p=p)]
                out.append(f"What does the {a} say about {b} and the {c}?")
        return out


_titles: dict[int, str] = {}


def _title(file_id: int, first_heading: str) -> str:
    """A bench file's title terms (its name and its first chunk's heading), as the indexer stores them."""
    if file_id not in _titles:
        _titles.clear()
        _titles[file_id] = terms_index.title_terms(f"/bench/docs/file{file_id}.md", [first_heading])
    return _titles[file_id]


def _build_db(
    path: Path, corpus: Corpus, vectors: Callable[[int, int], np.ndarray], n: int, fts_fill: str,
    fts_budget_s: float, optimize: bool,
) -> tuple[Any, dict[str, Any]]:
    from engine.store import Store

    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    store = Store(path)
    conn = store.conn
    conn.execute("PRAGMA cache_size = -262144")          # 256 MB while building
    now = time.time()
    with conn:
        conn.executemany(
            "INSERT INTO kb_collections (id, name, created_at, embed_model, embed_dim) VALUES (?, ?, ?, 'bench', ?)",
            [(c + 1, f"bench-{c + 1}", now, 0) for c in range(COLLECTIONS)],
        )
        files = (n + CHUNKS_PER_FILE - 1) // CHUNKS_PER_FILE
        conn.executemany(
            "INSERT INTO kb_files (id, collection_id, path, status, chunks) VALUES (?, ?, ?, 'indexed', ?)",
            [(f + 1, f % COLLECTIONS + 1, f"/bench/docs/file{f + 1}.md", CHUNKS_PER_FILE) for f in range(files)],
        )
    triggers: list[str] = []
    trigram = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (TRIGRAM_TABLE,)).fetchone() is not None
    if trigram and terms_index.has_terms(conn) and fts_fill == "rebuild":
        found = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'kb_chunks'").fetchall()
        triggers = [sql for _, sql in found]
        with conn:
            for name, _ in found:
                conn.execute(f"DROP TRIGGER {name}")
    times: dict[str, Any] = {}
    started = time.perf_counter()
    generate = 0.0
    for start in range(0, n, BATCH):
        count = min(BATCH, n - start)
        t0 = time.perf_counter()
        texts = corpus.texts(count)
        headings = corpus.headings(count)
        vecs = vectors(start, count)
        rows = []
        for i in range(count):
            chunk_id = start + i + 1
            file_id = (chunk_id - 1) // CHUNKS_PER_FILE + 1
            rows.append((chunk_id, file_id, (file_id - 1) % COLLECTIONS + 1, (chunk_id - 1) % CHUNKS_PER_FILE,
                         texts[i], headings[i], None, 1, 12, 90, vecs[i].tobytes()))
        generate += time.perf_counter() - t0
        with conn:
            conn.executemany(
                "INSERT INTO kb_chunks (id, file_id, collection_id, ord, text, heading, page,"
                " line_start, line_end, tokens, embedding) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            if fts_fill == "triggers" and terms_index.has_terms(conn):   # as the indexer stores a file's terms
                conn.executemany(
                    f"INSERT INTO {terms_index.TERMS_TABLE} (rowid, terms, title) VALUES (?, ?, ?)",
                    [(row[0], terms_index.chunk_terms(row[5], row[4]), _title(row[1], row[5] if row[3] == 0 else ""))
                     for row in rows])
    times["generate_s"] = generate
    times["insert_s"] = time.perf_counter() - started - generate
    if triggers:
        t0 = time.perf_counter()
        deadline = time.monotonic() + fts_budget_s
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 100_000)
        try:
            with conn:
                conn.execute(f"INSERT INTO {TRIGRAM_TABLE}({TRIGRAM_TABLE}) VALUES ('rebuild')")
                for sql in triggers:
                    conn.execute(sql)
            times["fts_rebuild_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            with conn:   # as migration m005 fills the terms of a database indexed before it
                times["terms_backfilled"] = terms_index.backfill(conn)
            times["terms_backfill_s"] = time.perf_counter() - t0
            if optimize:
                t0 = time.perf_counter()
                with conn:
                    conn.execute(f"INSERT INTO {TRIGRAM_TABLE}({TRIGRAM_TABLE}) VALUES ('optimize')")
                times["fts_optimize_s"] = time.perf_counter() - t0
                t0 = time.perf_counter()
                with conn:
                    conn.execute(f"INSERT INTO {terms_index.TERMS_TABLE}({terms_index.TERMS_TABLE}) "
                                 "VALUES ('optimize')")
                times["terms_optimize_s"] = time.perf_counter() - t0
        except sqlite3.OperationalError:
            times["fts_rebuild_s"] = None
            times["fts_timed_out_after_s"] = fts_budget_s
        finally:
            conn.set_progress_handler(None, 0)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA cache_size = -65536")
    return store, times


def _percentiles(samples: tuple[list[float], list[float]]) -> dict[str, float]:
    """Wall-clock p50/p95/max, and the median CPU time of this process (all its threads)."""
    wall, cpu = (np.asarray(part) * 1000.0 for part in samples)
    return {"p50_ms": round(float(np.percentile(wall, 50)), 2), "p95_ms": round(float(np.percentile(wall, 95)), 2),
            "max_ms": round(float(wall.max()), 2), "cpu_p50_ms": round(float(np.percentile(cpu, 50)), 2)}


def _timed(fn: Callable[[Any], Any], inputs: Sequence[Any], warmup: int = 5) -> tuple[list[float], list[float]]:
    for item in inputs[:warmup]:
        fn(item)
    wall, cpu = [], []
    for item in inputs:
        c0, t0 = time.process_time(), time.perf_counter()
        fn(item)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def _fetch(conn: sqlite3.Connection, ids: list[int]) -> list[Any]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    return conn.execute(
        f"""SELECT c.id, c.text, c.heading, c.page, c.line_start, c.line_end, f.path, k.name
            FROM kb_chunks c JOIN kb_files f ON f.id = c.file_id JOIN kb_collections k ON k.id = c.collection_id
            WHERE c.id IN ({marks})""",
        ids,
    ).fetchall()


def bench_size(
    n: int, dim: int, queries: int, with_keyword: bool, workdir: Path, seed: int, fts_fill: str,
    fts_budget_s: float = 300.0, optimize: bool = True,
) -> dict[str, Any]:
    rng = np.random.default_rng(seed + n)
    corpus = Corpus(seed)
    result: dict[str, Any] = {"chunks": n, "dim": dim, "load_average_before": os.getloadavg()[0]}
    collections = list(range(1, COLLECTIONS + 1))

    def vectors(start: int, count: int) -> np.ndarray:
        block = np.random.default_rng([seed, n, start]).standard_normal((count, dim), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        return block

    store = None
    if with_keyword:
        path = workdir / f"bench-{n}.db"
        store, times = _build_db(path, corpus, vectors, n, fts_fill, fts_budget_s, optimize)
        result["build"] = {k: round(v, 2) if isinstance(v, float) else v for k, v in times.items()}
        result["build"]["fts_fill"] = fts_fill
        conn = store.conn
        t0 = time.perf_counter()
        index = VectorIndex.from_rows(
            conn.execute("SELECT id, embedding FROM kb_chunks WHERE embedding IS NOT NULL"), dim, expected=n)
        result["build"]["index_load_s"] = round(time.perf_counter() - t0, 2)
        result["db_bytes"] = path.stat().st_size
    else:
        t0 = time.perf_counter()
        index = VectorIndex(dim, capacity=n)
        for start in range(0, n, BATCH * 5):
            count = min(BATCH * 5, n - start)
            index.add(np.arange(start + 1, start + count + 1), vectors(start, count))
        result["build"] = {"index_build_s": round(time.perf_counter() - t0, 2)}
    cache = workdir / f"index-{n}"
    index.save(cache)
    t0 = time.perf_counter()
    index = VectorIndex.load(cache)
    result["build"]["index_load_from_npy_s"] = round(time.perf_counter() - t0, 2)
    shutil.rmtree(cache, ignore_errors=True)
    result["index_bytes"] = index.nbytes
    result["index_bytes_per_100k"] = int(index.nbytes * 100_000 / n)

    # Questions near stored chunks: a stored vector plus noise.
    picks = rng.integers(0, len(index), size=queries)
    base = index.vectors()[picks]
    qvecs = base + rng.standard_normal(base.shape, dtype=np.float32) * 0.05
    qvecs /= np.linalg.norm(qvecs, axis=1, keepdims=True)
    result["vector"] = _percentiles(_timed(lambda q: index.search(q, CANDIDATES), list(qvecs)))
    gc.collect()
    if store is not None and result["build"].get("fts_rebuild_s", 0) is None:
        store.close()
        store = None
        result["note"] = f"the FTS index took more than {fts_budget_s:.0f} s to build: vector only"
    if store is None:
        result["keyword"] = result["hybrid"] = "skipped (vector only)"
        result["load_average_after"] = os.getloadavg()[0]
        return result

    conn = store.conn
    questions = corpus.questions(queries)
    counts = [len(keyword_search(conn, collections, q, CANDIDATES)) for q in questions[:20]]
    result["keyword_mean_hits_first20"] = float(np.mean(counts))
    result["keyword"] = _percentiles(_timed(lambda q: keyword_search(conn, collections, q, CANDIDATES), questions))
    result["keyword_one_collection"] = _percentiles(_timed(lambda q: keyword_search(conn, [1], q, CANDIDATES), questions))
    exact = corpus.exact_questions(questions)
    result["keyword_exact"] = _percentiles(_timed(lambda q: keyword_search(conn, collections, q, CANDIDATES), exact))

    def hybrid(i: int) -> list[Any]:
        ids, _ = index.search(qvecs[i], CANDIDATES)
        words = keyword_search(conn, collections, questions[i], CANDIDATES)
        fused = rrf([ids.tolist(), [chunk_id for chunk_id, _ in words]])
        return _fetch(conn, [chunk_id for chunk_id, _ in fused[:TOP]])

    result["hybrid"] = _percentiles(_timed(hybrid, list(range(queries))))

    # The same, with the vector scan in a worker thread while this thread (the
    # connection's owner) runs the keyword search: numpy and SQLite both release the GIL.
    with ThreadPoolExecutor(max_workers=1) as pool:
        def overlapped(i: int) -> list[Any]:
            future = pool.submit(index.search, qvecs[i], CANDIDATES)
            words = keyword_search(conn, collections, questions[i], CANDIDATES)
            ids, _ = future.result()
            fused = rrf([ids.tolist(), [chunk_id for chunk_id, _ in words]])
            return _fetch(conn, [chunk_id for chunk_id, _ in fused[:TOP]])

        result["hybrid_overlapped"] = _percentiles(_timed(overlapped, list(range(queries))))
    slow = sorted(zip(_timed(lambda q: keyword_search(conn, collections, q, CANDIDATES), questions[:40], 0)[0],
                      questions[:40]), reverse=True)[:3]
    result["keyword_slowest"] = [{"ms": round(s * 1000, 1), "question": q} for s, q in slow]
    result["load_average_after"] = os.getloadavg()[0]
    store.close()
    return result


def bench_retrieval(
    sizes: Sequence[int] = (10_000, 100_000, 1_000_000),
    dim: int = 384,
    queries: int = 200,
    with_keyword: bool = True,
    workdir: Path | None = None,
    *,
    seed: int = 0,
    fts_fill: str = "rebuild",
    keyword_max_size: int | None = None,
    fts_budget_s: float = 300.0,
    optimize: bool = True,
    keep_files: bool = False,
) -> dict[str, Any]:
    """Build and measure each size; returns a JSON-ready dict.

    ``fts_fill``: "rebuild" inserts the chunks with the FTS triggers
    dropped, then rebuilds the index in one step and restores the triggers
    (much faster for a bulk load); "triggers" inserts through the triggers,
    as the indexer does. Sizes above ``keyword_max_size``, and those whose
    FTS rebuild (and ``optimize``, merging the index into one segment as
    the indexer should after a bulk load) takes longer than ``fts_budget_s``,
    are measured vector-only.
    """
    import platform
    import tempfile

    if workdir is None:
        workdir = Path(tempfile.mkdtemp(prefix="hearth-bench-"))
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "numpy": np.__version__, "sqlite": sqlite3.sqlite_version},
        "settings": {"dim": dim, "queries": queries, "candidates": CANDIDATES, "top": TOP,
                     "words_per_chunk": WORDS_PER_CHUNK, "chinese_share": CHINESE_SHARE,
                     "fts_fill": fts_fill, "fts_optimize": optimize, "seed": seed},
        "sizes": [],
    }
    for n in sizes:
        keyword = with_keyword and (keyword_max_size is None or n <= keyword_max_size)
        log.info("Measuring %d chunks (keyword: %s)", n, keyword)
        entry = bench_size(n, dim, queries, keyword, workdir, seed, fts_fill, fts_budget_s, optimize)
        if with_keyword and not keyword:
            entry["note"] = f"keyword side skipped above {keyword_max_size} chunks"
        report["sizes"].append(entry)
        if not keep_files:
            for suffix in ("", "-wal", "-shm"):
                Path(str(workdir / f"bench-{n}.db") + suffix).unlink(missing_ok=True)
        gc.collect()
    return report


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--no-keyword", action="store_true")
    parser.add_argument("--keyword-max-size", type=int)
    parser.add_argument("--fts-fill", choices=("rebuild", "triggers"), default="rebuild")
    parser.add_argument("--fts-budget", type=float, default=300.0, help="seconds allowed for the FTS rebuild")
    parser.add_argument("--no-optimize", action="store_true", help="leave the FTS index unmerged")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    report = bench_retrieval(args.sizes, args.dim, args.queries, not args.no_keyword, args.workdir,
                             fts_fill=args.fts_fill, keyword_max_size=args.keyword_max_size,
                             fts_budget_s=args.fts_budget, optimize=not args.no_optimize, keep_files=args.keep)
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)  # noqa: T201 (a command-line tool)


if __name__ == "__main__":
    main()
