"""``hearth bench kb-quality``: does retrieval find the passage that answers the question?

The questions are ``questions.json`` in the data folder (``tests/data/kb_quality``):
``{"id", "lang": "en" | "zh", "split": "tune" | "heldout", "question", "file", "answer"}``,
``file`` relative to the folder (``en/GPL-3``, ``zh/量化.md``) and ``answer`` a passage of
it, verbatim but for whitespace. Each language's folder (``en/``, ``zh/``) becomes a
collection of a fresh Hearth home in a temporary folder, indexed by the real
``KnowledgeBase`` with the real embedding model (the default one unless
``embedder`` is given). For every question and every retrieval mode
(``retrieval.MODES``) the top ``K`` are retrieved from its language's collection;
a hit is right when it is a chunk of the question's file whose lines overlap the
answer's (found by matching with runs of whitespace collapsed to one space, then
mapped back to line numbers).

Reported per language × split × mode: recall@1, recall@5, MRR (over the top ``K``);
per mode the search latency (p50/p95, the query's embedding included) and the ids
of the questions missed at ``K``; what the rerank stage alone costs on this corpus and
at ``RERANK_SCALE`` synthetic chunks (``kb_scale``'s corpus). Weights are tuned on the
``tune`` split only; the ``heldout`` third says whether the tuning generalises.
"""
from __future__ import annotations

import json
import os
import platform
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from engine.errors import HearthError
from engine.home import open_home
from engine.knowledge import normalize, rerank
from engine.knowledge.extract.text import decode_text
from engine.knowledge.records import Hit
from engine.knowledge.retrieval import DEFAULT_MODE, MODES, Retriever

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "kb_quality"
K = 5
SPLITS = ("tune", "heldout")
LANGS = ("en", "zh")
RERANK_SCALE = 10_000      # synthetic chunks for the rerank latency
RERANK_QUERIES = 200

_SPACE = re.compile(r"\s+")


class BenchDataMissing(HearthError):
    """The benchmark's questions or files are missing or do not match."""


@dataclass(frozen=True)
class Question:
    id: str
    lang: str
    split: str
    question: str
    file: str
    answer: str


def load_questions(data: Path) -> list[Question]:
    """The questions of ``data/questions.json``, checked."""
    source = data / "questions.json"
    if not source.is_file():
        raise BenchDataMissing(f"No questions at {source}. Give the folder that holds questions.json with --data.")
    out = []
    for item in json.loads(source.read_text(encoding="utf-8")):
        q = Question(**{f: str(item[f]) for f in Question.__dataclass_fields__})
        if q.lang not in LANGS or q.split not in SPLITS:
            raise BenchDataMissing(f"Question {q.id}: lang must be one of {LANGS}, split one of {SPLITS}.")
        out.append(q)
    if len({q.id for q in out}) != len(out):
        raise BenchDataMissing(f"{source} has questions with the same id.")
    return out


def read_lines_text(path: Path) -> str:
    """The file's text as the indexer reads it, every line ending as ``\\n``."""
    text = decode_text(path.read_bytes(), path)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def answer_lines(text: str, answer: str) -> tuple[int, int]:
    """The 1-based (first, last) lines of ``text`` holding ``answer``, both with whitespace runs collapsed.

    Raises ValueError when the answer is not there."""
    wanted = _SPACE.sub(" ", answer).strip()
    if not wanted:
        raise ValueError("empty answer")
    pieces, where = [], []   # the collapsed text, and for each of its characters the original index
    for match in re.finditer(r"\s+|\S+", text):
        if match.group()[0].isspace():
            pieces.append(" ")
            where.append(match.start())
        else:
            pieces.append(match.group())
            where.extend(range(match.start(), match.end()))
    collapsed = "".join(pieces)
    found = collapsed.find(wanted)
    if found < 0:
        raise ValueError(f"answer not found: {wanted[:60]!r}")
    first, last = where[found], where[found + len(wanted) - 1]
    return text.count("\n", 0, first) + 1, text.count("\n", 0, last) + 1


def rank_of_answer(hits: Sequence[Hit], path: Path, lines: tuple[int, int]) -> int | None:
    """The 1-based rank of the first hit in ``path`` overlapping ``lines``; None when none does."""
    target = path.resolve()
    for rank, hit in enumerate(hits, 1):
        if Path(hit.path).resolve() == target and hit.line_start <= lines[1] and hit.line_end >= lines[0]:
            return rank
    return None


def summarize(ranks: Sequence[int | None], k: int = K) -> dict[str, Any]:
    """recall@1, recall@k and MRR (a rank past ``k`` counts as missed)."""
    n = len(ranks)
    if not n:
        return {"questions": 0, "recall_at_1": None, f"recall_at_{k}": None, "mrr": None}
    kept = [r for r in ranks if r is not None and r <= k]
    return {"questions": n, "recall_at_1": round(sum(r == 1 for r in kept) / n, 4),
            f"recall_at_{k}": round(len(kept) / n, 4), "mrr": round(sum(1 / r for r in kept) / n, 4)}


def _percentiles(ms: Sequence[float]) -> dict[str, float]:
    if not ms:
        return {"p50_ms": 0.0, "p95_ms": 0.0}
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2)}


def _rerank_stage(conn: Any, top: Sequence[Hit], query: str) -> float:
    """Seconds the rerank stage alone takes for ``query`` over ``top`` (the hybrid's best, in order)."""
    t0 = time.perf_counter()
    cands = rerank.load_candidates(conn, [(h.chunk_id, h.text, h.heading, h.path) for h in top])
    terms = normalize.query_terms(query)
    df, n_docs = rerank.doc_frequencies(conn, terms, cands)
    rerank.rerank(terms, cands, df, n_docs)
    return time.perf_counter() - t0


def bench_rerank_scale(workdir: Path, n: int = RERANK_SCALE, queries: int = RERANK_QUERIES) -> dict[str, Any]:
    """The rerank stage and whole searches per mode at ``n`` synthetic chunks (``kb_scale``'s corpus)."""
    from engine.bench import kb_scale
    from engine.knowledge import collections as library

    corpus = kb_scale.Corpus(0)
    dim = 384

    def vectors(start: int, count: int) -> np.ndarray:
        block = np.random.default_rng([0, n, start]).standard_normal((count, dim), dtype=np.float32)
        return block / np.linalg.norm(block, axis=1, keepdims=True)

    store, _ = kb_scale._build_db(workdir / "rerank.db", corpus, vectors, n, "triggers", 300.0, True)
    try:
        conn = store.conn
        with conn:
            conn.execute("UPDATE kb_collections SET embed_dim = ?", (dim,))
        colls = library.all_collections(conn)
        rng = np.random.default_rng(1)
        questions = corpus.questions(queries)
        qvecs = vectors(n, queries)
        asked = {q: qvecs[i] for i, q in enumerate(questions)}
        retriever = Retriever(conn, lambda _model, text: asked.get(text, qvecs[0]))
        order = rng.permutation(queries).tolist()
        for q in questions[:5]:   # warm: vectors loaded, SQLite's cache filled
            retriever.search(colls, q, k=K)
        out: dict[str, Any] = {"chunks": n, "questions": queries,
                               "rerank_stage": _percentiles([1000 * _rerank_stage(
                                   conn, retriever.search(colls, questions[i], k=rerank.RERANK_DEPTH, mode="hybrid"),
                                   questions[i]) for i in order])}
        for mode in MODES:
            times = []
            for i in order:
                t0 = time.perf_counter()
                retriever.search(colls, questions[i], k=K, mode=mode)
                times.append((time.perf_counter() - t0) * 1000)
            out[mode] = _percentiles(times)
        retriever.close()
        return out
    finally:
        store.close()


def run_kb_quality_bench(out: Path, *, embedder: Path | None = None, split: str = "all", data: Path | None = None,
                         modes: Sequence[str] = MODES, rerank_scale: int = RERANK_SCALE,
                         progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Index, ask every question of ``split`` ("tune", "heldout" or "all") in every mode; write ``out``."""
    from engine.models.embedders import default_embedder

    data = Path(data) if data else DATA
    questions = [q for q in load_questions(data) if split == "all" or q.split == split]
    targets: dict[str, tuple[Path, tuple[int, int]]] = {}
    for q in questions:
        path = data / q.file
        if not path.is_file():
            raise BenchDataMissing(f"Question {q.id}: no file {path}.")
        try:
            targets[q.id] = (path, answer_lines(read_lines_text(path), q.answer))
        except ValueError as exc:
            raise BenchDataMissing(f"Question {q.id}: {exc} in {path}.") from None
    embedder = Path(embedder) if embedder else default_embedder()
    say = progress or (lambda _line: None)
    report: dict[str, Any] = {
        "benchmark": "kb-quality", "k": K, "split": split, "default_mode": DEFAULT_MODE, "modes": list(modes),
        "data": str(data), "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                       "platform": platform.platform()}}
    ranks: dict[str, dict[str, int | None]] = {q.id: {} for q in questions}
    latency: dict[str, list[float]] = {mode: [] for mode in modes}
    took: dict[str, dict[str, float]] = {q.id: {} for q in questions}
    stage: list[float] = []
    langs = sorted({q.lang for q in questions})
    with tempfile.TemporaryDirectory(prefix="hearth-bench-kbq-") as tmp:
        with open_home(Path(tmp) / "home", embedder=embedder).engine() as eng:
            kb = eng.knowledge
            ident = kb.embedder()
            report["embedder"] = {"name": ident.name, "key": ident.key, "dim": ident.dim, "path": str(embedder)}
            report["collections"] = {}
            for lang in langs:
                say(f"indexing {data / lang}")
                kb.create(lang)
                kb.add(lang, [data / lang])
                t0 = time.perf_counter()
                last = [p for p in kb.index(lang)][-1]
                st = kb.status(lang)
                report["collections"][lang] = {"files": st.files.get("indexed", 0), "failed": st.files.get("failed", 0),
                                               "chunks": st.chunks, "index_s": round(time.perf_counter() - t0, 2),
                                               "state": last.state}
                kb.search([lang], "warm up", k=K)   # vectors loaded before anything is timed
            for i, q in enumerate(questions):
                if i % 10 == 0:
                    say(f"question {i + 1} of {len(questions)}")
                for mode in modes:
                    t0 = time.perf_counter()
                    hits = kb.search([q.lang], q.question, k=K, mode=mode)
                    latency[mode].append((time.perf_counter() - t0) * 1000)
                    ranks[q.id][mode] = rank_of_answer(hits, *targets[q.id])
                    took[q.id][mode] = round(latency[mode][-1], 1)
                top = kb.search([q.lang], q.question, k=rerank.RERANK_DEPTH, mode="hybrid")
                stage.append(1000 * _rerank_stage(kb.conn, top, q.question))
        if rerank_scale:
            say(f"rerank latency at {rerank_scale:,} synthetic chunks")
            report["rerank_latency_synthetic"] = bench_rerank_scale(Path(tmp), rerank_scale)
    report["results"] = _results(questions, ranks, modes, with_all=split == "all")
    report["latency"] = {mode: _percentiles(latency[mode]) for mode in modes}
    report["rerank_stage_real_corpus"] = _percentiles(stage)
    report["missed_at_5"] = {s: {mode: [q.id for q in questions if q.split == s and (ranks[q.id][mode] or K + 1) > K]
                                 for mode in modes} for s in SPLITS if any(q.split == s for q in questions)}
    report["questions"] = [{"id": q.id, "lang": q.lang, "split": q.split, "ranks": ranks[q.id], "ms": took[q.id]}
                           for q in questions]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return report


def _results(questions: Sequence[Question], ranks: dict[str, dict[str, int | None]],
             modes: Sequence[str], with_all: bool) -> dict[str, Any]:
    """lang → split ("tune", "heldout", and "all" when ``with_all``) → mode → summary."""
    out: dict[str, Any] = {}
    for lang in sorted({q.lang for q in questions}):
        mine = [q for q in questions if q.lang == lang]
        out[lang] = {}
        for s in (*SPLITS, "all") if with_all else SPLITS:
            chosen = [q for q in mine if s == "all" or q.split == s]
            if chosen:
                out[lang][s] = {mode: summarize([ranks[q.id][mode] for q in chosen]) for mode in modes}
    return out


def table(report: dict[str, Any]) -> str:
    """The report as a few aligned lines for a terminal."""
    lines = [f"kb-quality · {report['embedder']['name']} · top {report['k']} · split {report['split']}",
             f"{'lang':<5}{'split':<9}{'mode':<15}{'n':>4}{'R@1':>7}{'R@5':>7}{'MRR':>7}"]
    for lang, splits in report["results"].items():
        for s, modes in splits.items():
            for mode, r in modes.items():
                lines.append(f"{lang:<5}{s:<9}{mode:<15}{r['questions']:>4}{r['recall_at_1']:>7.2f}"
                             f"{r['recall_at_5']:>7.2f}{r['mrr']:>7.2f}")
    lines.append(f"{'latency':<29}{'p50 ms':>9}{'p95 ms':>9}")
    for mode, t in report["latency"].items():
        lines.append(f"{mode:<29}{t['p50_ms']:>9.1f}{t['p95_ms']:>9.1f}")
    t = report["rerank_stage_real_corpus"]
    lines.append(f"{'rerank stage (this corpus)':<29}{t['p50_ms']:>9.1f}{t['p95_ms']:>9.1f}")
    scale = report.get("rerank_latency_synthetic")
    if scale:
        t = scale["rerank_stage"]
        lines.append(f"{'rerank stage (' + format(scale['chunks'], ',') + ' chunks)':<29}"
                     f"{t['p50_ms']:>9.1f}{t['p95_ms']:>9.1f}")
    for s, modes in report["missed_at_5"].items():
        for mode, ids in modes.items():
            lines.append(f"missed@{report['k']} {s} {mode}: {' '.join(ids) if ids else '-'}")
    return "\n".join(lines)
