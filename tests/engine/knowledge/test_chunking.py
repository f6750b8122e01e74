"""Chunking: sizes, overlap, structure (headings, code, pages) and line ranges that point at the text."""
from __future__ import annotations

import itertools
import random
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# --- Chinese: sentence ends, words and numbers with their units ------------------------------------

CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


def one_paragraph(text: str, *, target: int, overlap: int, limit: int) -> list[ChunkDraft]:
    return chunk(Extracted("x.txt", "text", [Section(text, "paragraph", 1, 1)]),
                 target_tokens=target, overlap_tokens=overlap, max_tokens=limit)


def placed(text: str, chunks: list[ChunkDraft]) -> list[tuple[int, int]]:
    """(start, end) of each chunk in ``text``: the first starts the text, each next one starts inside or
    right after the one before it (past whitespace), the last ends the text. Fails when no such
    placement exists. (Repetitive text may allow several; a search finds one.)"""
    last = len(text.rstrip())
    failed: set[tuple[int, int]] = set()

    def place(i: int, lo: int, hi: int) -> list[tuple[int, int]] | None:
        piece = chunks[i].text
        start = text.find(piece, lo)
        while 0 <= start <= hi:
            end = start + len(piece)
            if (i, start) not in failed:
                if i == len(chunks) - 1:
                    if end == last:
                        return [(start, end)]
                else:
                    rest = place(i + 1, start, end + len(text[end:]) - len(text[end:].lstrip()))
                    if rest is not None:
                        return [(start, end), *rest]
                failed.add((i, start))
            start = text.find(piece, start + 1)
        return None

    lead = len(text) - len(text.lstrip())
    spans = place(0, lead, lead)
    assert spans is not None, "the chunks do not give back the text"
    return spans


def rebuilt(text: str, chunks: list[ChunkDraft], spans: list[tuple[int, int]]) -> str:
    """The chunks put back together, each without the overlap it repeats from the one before."""
    out = chunks[0].text
    for (start, end), (_, before_end), c in zip(spans[1:], spans, chunks[1:]):
        out += text[before_end:start] + c.text[max(0, before_end - start):]
    return out


def test_chinese_sentences_end_at_full_and_ascii_marks_with_their_closing_quotes() -> None:
    sentences = ["他问道：“今天的会议几点开始？”", "会议改到了下午三点；", "请大家准时参加;", "资料已经发到群里了!",
                 "有问题吗?", "「好的。」", "我们明天再讨论这个方案；"] * 12
    text = "".join(sentences)
    chunks = one_paragraph(text, target=30, overlap=0, limit=60)
    assert "".join(c.text for c in chunks) == text
    ends = set(itertools.accumulate(len(s) for s in sentences))
    offset = 0
    for c in chunks:
        offset += len(c.text)
        assert offset in ends, c.text        # every chunk ends where a sentence (and its quote) ends
        assert not c.text.startswith(("”", "」")), c.text
    assert {c.text[-1] for c in chunks} >= {"；", "!"}   # marks that end a sentence, not only 。！？


def test_a_line_break_inside_a_chinese_sentence_is_not_a_sentence_end() -> None:
    text = ("检索增强生成先从文档中找出相关段落再交给模型回答问题这样模型就能引用用户自己的文件\n"
            "而不必依赖训练时记住的知识。") * 6
    chunks = one_paragraph(text, target=50, overlap=0, limit=100)
    assert all(c.text.endswith("。") for c in chunks), [c.text[-5:] for c in chunks]


def test_a_long_chinese_sentence_is_cut_after_commas_not_inside_words() -> None:
    clauses = ["本地模型需要4.5 GB内存", "参数量约为7B", "上下文长度可以达到32k tokens", "每批处理128 个 token",
               "显存占用降低了30%", "温度设为0.7", "检索结果按相关性排序", "关键词搜索依然可用"]
    text = "，".join(clauses * 8) + "。"
    chunks = one_paragraph(text, target=40, overlap=10, limit=80)
    assert len(chunks) > 4
    spans = placed(text, chunks)
    assert rebuilt(text, chunks, spans) == text
    for (start, end), c in zip(spans, chunks):
        assert c.text[-1] in "，。", c.text              # each ends after a comma (or the full stop)
        assert start == 0 or text[start - 1] == "，", c.text   # and the overlap starts after one too
    assert all(c.tokens <= 80 for c in chunks)


def test_a_number_keeps_its_unit_when_english_is_cut_at_spaces() -> None:
    text = " ".join(f"Model {i} needs {i}.5 GB of memory and reads {i}k tokens at {i}00 ms per batch"
                    for i in range(1, 21))
    chunks = one_paragraph(text, target=30, overlap=8, limit=60)
    spans = placed(text, chunks)
    assert rebuilt(text, chunks, spans) == text
    for c in chunks:
        assert not re.match(r"(GB|tokens|ms)\b", c.text), c.text
        assert not re.search(r"\d$", c.text), c.text


_WORDS = ["人工智能", "模型", "文件", "索引", "检索", "中文", "句子", "问题", "答案", "内存", "下载", "显卡",
          "我们", "需要", "可以", "知识库", "向量", "关键词", "分块", "嵌入", "段落", "用户", "搜索", "结果"]
_NUMBERS = ["4.5 GB", "7B", "32k tokens", "128 个 token", "30%", "0.7", "16 GB", "1.5B", "8k tokens", "64 个 token",
            "12%", "0.25", "3.5 MB", "200 ms"]
_MARKS = ["，", "、", "：", "。", "！", "？", "；", "!", "?", ";", "。”", "！」", " "]
_ENGLISH = ["llama.cpp", "GGUF", "Qwen3", "embedding", "RAG", "BM25"]


@st.composite
def chinese_with_numbers(draw: st.DrawFn) -> tuple[str, list[tuple[int, int]]]:
    """Chinese text with numbers, units, English words and punctuation; and where each number with its
    unit is. A number is always followed by Chinese or punctuation, as in real text."""
    parts: list[str] = []
    glued: list[tuple[int, int]] = []
    length = 0
    for kind in draw(st.lists(st.sampled_from(["word"] * 6 + ["number", "mark", "mark", "english"]),
                              min_size=20, max_size=400)):
        if kind == "number":
            if parts and (parts[-1][-1].isdigit() or parts[-1] in _NUMBERS):
                parts.append("，")
                length += 1
            piece = draw(st.sampled_from(_NUMBERS))
            glued.append((length, length + len(piece)))
            parts.append(piece)
            length += len(piece)
            piece = draw(st.sampled_from(_WORDS + ["，", "。"]))
        elif kind == "word":
            piece = draw(st.sampled_from(_WORDS))
        elif kind == "mark":
            piece = draw(st.sampled_from(_MARKS))
        else:
            piece = " " + draw(st.sampled_from(_ENGLISH)) + " "
        parts.append(piece)
        length += len(piece)
    return "".join(parts), glued


@settings(max_examples=150, deadline=None)
@given(chinese_with_numbers(), st.sampled_from([(30, 0, 60), (40, 10, 80), (60, 15, 100)]))
def test_chinese_chunks_keep_words_and_numbers_whole_and_give_back_the_text(
        sample: tuple[str, list[tuple[int, int]]], sizes: tuple[int, int, int]) -> None:
    text, glued = sample
    target, overlap, limit = sizes
    chunks = one_paragraph(text, target=target, overlap=overlap, limit=limit)
    assert chunks
    spans = placed(text, chunks)
    assert rebuilt(text, chunks, spans) == text.strip()
    runs = [m.span() for m in CJK_RUN.finditer(text)]
    for i, (start, end) in enumerate(spans):
        for at, where in ((start, "starts"), (end, "ends")):
            if (where == "starts" and i == 0) or (where == "ends" and i == len(spans) - 1):
                continue
            # no chunk starts with the unit (or the rest) of a number that the previous chunk holds
            inside = [text[a:b] for a, b in glued if a < at < b]
            assert not inside, f"chunk {i} {where} inside {inside}: {chunks[i].text!r}"
            run = next(((a, b) for a, b in runs if a < at < b), None)
            assert run is None or run[1] - run[0] > target, \
                f"chunk {i} {where} inside the word run {text[run[0]:run[1]]!r}"
