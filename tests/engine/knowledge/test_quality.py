"""Retrieval quality on a corpus none of us wrote, and ``hearth ask`` end to end.

The corpus is the licence texts every Debian machine has in
/usr/share/common-licenses. Each question is phrased the way a person would
ask it and names the licences whose text answers it; recall@5 is the share
of questions with such a licence among the top five hits. The floor was set
from measurement (see RECALL_FLOOR) and the figure is printed on every run.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from engine.knowledge.base import KnowledgeBase
from engine.runtime.client import Runtime
from engine.store import Store

ROOT = Path(__file__).resolve().parents[3]
LICENSES = Path("/usr/share/common-licenses")

QUESTIONS: list[tuple[str, set[str]]] = [
    ("If I sue someone claiming the work infringes my patent, what happens to my patent license?",
     {"Apache-2.0", "GPL-3", "MPL-2.0"}),
    ("May I use the names of the contributors to endorse products made from this software?", {"BSD"}),
    ("How can I give up all my copyright and put my work in the public domain?", {"CC0-1.0"}),
    ("What do I have to do with Invariant Sections and Cover Texts when I publish a modified manual?",
     {"GFDL-1.2", "GFDL-1.3"}),
    ("Can I convey object code by offering the source code from a network server?", {"GPL-3"}),
    ("What are the rules for a work that uses the Library when it is linked with the Library?",
     {"LGPL-2", "LGPL-2.1"}),
    ("Can I combine the covered software with other code into a larger work?", {"MPL-2.0", "MPL-1.1"}),
    ("Am I allowed to charge a fee for copying the Standard Version of the Package?", {"Artistic"}),
    ("What requirements apply when I convey a Combined Work that links an Application with the Library?",
     {"LGPL-3"}),
    ("Do modified files need notices saying that I changed them and when?",
     {"GPL-1", "GPL-2", "Apache-2.0", "GPL-3"}),
    ("If I violate the license, how can I get my rights back after I stop the violation?",
     {"GPL-3", "MPL-2.0", "GFDL-1.3"}),
    ("What must the NOTICE text file contain when I redistribute the work?", {"Apache-2.0"}),
    ("Is the Initial Developer liable for damages caused by the covered code?", {"MPL-1.1"}),
    ("Who is the Affirmer and which rights are waived?", {"CC0-1.0"}),
    ("May I sell copies of the software as part of a larger software distribution?",
     {"Artistic", "GPL-1", "GPL-2", "BSD"}),
    ("What counts as a Transparent copy of a document?", {"GFDL-1.2", "GFDL-1.3"}),
    ("Which version of the license applies if the program does not specify a version number?",
     {"GPL-1", "GPL-2", "GPL-3", "LGPL-2", "LGPL-2.1", "LGPL-3", "GFDL-1.2", "GFDL-1.3"}),
    ("Does the license cover installation information for user products such as consumer devices?", {"GPL-3"}),
    ("Are contributions I submit to the licensor under the same terms unless I say otherwise?", {"Apache-2.0"}),
    ("What is the Source Code Form and the Executable Form of covered software?", {"MPL-2.0"}),
]
RECALL_FLOOR = 0.85  # measured 0.95 (19 of 20) with all-MiniLM-L6-v2 F16; the figure is printed on every run


@pytest.fixture(scope="module")
def licence_kb(tmp_path_factory: pytest.TempPathFactory, minilm_path: Path) -> Iterator[KnowledgeBase]:
    folder = tmp_path_factory.mktemp("licences")
    store = Store(folder / "hearth.db")
    with Runtime(log_path=folder / "llama.log", cache_dir=folder) as runtime:
        kb = KnowledgeBase(store, runtime, embedder=minilm_path)
        kb.create("Licences")
        kb.add("Licences", [LICENSES])
        assert [p.state for p in kb.index("Licences")][-1] == "done"
        yield kb
    store.close()


@pytest.mark.skipif(not LICENSES.is_dir(), reason="not a Debian machine")
def test_recall_at_5_on_licence_texts(licence_kb: KnowledgeBase) -> None:
    st = licence_kb.status("Licences")
    assert st.files["indexed"] == 14 and st.files["failed"] == 0  # 17 entries, 3 of them symlinks
    found, misses = 0, []
    for question, answers in QUESTIONS:
        hits = licence_kb.search(["Licences"], question, k=5)
        names = [Path(h.path).name for h in hits]
        if answers & set(names):
            found += 1
        else:
            misses.append((question, names))
    recall = found / len(QUESTIONS)
    print(f"\nrecall@5 = {recall:.2f} over {len(QUESTIONS)} questions ({st.chunks} chunks); misses: {misses}")
    assert recall >= RECALL_FLOOR, misses


def test_unrelated_question_is_not_relevant(licence_kb: KnowledgeBase) -> None:
    hits = licence_kb.search(["Licences"], "What is the boiling point of mercury in Fahrenheit?", k=5)
    assert licence_kb.relevant(hits) == []
    related = licence_kb.search(["Licences"], QUESTIONS[2][0], k=5)
    assert licence_kb.relevant(related)


def test_kb_search_json_and_ask_cites_the_right_file(hearth_home: Path, tmp_path: Path, minilm_path: Path,
                                                      smollm2_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "kettle.md").write_text("# The Zephyr kettle\n\nThe Zephyr kettle boils one litre of water in "
                                    "exactly 97 seconds and switches itself off.\n", encoding="utf-8")
    (docs / "bike.md").write_text("# Bicycle care\n\nOil the chain every 300 kilometres and check the tyre "
                                  "pressure weekly.\n", encoding="utf-8")
    env = {**os.environ, "HEARTH_HOME": str(hearth_home)}

    def hearth(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "desktop.cli.main", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=300)

    assert hearth("kb", "create", "Home").returncode == 0
    added = hearth("kb", "add", "Home", str(docs), "--embedder", str(minilm_path))
    assert added.returncode == 0, added.stderr
    assert "2 files indexed" in added.stdout
    found = hearth("kb", "search", "Home", "how fast does the kettle boil water", "--json",
                   "--embedder", str(minilm_path))
    hits = json.loads(found.stdout)
    assert Path(hits[0]["path"]).name == "kettle.md" and hits[0]["line_start"] >= 1 and hits[0]["score"] > 0
    assert set(hits[0]) >= {"path", "page", "line_start", "line_end", "score", "text"}

    asked = hearth("ask", "--kb", "Home", "--model", str(smollm2_path), "--embedder", str(minilm_path),
                   "--seed", "1", "--temperature", "0", "--max-tokens", "48",
                   "How long does the Zephyr kettle take to boil water?")
    assert asked.returncode == 0, asked.stderr
    answer, _, sources = asked.stdout.partition("\nSources:\n")
    assert "97" in answer, asked.stdout  # even the 135M model reads the number from the source
    first = sources.strip("\n").splitlines()[0]
    assert re.match(r"^[ *]\[1\] .*kettle\.md, lines \d+–\d+ \(score ", first), sources
    assert "bike.md" not in first
