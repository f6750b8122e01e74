"""``hearth bench kb-quality`` on a corpus small enough to work out the answer by hand.

Two files, one per language, each short enough to be a single chunk: its language's collection
holds that chunk alone, so every vector search ranks it first, while keyword search finds it
only when the question shares a word with it. Two of the four questions share none, so keyword
search misses them and every other mode finds all four at rank 1. The scoring helpers are
checked on hand-made ranks and texts too.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.bench.kb_quality import answer_lines, rank_of_answer, summarize
from engine.knowledge.records import Hit
from engine.knowledge.retrieval import MODES

ROOT = Path(__file__).resolve().parents[2]
TEA = "# Green tea\n\nGreen tea is brewed   at 80 degrees\nfor two minutes.\n"
CHA = "# 泡茶\n\n绿茶适合用八十度的水冲泡两分钟。\n"
QUESTIONS = [
    {"id": "en-1", "lang": "en", "split": "tune", "question": "How hot should the water for green tea be?",
     "file": "en/tea.md", "answer": "Green tea is brewed at 80 degrees for two minutes."},
    {"id": "en-2", "lang": "en", "split": "heldout", "question": "zebras giraffes elephants?",
     "file": "en/tea.md", "answer": "for two minutes."},
    {"id": "zh-1", "lang": "zh", "split": "tune", "question": "綠茶用幾度的水沖泡",
     "file": "zh/茶.md", "answer": "绿茶适合用八十度的水冲泡两分钟。"},
    {"id": "zh-2", "lang": "zh", "split": "heldout", "question": "斑马长颈鹿",
     "file": "zh/茶.md", "answer": "绿茶适合用八十度的水冲泡两分钟。"},
]


def write_corpus(folder: Path, questions: list[dict[str, str]]) -> Path:
    (folder / "en").mkdir(parents=True)
    (folder / "zh").mkdir()
    (folder / "en" / "tea.md").write_text(TEA, encoding="utf-8")
    (folder / "zh" / "茶.md").write_text(CHA, encoding="utf-8")
    (folder / "questions.json").write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    return folder


def hearth(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop.cli.main", *args], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=600)


def test_recall_on_a_corpus_worked_out_by_hand(tmp_path: Path, minilm_path: Path) -> None:
    data = write_corpus(tmp_path / "data", QUESTIONS)
    out = tmp_path / "kbq.json"
    done = hearth("bench", "kb-quality", "--json", str(out), "--data", str(data), "--embedder", str(minilm_path),
                  "--rerank-scale", "0")
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["benchmark"] == "kb-quality" and report["k"] == 5 and report["split"] == "all"
    assert report["embedder"]["name"].startswith("all-MiniLM-L6-v2") and report["embedder"]["dim"] == 384
    assert report["embedder"]["path"] == str(minilm_path)
    assert report["modes"] == list(MODES) and report["default_mode"] in MODES
    assert {lang: (c["files"], c["chunks"]) for lang, c in report["collections"].items()} == {"en": (1, 1),
                                                                                               "zh": (1, 1)}
    results = report["results"]
    assert set(results) == {"en", "zh"} and all(set(results[lang]) == {"tune", "heldout", "all"} for lang in results)
    for lang in ("en", "zh"):
        for split in ("tune", "heldout", "all"):
            for mode in MODES:
                want = {"questions": 2 if split == "all" else 1}
                if mode == "keyword":   # finds the tune question (shared words), misses the held-out one
                    found = {"tune": 1.0, "heldout": 0.0, "all": 0.5}[split]
                    want.update(recall_at_1=found, recall_at_5=found, mrr=found)
                else:
                    want.update(recall_at_1=1.0, recall_at_5=1.0, mrr=1.0)
                assert results[lang][split][mode] == want, (lang, split, mode)
    assert report["missed_at_5"] == {"tune": {mode: [] for mode in MODES},
                                     "heldout": {mode: ["en-2", "zh-2"] if mode == "keyword" else []
                                                 for mode in MODES}}
    ranks = {q["id"]: q["ranks"] for q in report["questions"]}
    assert ranks["en-2"] == {mode: None if mode == "keyword" else 1 for mode in MODES}
    assert set(report["latency"]) == set(MODES)
    assert all(t["p95_ms"] >= t["p50_ms"] > 0 for t in report["latency"].values())
    assert "rerank_latency_synthetic" not in report
    # the table on stdout
    assert "en   heldout  keyword           1   0.00   0.00   0.00" in done.stdout
    assert "missed@5 heldout keyword: en-2 zh-2" in done.stdout

    tuned = tmp_path / "tune.json"
    done = hearth("bench", "kb-quality", "--json", str(tuned), "--data", str(data), "--embedder", str(minilm_path),
                  "--rerank-scale", "0", "--split", "tune")
    assert done.returncode == 0, done.stderr
    report = json.loads(tuned.read_text(encoding="utf-8"))
    assert [q["id"] for q in report["questions"]] == ["en-1", "zh-1"]
    assert set(report["results"]["en"]) == {"tune"} and set(report["missed_at_5"]) == {"tune"}


def test_an_answer_not_in_its_file_is_refused(tmp_path: Path) -> None:
    wrong = [{**QUESTIONS[0], "answer": "Black tea takes boiling water."}]
    data = write_corpus(tmp_path / "data", wrong)
    done = hearth("bench", "kb-quality", "--json", str(tmp_path / "x.json"), "--data", str(data))
    assert done.returncode == 1 and "Question en-1: answer not found" in done.stderr
    assert not (tmp_path / "x.json").exists()


def test_answer_lines_collapse_whitespace_and_count_lines() -> None:
    assert answer_lines(TEA, "Green tea is brewed at 80 degrees for two minutes.") == (3, 4)
    assert answer_lines(TEA, "  Green\ntea ") == (1, 1)   # the first place it occurs
    assert answer_lines("a\n\nb  c\n d\n", "c d") == (3, 4)
    with pytest.raises(ValueError):
        answer_lines(TEA, "black tea")


def hit(path: str, start: int, end: int) -> Hit:
    return Hit(chunk_id=1, collection="c", path=path, text="", line_start=start, line_end=end, page=None,
               heading="", score=0.0)


def test_ranks_and_summary_by_hand(tmp_path: Path) -> None:
    target = tmp_path / "a.md"
    hits = [hit(str(tmp_path / "b.md"), 1, 50), hit(str(target), 1, 9), hit(str(target), 10, 20)]
    assert rank_of_answer(hits, target, (12, 30)) == 3     # the same file, lines overlapping
    assert rank_of_answer(hits, target, (9, 10)) == 2
    assert rank_of_answer(hits, target, (21, 22)) is None
    assert summarize([1, 3, None, 2, 7]) == {"questions": 5, "recall_at_1": 0.2, "recall_at_5": 0.6,
                                             "mrr": round((1 + 1 / 3 + 1 / 2) / 5, 4)}
    assert summarize([]) == {"questions": 0, "recall_at_1": None, "recall_at_5": None, "mrr": None}
