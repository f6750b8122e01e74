"""Checks the recall benchmark's question set against its corpus (stdlib only).

Run ``python tests/data/kb_quality/check.py``: it exits non-zero and says what
is wrong if questions.json does not load, names a missing file, has an answer
that does not occur exactly once in its file (after collapsing every run of
whitespace to one space on both sides), repeats an id, has fewer than 48
questions in a language, or breaks the held-out rule (every third question of
a language, in file order, is "heldout"; the rest "tune"). On success it prints
the counts per language and split.
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
MIN_PER_LANG = 48
ANSWER_CHARS = (30, 250)
KEYS = {"id", "lang", "split", "question", "file", "answer"}


def collapse(text: str) -> str:
    """The matcher's form: every run of whitespace is one space."""
    return re.sub(r"\s+", " ", text).strip()


def problems(questions: list[dict]) -> list[str]:
    found: list[str] = []
    seen: set[str] = set()
    position: Counter[str] = Counter()
    texts: dict[str, str] = {}
    for q in questions:
        qid = q.get("id", "?")
        if set(q) != KEYS:
            found.append(f"{qid}: keys are {sorted(q)}, expected {sorted(KEYS)}")
            continue
        if qid in seen:
            found.append(f"{qid}: id used twice")
        seen.add(qid)
        lang = q["lang"]
        if lang not in ("en", "zh"):
            found.append(f"{qid}: lang {lang!r} is not en or zh")
        position[lang] += 1
        want = "heldout" if position[lang] % 3 == 0 else "tune"
        if q["split"] != want:
            found.append(f"{qid}: split is {q['split']!r}, the held-out rule gives {want!r}")
        if not q["file"].startswith(f"{lang}/"):
            found.append(f"{qid}: file {q['file']} is not under {lang}/")
        path = HERE / q["file"]
        if not path.is_file():
            found.append(f"{qid}: file {q['file']} does not exist")
            continue
        if q["file"] not in texts:
            texts[q["file"]] = collapse(path.read_text(encoding="utf-8"))
        answer = collapse(q["answer"])
        if not ANSWER_CHARS[0] <= len(answer) <= ANSWER_CHARS[1]:
            found.append(f"{qid}: answer is {len(answer)} characters, outside {ANSWER_CHARS}")
        count = texts[q["file"]].count(answer)
        if count != 1:
            found.append(f"{qid}: answer occurs {count} times in {q['file']}")
        if not q["question"].strip():
            found.append(f"{qid}: empty question")
    for lang in ("en", "zh"):
        if position[lang] < MIN_PER_LANG:
            found.append(f"{lang}: {position[lang]} questions, at least {MIN_PER_LANG} needed")
    return found


def main() -> int:
    questions = json.loads((HERE / "questions.json").read_text(encoding="utf-8"))
    found = problems(questions)
    for line in found:
        print(line, file=sys.stderr)
    counts = Counter((q.get("lang"), q.get("split")) for q in questions)
    files = Counter((q.get("lang"), q.get("file")) for q in questions)
    for lang in ("en", "zh"):
        per_file = [n for (l, _), n in files.items() if l == lang]
        print(f"{lang}: {counts[(lang, 'tune')]} tune + {counts[(lang, 'heldout')]} heldout = "
              f"{counts[(lang, 'tune')] + counts[(lang, 'heldout')]} questions over {len(per_file)} files "
              f"({min(per_file, default=0)}-{max(per_file, default=0)} per file)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
