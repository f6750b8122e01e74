"""Keyword search: questions to terms-index queries, English and Chinese, on a real database."""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Iterator

import pytest

from engine.knowledge import keyword
from engine.knowledge.keyword import exact_strings, explain, keyword_query, keyword_search, quote
from engine.knowledge.records import ChunkDraft
from engine.knowledge.terms import store_terms
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
    8: (1, "Fauna", "The kangaroo is a marsupial of Australia, briefly described, with a long tail and a pouch."),
    9: (1, "", "合同一式兩份，雙方各執一份。"),
    10: (1, "Models", "Download the Q4_K_M file; it is the usual choice."),
    11: (1, "Models", "For q4 pick k small and m medium when unsure, k before m."),
}


def fill(conn: sqlite3.Connection, chunks: dict[int, tuple[int, str, str]]) -> None:
    """One file per chunk, stored (chunk and terms) as the indexer stores them."""
    with conn:
        conn.execute("INSERT INTO kb_collections (id, name, created_at) VALUES (1, 'contracts', 0), (2, 'support', 0)")
        for cid, (coll, heading, text) in chunks.items():
            conn.execute("INSERT INTO kb_files (id, collection_id, path, status) VALUES (?, ?, ?, 'indexed')",
                         (cid, coll, f"/docs/note{cid}.md"))
            conn.execute("INSERT INTO kb_chunks (id, file_id, collection_id, ord, text, heading, line_start, "
                         "line_end, tokens) VALUES (?, ?, ?, 0, ?, ?, 1, 1, 10)", (cid, cid, coll, text, heading))
            store_terms(conn, cid, f"/docs/note{cid}.md", [ChunkDraft(text, 1, 1, 10, heading=heading)])


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    store = Store(tmp_path / "hearth.db")
    fill(store.conn, CHUNKS)
    yield store.conn
    store.close()


def ids(hits: list[tuple[int, float]]) -> list[int]:
    return [chunk_id for chunk_id, _ in hits]


# --- turning questions into queries ---------------------------------------------

def test_english_question_loses_stopwords_and_is_stemmed() -> None:
    assert keyword_query("What are the warranties of the TV?") == '"warranti" OR "tv"'
    assert keyword_query("How is indexing done for classes") == '"index" OR "done" OR "class"'
    assert keyword_query("the of and a an it") is None
    assert keyword_query("") is None


def test_chinese_runs_become_two_character_terms() -> None:
    assert keyword_query("保证条款") == '"保证" OR "证条" OR "条款"'
    assert keyword_query("保證條款是什麼") == '"保证" OR "证条" OR "条款"'      # traditional, question words
    assert keyword_query("合同") == '"合同"'


def test_terms_are_quoted_fts_strings() -> None:
    assert quote('say "hi"') == '"say ""hi"""'
    query = keyword_query('NEAR(alpha beta) "gamma" -delta: epsilon* OR zeta^ AND {eta}')
    assert query == '"near" OR "alpha" OR "beta" OR "gamma" OR "delta" OR "epsilon" OR "zeta" OR "eta"'


def test_exact_strings_are_code_like_tokens_and_quoted_phrases() -> None:
    assert exact_strings("Which file is Q4_K_M?") == ["Q4_K_M"]
    assert exact_strings("Is CVE-2024-3094 fixed, and what is its sha256?") == ["CVE-2024-3094", "sha256"]
    assert exact_strings("Does GPL-3.0 allow it") == ["GPL-3.0"]
    assert exact_strings('What does "serial number" mean?') == ["serial number"]
    assert exact_strings("「保证条款」是什么") == ["保证条款"]
    assert exact_strings("ＧＰＬ－３ text") == ["GPL-3"]                       # full width, as typed otherwise
    assert exact_strings("xz 5.6.1 in src/main.py or README.md") == ["5.6.1", "src/main.py", "README.md"]
    assert exact_strings("plain words in 2024, no codes") == []
    assert exact_strings("third-party code, e.g. a plug-in") == []            # words, not codes
    assert exact_strings('a "" b "xy" c') == []                                 # shorter than a trigram


# --- searching ------------------------------------------------------------------

def test_english_chunk_found_by_a_question_with_stopwords(conn: sqlite3.Connection) -> None:
    hits = keyword_search(conn, [1, 2], "What do the warranties cover?", 10)
    assert ids(hits)[0] == 1 and set(ids(hits)) == {1, 5}
    assert all(score < 0 for _, score in hits)                     # bm25: lower is better
    assert [s for _, s in hits] == sorted(s for _, s in hits)


def test_more_terms_rank_higher(conn: sqlite3.Connection) -> None:
    assert ids(keyword_search(conn, [1, 2], "warranty for manufacturing defects", 10))[0] == 1
    assert ids(keyword_search(conn, [1, 2], "warranty claim receipt", 10))[0] == 5


def test_chinese_chunk_found_by_a_chinese_question_without_spaces(conn: sqlite3.Connection) -> None:
    assert ids(keyword_search(conn, [1, 2], "保证条款是什么", 10))[0] == 3
    assert ids(keyword_search(conn, [1, 2], "服务器的配置要求有哪些？", 10))[0] == 6
    assert ids(keyword_search(conn, [1, 2], "What is 保证条款?", 10))[0] == 3


def test_two_character_words_are_terms(conn: sqlite3.Connection) -> None:
    assert sorted(ids(keyword_search(conn, [1, 2], "合同", 10))) == [3, 9]
    assert ids(keyword_search(conn, [1, 2], "发票", 10)) == [4]
    assert ids(keyword_search(conn, [1, 2], "双方", 10)) == [9]                 # 雙方 in the text


def test_search_is_restricted_to_collections(conn: sqlite3.Connection) -> None:
    assert ids(keyword_search(conn, [1], "warranty claim", 10)) == [1]
    assert ids(keyword_search(conn, [2], "warranty claim", 10)) == [5]
    assert ids(keyword_search(conn, [2], "保证条款", 10)) == []
    assert keyword_search(conn, [], "warranty", 10) == []
    assert keyword_search(conn, [3], "warranty", 10) == []
    assert keyword_search(conn, [2], "合同", 10) == []
    assert ids(keyword_search(conn, [2], "Q4_K_M", 10)) == []                   # exact strings too


def test_k_limits_the_results(conn: sqlite3.Connection) -> None:
    assert len(keyword_search(conn, [1, 2], "warranty", 1)) == 1
    assert keyword_search(conn, [1, 2], "warranty", 0) == []


def test_an_exact_string_lifts_the_chunk_that_holds_it(conn: sqlite3.Connection,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # Its terms alone (q4 k m) favour chunk 11, which repeats them apart.
    monkeypatch.setattr(keyword, "EXACT_BOOST", 0.0)
    assert ids(keyword_search(conn, [1], "q4 k m", 10))[0] == 11
    monkeypatch.undo()
    assert ids(keyword_search(conn, [1], "Which file is Q4_K_M?", 10))[0] == 10
    assert ids(keyword_search(conn, [1], "which is q4_k_m", 10))[0] == 10    # any case


def test_an_exact_string_brings_chunks_bm25_missed(conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyword, "RERANK_CANDIDATES", 1)
    hits = keyword_search(conn, [1, 2], 'warranty delivery "serial number"', 1)
    assert ids(hits) == [5]          # bm25's one candidate is chunk 1; chunk 5 holds the phrase


def test_common_terms_only_lift(conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyword, "COMMON_DF", 2)          # "warranti", "australia" … are now common
    hits = keyword_search(conn, [1, 2], "warranty receipt", 10)
    assert ids(hits) == [5]                               # bm25 on "receipt", lifted for "warranti"
    # Every term common: chunks holding all of them, scored by counts.
    assert sorted(ids(keyword_search(conn, [1, 2], "Australia marsupial", 10))) == [7, 8]
    assert set(ids(keyword_search(conn, [1, 2], "warranty", 10))) == {1, 5}


def test_adjacent_terms_rank_higher(conn: sqlite3.Connection) -> None:
    with conn:
        conn.execute("INSERT INTO kb_files (id, collection_id, path, status) VALUES (20, 1, '/x.md', 'indexed')")
        texts = ["The serial port and the number of the beast.", "Write the serial number on the form."]
        for i, text in enumerate(texts):
            conn.execute("INSERT INTO kb_chunks (id, file_id, collection_id, ord, text, line_start, line_end, "
                         "tokens) VALUES (?, 20, 1, ?, ?, 1, 1, 9)", (20 + i, i, text))
        store_terms(conn, 20, "/x.md", [ChunkDraft(t, 1, 1, 9) for t in texts])
    hits = ids(keyword_search(conn, [1], "serial number", 10))
    assert hits.index(21) < hits.index(20)


@pytest.mark.parametrize("question", [
    '"', '""', '"warranty', 'warranty*', "NEAR(", "NEAR(warranty delivery", "-warranty", "warranty:", ":",
    "heading:warranty", "(", ")", "^warranty", "warranty AND", "OR OR", "{text}: x", "'", "\\", "%", "_",
    "\x00", "保证条款\"", "   ", "ｗａｒｒａｎｔｙ", "🙂🙂🙂", '"NEAR(a b)"', "a-b-c-d", "x" * 5000,
    "Q4_K_M" * 300, '"' + "保证" * 500 + '"',
])
def test_odd_questions_never_raise(conn: sqlite3.Connection, question: str) -> None:
    hits = keyword_search(conn, [1, 2], question, 5)
    assert isinstance(hits, list)
    if "warranty" in question:
        assert 1 in ids(hits)
    assert isinstance(explain(conn, 1, question), dict)


def test_an_fts_error_finds_nothing(conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyword, "quote", lambda term: term + " NEAR(")     # break the quoting on purpose
    with pytest.raises(sqlite3.OperationalError):
        conn.execute("SELECT rowid FROM kb_terms_fts WHERE kb_terms_fts MATCH ?", ["warranty NEAR("]).fetchall()
    assert keyword_search(conn, [1, 2], "warranty", 5) == []


def test_explain_names_the_matched_terms_and_where_they_are(conn: sqlite3.Connection) -> None:
    why = explain(conn, 9, "一式兩份是什麼")                      # traditional, as the text is
    assert why["query_terms"] == ["一式", "式两", "两份"]
    assert why["text_terms"] == ["一式", "式两", "两份"] and why["adjacent"] == ["一式 式两", "式两 两份"]
    assert [CHUNKS[9][2][a:b] for a, b in why["text_spans"]] == ["一式兩份"]
    why = explain(conn, 10, "Which note has the Q4_K_M download?")
    assert why["text_terms"] == ["q4", "k", "m", "download"] and why["title_terms"] == ["note"]
    assert why["exact"] == ["Q4_K_M"]
    assert [CHUNKS[10][2][a:b] for a, b in why["text_spans"]] == ["Download", "Q4_K_M"]
    assert explain(conn, 999, "warranty")["text_terms"] == []


def test_without_fts5_a_bounded_scan_still_finds(conn: sqlite3.Connection) -> None:
    with conn:
        conn.execute("DROP TRIGGER kb_terms_fts_delete")
        conn.execute("DROP TABLE kb_terms_fts")
    assert ids(keyword_search(conn, [1, 2], "What do the warranties cover?", 10))[0] == 1
    assert sorted(ids(keyword_search(conn, [1, 2], "合同", 10))) == [3, 9]
    assert keyword_search(conn, [1, 2], "NEAR(", 10) == []
    assert explain(conn, 1, "warranty")["text_terms"] == ["warranti"]
