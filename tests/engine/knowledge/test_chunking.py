"""Chunking: sizes, overlap, structure (headings, code, pages) and line ranges that point at the text."""
from __future__ import annotations

import random
import re
import time
from pathlib import Path

import pytest

from engine.knowledge.chunking import chunk, estimate_tokens
from engine.knowledge.extract import extract
from engine.knowledge.records import ChunkDraft, Extracted, Section
from tests import docs_factory

prose = docs_factory.prose


def squash(text: str) -> str:
    return " ".join(text.split())


def assert_lines_hold_the_text(path: Path, chunks: list[ChunkDraft]) -> None:
    """Every line of a chunk is found, in order, in the file lines its range names."""
    lines = path.read_text(encoding="utf-8").split("\n")
    for c in chunks:
        window = squash("\n".join(lines[c.line_start - 1:c.line_end]))
        pos = 0
        for line in c.text.split("\n"):
            if line.strip():
                found = window.find(squash(line), pos)
                assert found >= 0, (c.line_start, c.line_end, line, window[:300])
                pos = found
        first = next(line for line in c.text.split("\n") if line.strip())
        assert squash(first) in squash(lines[c.line_start - 1]) or squash(lines[c.line_start - 1]) in squash(first)


# --- the estimate ---------------------------------------------------------------------

def test_estimate_counts_words_cjk_characters_and_punctuation() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("Hello, world!") == 3 + 2        # 2 words × 1.3 rounded up, 2 marks
    assert estimate_tokens("人工智能。") == 4 + 1
    assert estimate_tokens("日本語のテキスト") == 8
    assert estimate_tokens("Hearth 使用 llama.cpp") == 4 + 2 + 1  # 3 words, 2 Han, 1 dot
    ten = "word " * 10
    assert estimate_tokens(ten) == 13 and estimate_tokens(ten + "é") == 15  # the non-ASCII path agrees


# --- sizes and overlap ------------------------------------------------------------------

def test_plain_text_chunks_stay_in_bounds_overlap_and_point_at_their_lines(tmp_path: Path) -> None:
    rng = random.Random(5)
    path = tmp_path / "long.txt"
    path.write_text("\n\n".join(prose(rng, rng.randint(1, 30)) for _ in range(60)) + "\n", encoding="utf-8")
    chunks = chunk(extract(path), target_tokens=120, overlap_tokens=25, max_tokens=240)
    assert len(chunks) > 20
    assert all(0 < c.tokens <= 240 for c in chunks)
    assert sum(c.tokens >= 60 for c in chunks) > 0.7 * len(chunks)   # packed towards the target
    assert all(c.tokens == pytest.approx(estimate_tokens(c.text), abs=3) for c in chunks)
    overlapping = 0
    for before, after in zip(chunks, chunks[1:]):
        head = squash(after.text)[:60]
        if head in squash(before.text):
            overlapping += 1
            assert after.line_start <= before.line_end
    assert overlapping > 0.8 * (len(chunks) - 1)
    assert_lines_hold_the_text(path, chunks)
    text = squash(path.read_text())
    assert all(squash(c.text) in text for c in chunks)


def test_no_overlap_when_asked_for_none(tmp_path: Path) -> None:
    rng = random.Random(9)
    path = tmp_path / "plain.txt"
    path.write_text("\n\n".join(prose(rng, 4) for _ in range(30)))
    chunks = chunk(extract(path), target_tokens=100, overlap_tokens=0, max_tokens=200)
    assert squash(" ".join(c.text for c in chunks)) == squash(path.read_text())


def test_a_long_chinese_paragraph_is_cut_at_sentence_ends(tmp_path: Path) -> None:
    sentences = [f"第{i}句话说明了人工智能的一个方面并且比较长一些。" for i in range(200)]
    path = tmp_path / "长文.txt"
    path.write_text("".join(sentences), encoding="utf-8")
    chunks = chunk(extract(path), target_tokens=100, overlap_tokens=20, max_tokens=200)
    assert len(chunks) > 10 and all(c.tokens <= 200 for c in chunks)
    for c in chunks:
        assert c.text.endswith("。") and re.match(r"^第\d+句", c.text), c.text[:30]
        assert (c.line_start, c.line_end) == (1, 1)


def test_chinese_without_punctuation_falls_back_to_character_windows() -> None:
    text = "机器学习模型" * 500
    doc = Extracted("x.txt", "text", [Section(text, "paragraph", 7, 7)])
    chunks = chunk(doc, target_tokens=100, overlap_tokens=0, max_tokens=150)
    assert len(chunks) == 30 and all(c.tokens <= 150 for c in chunks)
    assert "".join(c.text for c in chunks) == text
    assert all(c.line_start == c.line_end == 7 for c in chunks)


# --- structure ------------------------------------------------------------------------

def test_markdown_headings_start_chunks_and_code_blocks_stay_whole(tmp_path: Path) -> None:
    rng = random.Random(3)
    code = "```python\n" + "\n".join(f"def handler_{i}(request):\n    return respond(request, {i})\n"
                                     for i in range(12)) + "```"
    path = tmp_path / "doc.md"
    path.write_text(f"# Manual\n\n{prose(rng, 6)}\n\n## Setup\n\n{prose(rng, 5)}\n\n{code}\n\n"
                    f"## 使用\n\n{prose(rng, 30)}\n", encoding="utf-8")
    chunks = chunk(extract(path), target_tokens=150, overlap_tokens=30, max_tokens=300)
    assert estimate_tokens(code) < 300
    assert chunks[0].text.startswith("Manual\n\n") and chunks[0].heading == "Manual"
    setup = [c for c in chunks if c.heading == "Manual › Setup"]
    assert setup[0].text.startswith("Setup\n\n")
    assert sum(code in c.text for c in chunks) == 1           # in one piece, exactly once
    assert not any("```" in c.text and code not in c.text for c in chunks)
    usage = [c for c in chunks if c.heading == "Manual › 使用"]
    assert usage[0].text.startswith("使用\n\n") and len(usage) > 1
    assert not any("Setup" in c.text for c in usage)       # no overlap across a heading
    assert_lines_hold_the_text(path, chunks)


def test_an_oversized_code_block_is_split_at_line_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "big.py"
    body = "\n".join(f"    value_{i} = compute(value_{i - 1}, factor={i})" for i in range(1, 200))
    path.write_text(f"def main():\n{body}\n")
    chunks = chunk(extract(path), target_tokens=100, overlap_tokens=20, max_tokens=200)
    assert len(chunks) > 5 and all(c.tokens <= 200 for c in chunks)
    lines = path.read_text().split("\n")
    for c in chunks:
        assert c.text.split("\n") == [line.strip() if i == 0 else line
                                      for i, line in enumerate(lines[c.line_start - 1:c.line_end])]
    covered = [n for c in chunks for n in range(c.line_start, c.line_end + 1)]
    assert covered == list(range(1, 201))                        # code gets no overlap


def test_chunks_never_cross_a_pdf_page(tmp_path: Path) -> None:
    rng = random.Random(8)
    pages = [prose(rng, 12) for _ in range(4)]
    path = docs_factory.make_pdf(tmp_path / "pages.pdf", pages)
    chunks = chunk(extract(path), target_tokens=400, overlap_tokens=40, max_tokens=800)
    assert [c.page for c in chunks] == [1, 2, 3, 4]
    for c, page in zip(chunks, pages):
        assert squash(c.text) == squash(page)
        assert (c.line_start, c.line_end) == (1, len(page.split("\n")))


def test_docx_and_csv_chunks(tmp_path: Path) -> None:
    docx = docs_factory.make_docx(tmp_path / "d.docx", [("Heading1", "Scope"), (None, "Short paragraph."),
                                                       (None, "Another one."), ("Heading1", "Terms"),
                                                       (None, "Final words.")])
    chunks = chunk(extract(docx))
    assert [(c.heading, c.text, c.line_start, c.line_end) for c in chunks] == [
        ("Scope", "Scope\n\nShort paragraph.\n\nAnother one.", 1, 3), ("Terms", "Terms\n\nFinal words.", 4, 5)]
    csv_path = tmp_path / "t.csv"
    csv_path.write_text("id,name\n" + "".join(f"{i},item number {i}\n" for i in range(1, 301)))
    chunks = chunk(extract(csv_path), target_tokens=100, max_tokens=200)
    assert all(c.tokens <= 200 for c in chunks) and chunks[0].text.startswith("id: 1; name: item number 1\n")
    assert chunks[-1].line_end == 301 and chunks[-1].text.endswith("id: 300; name: item number 300")


def test_empty_document_gives_no_chunks(tmp_path: Path) -> None:
    (tmp_path / "e.md").write_text("")
    assert chunk(extract(tmp_path / "e.md")) == []
    with pytest.raises(ValueError):
        chunk(Extracted("x", "text", []), target_tokens=100, max_tokens=50)


def test_fifty_megabytes_of_text_chunk_in_well_under_thirty_seconds(tmp_path: Path) -> None:
    path = docs_factory.make_big_text(tmp_path / "big.txt", 50)
    started = time.perf_counter()
    doc = extract(path)
    chunks = chunk(doc)
    seconds = time.perf_counter() - started
    print(f"\n50 MB text: {seconds:.1f} s to extract and chunk, {len(chunks)} chunks")
    assert seconds < 30
    assert chunks[-1].line_end == path.read_text().count("\n") - 1
