"""Extraction: every kind of file to sections, with exact line numbers, pages and headings."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from engine.errors import DocumentTooLarge, DocumentUnreadable, DocumentUnsupported
from engine.knowledge.extract import markup as extract_markup
from engine.knowledge.extract import extract, kind_of, skip_reason
from tests import docs_factory

ZH = "人工智能是计算机科学的一个分支。它企图了解智能的实质，并生产出一种新的智能机器。"


def _texts(path: Path) -> list[str]:
    return [s.text for s in extract(path).sections]


# --- kinds --------------------------------------------------------------------------

def test_kinds_come_from_the_suffix_or_a_look_at_the_content(tmp_path: Path) -> None:
    expected = {"a.txt": "text", "b.MD": "markdown", "c.htm": "html", "d.pdf": "pdf", "e.docx": "docx",
                "f.tsv": "csv", "g.py": "code", "h.rs": "code", "i.yaml": "code", "Makefile": "code",
                "notes.rst": "text", "x.xlsx": None, "y.zip": None}
    for name, kind in expected.items():
        assert kind_of(tmp_path / name) == kind, name
    (tmp_path / "LICENSE").write_text("Permission is hereby granted")
    (tmp_path / "LGPL-2.1").write_text("GNU LESSER GENERAL PUBLIC LICENSE")
    (tmp_path / "program").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00")
    assert kind_of(tmp_path / "LICENSE") == "text"
    assert kind_of(tmp_path / "LGPL-2.1") == "text"  # ".1" is a version, not a type
    assert kind_of(tmp_path / "program") is None
    (tmp_path / "x.xlsx").write_bytes(b"PK\x03\x04")
    assert skip_reason(tmp_path / "x.xlsx") == "unsupported type .xlsx"
    assert skip_reason(tmp_path / "program") == "binary file"
    assert skip_reason(tmp_path / "LICENSE") == ""
    assert skip_reason(tmp_path) == "is a folder"
    with pytest.raises(DocumentUnsupported, match=r"x\.xlsx.*unsupported type \.xlsx"):
        extract(tmp_path / "x.xlsx")


def test_an_empty_file_has_no_sections_and_is_no_error(tmp_path: Path) -> None:
    for name in ("empty.txt", "empty.md", "empty.pdf", "empty.docx", "empty.csv", "empty.py", "empty.html"):
        (tmp_path / name).write_bytes(b"")
        assert extract(tmp_path / name).sections == [], name


# --- text ---------------------------------------------------------------------------

def test_text_paragraphs_have_exact_line_ranges(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"First paragraph,\r\nsecond line.\r\n\r\n\x0c\r\n  Indented second\n\n\n\nThird\rline")
    sections = extract(path).sections
    assert [(s.text, s.line_start, s.line_end, s.kind) for s in sections] == [
        ("First paragraph,\nsecond line.", 1, 2, "paragraph"),
        ("  Indented second", 5, 5, "paragraph"),     # the form feed line counts as blank, not as a break
        ("Third\nline", 9, 10, "paragraph"),
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_chinese_text_in_the_encodings_chinese_users_have(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / f"中文-{encoding}.txt"
    path.write_bytes(f"标题\n\n{ZH}\n第二行。\n".encode(encoding))
    sections = extract(path).sections
    assert [s.text for s in sections] == ["标题", f"{ZH}\n第二行。"]
    assert (sections[1].line_start, sections[1].line_end) == (3, 4)


def test_latin1_text_and_binary_text_files(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_bytes("Café crème, à bientôt.".encode("latin-1"))
    assert _texts(tmp_path / "old.txt") == ["Café crème, à bientôt."]
    (tmp_path / "fake.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    with pytest.raises(DocumentUnreadable, match=r"fake\.txt is not a text file"):
        extract(tmp_path / "fake.txt")


# --- markdown -----------------------------------------------------------------------

MARKDOWN = """\
# Guide

Intro paragraph
over two lines.

## Install

- one
- two

```python
def f():

    return 1
```

Setext title
============

Body under setext.
### 中文小节

{zh}
"""


def test_markdown_headings_code_blocks_and_lists(tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    path.write_text(MARKDOWN.format(zh=ZH), encoding="utf-8")
    got = [(s.kind, s.text, s.line_start, s.line_end, s.heading, s.level) for s in extract(path).sections]
    assert got == [
        ("heading", "Guide", 1, 1, "Guide", 1),
        ("paragraph", "Intro paragraph\nover two lines.", 3, 4, "Guide", 0),
        ("heading", "Install", 6, 6, "Guide › Install", 2),
        ("list", "- one\n- two", 8, 9, "Guide › Install", 0),
        ("code", "```python\ndef f():\n\n    return 1\n```", 11, 15, "Guide › Install", 0),
        ("heading", "Setext title", 17, 18, "Setext title", 1),
        ("paragraph", "Body under setext.", 20, 20, "Setext title", 0),
        ("heading", "中文小节", 21, 21, "Setext title › 中文小节", 3),
        ("paragraph", ZH, 23, 23, "Setext title › 中文小节", 0),
    ]


def test_an_unclosed_fence_runs_to_the_end(tmp_path: Path) -> None:
    path = tmp_path / "open.md"
    path.write_text("Text\n\n```\ncode\n\nmore code\n")
    sections = extract(path).sections
    assert sections[-1].kind == "code" and sections[-1].text == "```\ncode\n\nmore code\n"
    assert (sections[-1].line_start, sections[-1].line_end) == (3, 7)


# --- html ---------------------------------------------------------------------------

def test_html_blocks_headings_and_tables_without_scripts(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text("""<!doctype html>
<html><head><title>Title</title><script>var s = "<p>hidden</p>";</script>
<style>p { color: red }</style></head>
<body>
<h1>Main &amp; title</h1>
<p>First paragraph
over two lines.</p>
<ul><li>item one</li><li>item <b>two</b></li></ul>
<h2>数据</h2>
<table><tr><th>Name</th><th>Age</th></tr>
<tr><td>Ann</td><td>30</td></tr></table>
<pre>def f():
    return 1</pre>
</body></html>""", encoding="utf-8")
    got = [(s.kind, s.text, s.line_start, s.line_end, s.heading) for s in extract(path).sections]
    assert got == [
        ("heading", "Main & title", 5, 5, "Main & title"),
        ("paragraph", "First paragraph\nover two lines.", 6, 7, "Main & title"),
        ("list", "item one", 8, 8, "Main & title"),
        ("list", "item two", 8, 8, "Main & title"),
        ("heading", "数据", 9, 9, "Main & title › 数据"),
        ("table", "Name | Age", 10, 10, "Main & title › 数据"),
        ("table", "Ann | 30", 11, 11, "Main & title › 数据"),
        ("code", "def f():\n    return 1", 12, 13, "Main & title › 数据"),
    ]


def test_html_in_a_declared_legacy_charset(tmp_path: Path) -> None:
    path = tmp_path / "gbk.html"
    path.write_bytes(f'<html><head><meta charset="gbk"></head><body><p>{ZH}</p></body></html>'.encode("gbk"))
    assert _texts(path) == [ZH]


# --- pdf ----------------------------------------------------------------------------

def test_pdf_pages_and_lines(tmp_path: Path) -> None:
    path = docs_factory.make_pdf(tmp_path / "report.pdf", [
        "Annual report (draft)\nRevenue grew by 12%.",
        "Second page starts here.\nIt has a second line.\nAnd a third.",
    ])
    doc = extract(path)
    assert doc.pages == 2 and doc.kind == "pdf"
    assert [(s.page, s.text, s.line_start, s.line_end) for s in doc.sections] == [
        (1, "Annual report (draft)\nRevenue grew by 12%.", 1, 2),
        (2, "Second page starts here.\nIt has a second line.\nAnd a third.", 1, 3),
    ]


def test_chinese_pdf_with_a_cid_font(tmp_path: Path) -> None:
    path = docs_factory.make_pdf_cjk(tmp_path / "中文.pdf", ["第一章 总则\n" + ZH, "第二页的内容。"])
    doc = extract(path)
    assert [(s.page, s.text) for s in doc.sections] == [(1, "第一章 总则\n" + ZH), (2, "第二页的内容。")]


def test_password_protected_and_broken_pdfs_are_unreadable(tmp_path: Path) -> None:
    locked = docs_factory.make_encrypted_pdf(tmp_path / "locked.pdf")
    with pytest.raises(DocumentUnreadable, match=r"locked\.pdf is password-protected") as info:
        extract(locked)
    assert info.value.path == str(locked)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nthis is not really a pdf at all\n" * 3)
    with pytest.raises(DocumentUnreadable, match=r"broken\.pdf"):
        extract(broken)


# --- docx ---------------------------------------------------------------------------

def test_docx_paragraphs_headings_and_tables(tmp_path: Path) -> None:
    path = docs_factory.make_docx(tmp_path / "memo.docx", [
        ("Title", "Quarterly memo"),
        ("Heading1", "背景"),
        (None, ZH),
        (None, ""),
        ("heading 2", "Details"),
        (None, "Line one\nline two\tafter a tab"),
    ], tables=[[["Name", "Role"], ["Ann", "Lead"]]])
    got = [(s.kind, s.text, s.line_start, s.heading, s.level) for s in extract(path).sections]
    assert got == [
        ("heading", "Quarterly memo", 1, "Quarterly memo", 1),
        ("heading", "背景", 2, "背景", 1),
        ("paragraph", ZH, 3, "背景", 0),
        ("heading", "Details", 5, "背景 › Details", 2),       # line 4 is the empty paragraph
        ("paragraph", "Line one\nline two\tafter a tab", 6, "背景 › Details", 0),
        ("table", "Name | Role", 7, "背景 › Details", 0),
        ("table", "Ann | Lead", 8, "背景 › Details", 0),
    ]


def test_corrupt_and_hollow_docx_are_unreadable(tmp_path: Path) -> None:
    corrupt = docs_factory.make_corrupt_docx(tmp_path / "cut.docx")
    with pytest.raises(DocumentUnreadable, match=r"cut\.docx is damaged"):
        extract(corrupt)
    hollow = tmp_path / "hollow.docx"
    with zipfile.ZipFile(hollow, "w") as zf:
        zf.writestr("readme.txt", "no word document in here")
    with pytest.raises(DocumentUnreadable, match=r"hollow\.docx is not a Word document"):
        extract(hollow)


def test_docx_entity_bombs_and_oversized_parts_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    laughs = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
              + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
              + ']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
              '<w:body><w:p><w:r><w:t>&i;</w:t></w:r></w:p></w:body></w:document>')
    bomb = docs_factory._write_docx(tmp_path / "laughs.docx", laughs)
    with pytest.raises(DocumentUnreadable, match=r"laughs\.docx is damaged"):
        extract(bomb)
    monkeypatch.setattr(extract_markup, "MAX_DOCX_XML", 1_000_000)
    big = docs_factory.make_docx_bomb(tmp_path / "big.docx", megabytes=2)
    assert big.stat().st_size < 20_000
    with pytest.raises(DocumentTooLarge, match=r"big\.docx is too large"):
        extract(big)


# --- code and csv ---------------------------------------------------------------------

def test_code_splits_at_top_level_blocks_only(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_text('"""Doc."""\nimport os\n\n\ndef f():\n    x = 1\n\n    return x\n\n# about g\n'
                    'def g():\n    pass\n')
    got = [(s.kind, s.text, s.line_start, s.line_end) for s in extract(path).sections]
    assert got == [
        ("code", '"""Doc."""\nimport os', 1, 2),
        ("code", "def f():\n    x = 1\n\n    return x", 5, 8),
        ("code", "# about g\ndef g():\n    pass", 10, 12),
    ]


def test_csv_rows_explain_themselves(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text('name,city,note\nAnn,Paris,"likes\ntea"\n\nBo,北京,\n', encoding="utf-8")
    (section,) = extract(path).sections
    assert section.kind == "table"
    assert section.text == "name: Ann; city: Paris; note: likes\ntea\nname: Bo; city: 北京"
    assert (section.line_start, section.line_end) == (2, 5)
