"""Keyword search: questions to FTS5 trigram queries, English and Chinese, on a real database."""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Iterator

import pytest

from engine.knowledge import keyword
from engine.knowledge.keyword import keyword_query, keyword_search, query_terms, quote, stem
from engine.store import Store

CHUNKS = {
    # id: (collection, heading, text)
    1: (1, "Warranty", "The warranty covers manufacturing defects for two years after delivery."),
    2: (1, "Shipping", "Orders ship within five business days; tracking numbers are emailed."),
    3: (1, "", "本合同的保证条款规定，卖方对产品质量负责十二个月。"),
    4: (1, "", "付款方式为银行转账，发票在交货后开具。"),
    5: (2, "Returns", "A warranty claim needs the original receipt and the serial number."),
    6: (2, "", "服务器配置要求：至少八个处理器核心和三十二千兆字节内存。"),
    7: (1, "Kangaroo", "Marsupials of Australia, briefly described."),
    8: (1, "Fauna", "The kangaroo is a marsupial of Australia, briefly described."),
    9: (1, "", "合同一式两份，双方各执一份。"),
}


def fill(conn: sqlite3.Connection, chunks: dict[int, tuple[int, str, str]]) -> None:
    with conn:
        conn.execute("INSERT INTO kb_collections (id, name, created_at) VALUES (1, 'contracts', 0), (2, 'support', 0)")
        conn.execute("INSERT INTO kb_files (id, collection_id, path, status) VALUES (1, 1, '/c.md', 'indexed'),"
                     " (2, 2, '/s.md', 'indexed')")
        conn.executemany(
            "INSERT INTO kb_chunks (id, file_id, collection_id, ord, text, heading, line_start, line_end, tokens)"
            " VALUES (?, ?, ?, ?, ?, ?, 1, 1, 10)",
            [(cid, coll, coll, cid, text, heading) for cid, (coll, heading, text) in chunks.items()],
        )


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    store = Store(tmp_path / "hearth.db")
    fill(store.conn, CHUNKS)
    yield store.conn
    store.close()


def ids(hits: list[tuple[int, float]]) -> list[int]:
    return [chunk_id for chunk_id, _ in hits]


# --- turning questions into queries ---------------------------------------------

def test_english_question_loses_stopwords_and_short_terms() -> None:
    assert keyword_query("What are the warranties of the TV?") == '"warrant"'
    assert keyword_query("How is indexing done for classes") == '"index" OR "done" OR "class"'
    assert keyword_query("the of and a an it") is None
    assert keyword_query("") is None


def test_light_stemming_keeps_five_characters() -> None:
    assert stem("warranties") == "warrant"
    assert stem("contracts") == "contract"
    assert stem("running") == "running"          # "runn" would be too short
    assert stem("status") == "status"
    assert stem("classes") == "class"


def test_chinese_runs_become_trigram_windows() -> None:
    assert keyword_query("保证条款") == '"保证条" OR "证条款"'
    # Question words do not make windows of their own.
    assert keyword_query("保证条款是什么") == '"保证条" OR "证条款"'
    terms = query_terms("合同的期限是多久")
    assert "合同期" in terms.fts and "同期限" in terms.fts      # also taken without the particles
    assert terms.pairs == ["合同", "期限"]
    assert keyword_query("合同") is None and query_terms("合同").pairs == ["合同"]


def test_mixed_question() -> None:
    assert keyword_query("GPL-3 license 的保证条款") == '"gpl-3" OR "license" OR "的保证" OR "保证条" OR "证条款"'


def test_terms_are_quoted_fts_strings() -> None:
    assert quote('say "hi"') == '"say ""hi"""'
    query = keyword_query('NEAR(alpha beta) "gamma" -delta: epsilon* OR zeta^ AND {eta}')
    assert query == '"near" OR "alpha" OR "beta" OR "gamma" OR "delta" OR "epsilon" OR "zeta" OR "eta"'


# --- searching ------------------------------------------------------------------

def test_english_chunk_found_by_a_question_with_stopwords(conn: sqlite3.Connection) -> None:
    hits = keyword_search(conn, [1, 2], "What do the warranties cover?", 10)
    assert ids(hits)[:2] == [1, 5] or ids(hits)[:2] == [5, 1]
    assert 1 in ids(hits) and 2 not in ids(hits)
    assert all(score < 0 for _, score in hits)                     # bm25: lower is better
    assert [s for _, s in hits] == sorted(s for _, s in hits)


def test_more_terms_rank_higher(conn: sqlite3.Connection) -> None:
    hits = keyword_search(conn, [1, 2], "warranty for manufacturing defects", 10)
    assert ids(hits)[0] == 1


def test_text_weighs_more_than_heading(conn: sqlite3.Connection) -> None:
    hits = keyword_search(conn, [1], "kangaroo", 10)
    assert ids(hits) == [8, 7]


def test_chinese_chunk_found_by_a_chinese_question_without_spaces(conn: sqlite3.Connection) -> None:
    assert ids(keyword_search(conn, [1, 2], "保证条款是什么", 10)) == [3]
    assert ids(keyword_search(conn, [1, 2], "服务器的配置要求有哪些？", 10))[0] == 6
    assert ids(keyword_search(conn, [1, 2], "What is 保证条款?", 10)) == [3]


def test_two_character_words_are_searched_with_like(conn: sqlite3.Connection) -> None:
    assert sorted(ids(keyword_search(conn, [1, 2], "合同", 10))) == [3, 9]
    assert ids(keyword_search(conn, [1, 2], "发票", 10)) == [4]


def test_search_is_restricted_to_collections(conn: sqlite3.Connection) -> None:
    assert ids(keyword_search(conn, [1], "warranty claim", 10)) == [1]
    assert ids(keyword_search(conn, [2], "warranty claim", 10)) == [5]
    assert ids(keyword_search(conn, [2], "保证条款", 10)) == []
    assert keyword_search(conn, [], "warranty", 10) == []
    assert keyword_search(conn, [3], "warranty", 10) == []
    assert keyword_search(conn, [2], "合同", 10) == []


def test_k_limits_the_results(conn: sqlite3.Connection) -> None:
    assert len(keyword_search(conn, [1, 2], "warranty", 1)) == 1
    assert keyword_search(conn, [1, 2], "warranty", 0) == []


@pytest.mark.parametrize("question", [
    '"', '""', '"warranty', 'warranty*', "NEAR(", "NEAR(warranty delivery", "-warranty", "warranty:", ":",
    "heading:warranty", "(", ")", "^warranty", "warranty AND", "OR OR", "{text}: x", "'", "\\", "%", "_",
    "\x00", "保证条款\"", "   ", "ｗａｒｒａｎｔｙ", "🙂🙂🙂",
])
def test_odd_questions_never_raise(conn: sqlite3.Connection, question: str) -> None:
    hits = keyword_search(conn, [1, 2], question, 5)
    assert isinstance(hits, list)
    if "warranty" in question:
        assert 1 in ids(hits)


def test_an_fts_error_finds_nothing(conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyword, "quote", lambda term: term + " NEAR(")     # break the quoting on purpose
    with pytest.raises(sqlite3.OperationalError):
        conn.execute("SELECT rowid FROM kb_chunks_fts WHERE kb_chunks_fts MATCH ?", ["warranty NEAR("]).fetchall()
    assert keyword_search(conn, [1, 2], "warranty", 5) == []


def test_common_terms_only_lift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chunks = {i: (1, "", f"the system log number {i} says nothing much") for i in range(1, 30)}
    chunks[40] = (1, "", "a zeppelin flight over the lake")
    chunks[41] = (1, "", "the zeppelin system was repaired")
    chunks[42] = (2, "", "the zeppelin system in the other collection")
    store = Store(tmp_path / "hearth.db")
    fill(store.conn, chunks)
    monkeypatch.setattr(keyword, "COMMON_DF", 10)
    seen: list[str] = []
    real = keyword._search_bm25
    monkeypatch.setattr(keyword, "_search_bm25", lambda c, s, terms, lifting, k: seen.extend(terms) or real(
        c, s, terms, lifting, k))
    hits = keyword_search(store.conn, [1], "zeppelin system", 10)
    assert seen == ["zeppelin"]                     # "system" is in 31 chunks: not in the MATCH...
    assert ids(hits) == [41, 40]                    # ...but it lifts the chunk that has it
    # Every term common: chunks holding all of them, scored by counts, still in the collection.
    hits = keyword_search(store.conn, [1], "system log", 5)
    assert len(hits) == 5 and set(ids(hits)) <= set(range(1, 30))
    assert all(score < 0 for _, score in hits)
    store.close()


def test_fallback_without_fts(conn: sqlite3.Connection) -> None:
    with conn:
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'kb_chunks_fts%'"
                                    ).fetchall():
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("DROP TABLE kb_chunks_fts")
    assert not keyword.has_fts(conn)
    hits = keyword_search(conn, [1, 2], "What do the warranties cover?", 10)
    assert sorted(ids(hits)) == [1, 5]
    assert ids(keyword_search(conn, [1], "warranty claim", 10)) == [1]
    assert ids(keyword_search(conn, [1, 2], "保证条款是什么", 10)) == [3]
    assert sorted(ids(keyword_search(conn, [1, 2], "合同", 10))) == [3, 9]
    assert ids(keyword_search(conn, [1, 2], "manufacturing defects warranty", 10))[0] == 1
    assert keyword_search(conn, [1, 2], '100% "_\\', 10) == []
    assert keyword_search(conn, [1, 2], "NEAR(", 10) == []
