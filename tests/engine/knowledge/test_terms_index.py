"""The terms index end to end: real files indexed by the engine (real MiniLM), real SQLite, migration m005.

Two-character Chinese words, traditional against simplified, the file name as
a weighted title, code-like tokens, the index kept right when files change
or go, and a database indexed before m005 filled when it is opened.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from engine.knowledge import terms
from engine.knowledge.base import KnowledgeBase
from engine.knowledge.keyword import keyword_search
from engine.knowledge.terms import chunk_terms, name_terms, title_terms
from engine.store import Store, migrations
from engine.store.transactions import WriteDatabase, connect

ZH = {
    "sampling.md": "# 采样设置\n\n温度越高，模型的回答越随机；温度为零时每次回答相同。\n",
    "hallucination.md": "# 可靠性\n\n模型有时会编造不存在的事实，这种现象称为幻觉，引用原文可以减少它。\n",
    "quantize.md": "# 模型文件\n\n量化把权重从十六位降到四位，文件变小，速度更快，质量略有下降。\n",
    "finetune.md": "# 训练\n\n微调是在自己的数据上继续训练模型，让它学会特定的格式和语气。\n",
    "hardware.md": "# 硬件\n\n显卡的显存决定能加载多大的模型，内存不够时可以把部分层放在处理器上。\n",
    "traditional.md": "# 部署\n\n隨機種子固定後，調整參數的結果可以重現。\n",
}


def write_docs(folder: Path, docs: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def indexed(kb: KnowledgeBase, name: str, folder: Path) -> int:
    """Create collection ``name`` over ``folder``, index it; its id."""
    kb.create(name)
    kb.add(name, [folder])
    assert [p.state for p in kb.index(name)][-1] == "done"
    return kb.collection(name).id


def top_file(kb: KnowledgeBase, coll: int, question: str) -> str:
    hits = keyword_search(kb.conn, [coll], question, 5)
    assert hits, question
    row = kb.conn.execute("SELECT f.path FROM kb_chunks c JOIN kb_files f ON f.id = c.file_id WHERE c.id = ?",
                          (hits[0][0],)).fetchone()
    return Path(row[0]).name


def terms_rows(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM kb_terms_fts").fetchone()[0])


def test_name_and_title_terms() -> None:
    assert name_terms("/usr/share/common-licenses/GPL-2") == ["gpl", "2"]
    assert name_terms("LGPL-2.1") == ["lgpl", "2", "1"]
    assert name_terms("MPL-2.0") == ["mpl", "2", "0"]
    assert name_terms("/notes/quantizationGuide_v2.md") == ["quantiz", "guid", "v", "2"]
    assert name_terms("量化指南.txt") == ["量化", "化指", "指南"]
    assert title_terms("/d/GPL-3", ["", "GNU General Public License › Preamble"]) == "gpl 3 gnu general public licens"
    assert chunk_terms("Warranty", "Warranties apply.") == "warranti warranti appli"


def test_chinese_two_character_words_rank_their_chunk_first(kb: KnowledgeBase, tmp_path: Path) -> None:
    coll = indexed(kb, "中文", write_docs(tmp_path / "zh", ZH))
    assert top_file(kb, coll, "温度") == "sampling.md"
    assert top_file(kb, coll, "什么是幻觉？") == "hallucination.md"
    assert top_file(kb, coll, "量化有什么代价") == "quantize.md"
    assert top_file(kb, coll, "如何微调") == "finetune.md"
    # Traditional question, simplified text; simplified question, traditional text.
    assert top_file(kb, coll, "模型為什麼會產生幻覺") == "hallucination.md"
    assert top_file(kb, coll, "怎样调整参数") == "traditional.md"
    assert top_file(kb, coll, "隨機種子") == "traditional.md"
    # The hybrid search has it first too.
    assert Path(kb.search(["中文"], "显存不够怎么办", k=3)[0].path).name == "hardware.md"


def test_the_file_name_weighs_as_a_title(kb: KnowledgeBase, tmp_path: Path) -> None:
    text = ("Terms and conditions for copying, distribution and modification.\n\n"
            "You may copy and distribute verbatim copies of the source code as you receive it.\n")
    folder = write_docs(tmp_path / "lic", {"GPL-3": text, "GPL-2": text, "MIT": "Permission is granted.\n"})
    coll = indexed(kb, "Licences", folder)
    assert top_file(kb, coll, "GPL version 2: may I copy verbatim?") == "GPL-2"
    assert top_file(kb, coll, "GPL version 3: may I copy verbatim?") == "GPL-3"


def test_the_file_name_is_embedded_with_each_chunk(kb: KnowledgeBase, tmp_path: Path) -> None:
    """Vectors alone find the file a question names, when its passages never say its name."""
    text = "You may copy and distribute verbatim copies of the source code as you receive it.\n"
    folder = write_docs(tmp_path / "named", {"Apache-2.0": text, "Mozilla-Public-License": text,
                                             "Zlib": text})
    indexed(kb, "Named", folder)
    for question, name in [("Apache licence: can I copy the source?", "Apache-2.0"),
                           ("Mozilla public license: can I copy the source?", "Mozilla-Public-License")]:
        hits = kb.search(["Named"], question, k=3, mode="vectors")
        assert Path(hits[0].path).name == name, [(Path(h.path).name, h.vector_score) for h in hits]


def test_code_like_tokens_find_their_chunk(kb: KnowledgeBase, tmp_path: Path) -> None:
    docs = {"models.md": "# Files\n\nThe Q4_K_M file is the usual choice for a laptop.\n\n"
                         "## Other\n\nPick q4 when memory is short, k-quants otherwise; m means medium.\n",
            "security.md": "# Advisories\n\nCVE-2024-3094 affected xz 5.6.0 and 5.6.1.\n\n"
                           "## Older\n\nCVE-2024-1234 was fixed in 2024, issue 3094 in 2023.\n"}
    coll = indexed(kb, "Codes", write_docs(tmp_path / "codes", docs))
    hits = keyword_search(kb.conn, [coll], "which quant is Q4_K_M", 3)
    assert "Q4_K_M" in kb.conn.execute("SELECT text FROM kb_chunks WHERE id = ?", (hits[0][0],)).fetchone()[0]
    hits = keyword_search(kb.conn, [coll], "Is CVE-2024-3094 fixed?", 3)
    assert "CVE-2024-3094" in kb.conn.execute("SELECT text FROM kb_chunks WHERE id = ?", (hits[0][0],)).fetchone()[0]


def test_changed_and_removed_files_leave_the_terms_index(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = write_docs(tmp_path / "zh", ZH)
    coll = indexed(kb, "中文", folder)
    chunks = kb.conn.execute("SELECT count(*) FROM kb_chunks").fetchone()[0]
    assert terms_rows(kb.conn) == chunks > 0
    before = kb.conn.execute("SELECT rowid, terms FROM kb_terms_fts ORDER BY rowid").fetchall()

    assert [p.state for p in kb.index("中文")][-1] == "done"            # nothing changed: nothing rewritten
    assert kb.conn.execute("SELECT rowid, terms FROM kb_terms_fts ORDER BY rowid").fetchall() == before

    (folder / "sampling.md").write_text("# 采样\n\n核采样只保留概率最高的一部分词。\n", encoding="utf-8")
    (folder / "quantize.md").unlink()
    assert [p.state for p in kb.index("中文")][-1] == "done"
    assert terms_rows(kb.conn) == kb.conn.execute("SELECT count(*) FROM kb_chunks").fetchone()[0]
    orphans = kb.conn.execute("SELECT count(*) FROM kb_terms_fts WHERE rowid NOT IN (SELECT id FROM kb_chunks)")
    assert orphans.fetchone()[0] == 0
    assert keyword_search(kb.conn, [coll], "温度", 5) == []
    assert keyword_search(kb.conn, [coll], "量化", 5) == []
    assert top_file(kb, coll, "核采样") == "sampling.md"

    kb.delete("中文")
    assert terms_rows(kb.conn) == 0


def test_a_database_indexed_before_m005_is_filled_when_the_knowledge_base_opens(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = WriteDatabase(connect(path))
    db.execute("PRAGMA foreign_keys = ON")
    assert migrations.apply(db, migrations.MIGRATIONS[:4])[-1] == "m004_attachments"
    with db.conn:
        db.conn.execute("INSERT INTO kb_collections (id, name, created_at) VALUES (1, 'old', 0)")
        db.conn.executemany("INSERT INTO kb_files (id, collection_id, path, status) VALUES (?, 1, ?, 'indexed')",
                            [(1, "/old/GPL-2"), (2, "/old/notes.md")])
        db.conn.executemany(
            "INSERT INTO kb_chunks (file_id, collection_id, ord, text, heading, line_start, line_end, tokens) "
            "VALUES (?, 1, ?, ?, ?, 1, 1, 10)",
            [(1, 0, "You may copy verbatim copies.", ""), (2, 0, "温度越高，回答越随机。", "Sampling › Heat"),
             (2, 1, "Warranties are disclaimed.", "Sampling › Law")]
            + [(2, i, f"Filler paragraph number {i}.", "") for i in range(2, 2500)])
    db.conn.close()

    store = Store(path)                                      # applies m005: the table, still empty
    try:
        conn = store.conn
        assert "kb_terms_fts" in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert terms_rows(conn) == 0 and terms.needs_backfill(conn)
        assert terms.fill_missing(store) == 2501              # what KnowledgeBase() does when it opens
        assert not terms.needs_backfill(conn) and terms.fill_missing(store) == 0
        assert terms_rows(conn) == conn.execute("SELECT count(*) FROM kb_chunks").fetchone()[0] == 2501
        rows = dict(conn.execute("SELECT c.ord, t.terms || ' | ' || t.title FROM kb_terms_fts t "
                                 "JOIN kb_chunks c ON c.id = t.rowid WHERE c.file_id = 2 AND c.ord < 2"))
        assert rows == {0: "sampl heat 温度 度越 越高 回答 答越 越随 随机 | note sampl",
                        1: "sampl law warranti disclaim | note sampl"}
        assert keyword_search(conn, [1], "溫度", 5)[0][0] == conn.execute(
            "SELECT id FROM kb_chunks WHERE file_id = 2 AND ord = 0").fetchone()[0]
        gpl = keyword_search(conn, [1], "GPL 2 copies", 5)
        assert gpl and gpl[0][0] == conn.execute("SELECT id FROM kb_chunks WHERE file_id = 1").fetchone()[0]
        with conn:
            conn.execute("DELETE FROM kb_files WHERE id = 2")        # cascades to the chunks, then their terms
        assert terms_rows(conn) == 1
    finally:
        store.close()
    reopened = Store(path)
    assert "m005_terms" in migrations.applied(reopened.db) and not migrations.pending(reopened.db)
    reopened.close()


def test_the_knowledge_base_fills_old_terms_when_it_opens(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = WriteDatabase(connect(path))
    db.execute("PRAGMA foreign_keys = ON")
    migrations.apply(db, migrations.MIGRATIONS[:4])
    with db.conn:
        db.conn.execute("INSERT INTO kb_collections (id, name, created_at) VALUES (1, 'old', 0)")
        db.conn.execute("INSERT INTO kb_files (id, collection_id, path, status) VALUES (1, 1, '/old/a.md', 'indexed')")
        db.conn.execute("INSERT INTO kb_chunks (file_id, collection_id, ord, text, heading, line_start, line_end,"
                        " tokens) VALUES (1, 1, 0, '幻覺是編造的事實。', '', 1, 1, 5)")
    db.conn.close()
    store = Store(path)
    kb = KnowledgeBase(store, runtime=None)
    try:
        assert terms_rows(store.conn) == 1
        assert keyword_search(store.conn, [1], "幻觉", 5)
    finally:
        kb.close()
        store.close()
