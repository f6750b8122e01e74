"""The searched form of text: traditional/simplified, width, case, pinyin glosses, Snowball stems, highlights."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from engine.knowledge.normalize import cjk_share, fold, index_terms, query_terms, spans


def highlighted(text: str, terms: list[str]) -> list[str]:
    return [text[start:end] for start, end in spans(text, terms)]


def test_traditional_and_simplified_fold_to_the_same_terms() -> None:
    assert fold("隨機") == fold("随机") == "随机"
    assert fold("調整") == fold("调整") == "调整"
    assert index_terms("隨機調整參數") == index_terms("随机调整参数") == ["随机", "机调", "调整", "整参", "参数"]
    assert query_terms("如何調整溫度？") == query_terms("如何调整温度？") == ["调整", "整温", "温度"]


def test_pinyin_glosses_are_left_out_of_the_searched_form() -> None:
    assert fold("應(yīng)用") == fold("应用") == "应用"
    assert fold("應（yìng）用程序") == "应用程序"
    assert index_terms("量化(liàng huà)模型") == index_terms("量化模型")
    assert fold("模型(model)") == "模型(model)"          # an English gloss is text, not pinyin
    assert "model" in index_terms("模型(model)")


def test_width_and_case() -> None:
    assert fold("ＧＰＵ") == fold("GPU") == "gpu"
    assert index_terms("ＧＰＵ加速") == ["gpu", "加速"]
    assert query_terms("Ｑ４ quantisation") == query_terms("q4 QUANTISATION")


def test_snowball_stems_and_british_spellings() -> None:
    assert index_terms("warranties") == index_terms("warranty") == ["warranti"]
    assert index_terms("licence") == index_terms("license") == index_terms("licensing")[:1] == ["licens"]
    assert index_terms("The licensee shall not be liable") == ["license", "liabl"]
    assert index_terms("colour behaviour") == index_terms("color behavior")


def test_question_words_are_not_searched_for() -> None:
    assert query_terms("温度是什么？") == ["温度"]
    assert "幻觉" in query_terms("什么是幻觉") and not any("什" in t or "么" in t for t in query_terms("什么是幻觉"))
    assert query_terms("What is the warranty?") == ["warranti"]
    assert query_terms("the of and") == []


def test_spans_are_in_the_original_text() -> None:
    text = "應(yīng)用 runs on the ＧＰＵ under the Licences."
    found = highlighted(text, index_terms("应用 gpu license"))
    assert found == ["應(yīng)用", "ＧＰＵ", "Licences"]
    assert highlighted("隨機調整", ["调整"]) == ["調整"]
    assert highlighted("Warranties and warranty", ["warranti"]) == ["Warranties", "warranty"]
    assert spans("text", []) == [] and spans("", ["text"]) == []


def test_spans_cover_combining_marks() -> None:
    text = "cafe\u0301 au lait"          # é written as e + a combining acute accent
    assert index_terms(text)[0] == "café"
    assert highlighted(text, ["café"]) == ["cafe\u0301"]


def test_cjk_share() -> None:
    assert cjk_share("") == 0.0
    assert cjk_share("only English words") == 0.0
    assert cjk_share("中文") == 1.0
    assert cjk_share("中文 text") == 2 / 6          # characters, not words


_PIECES = st.sampled_from(["應", "(yīng)", "（yìng）", "用", "隨機", "调整", "ＧＰＵ", "gpu", "Licence", "e\u0301",
                           "ﬁ", "İ", "ß", " ", "，", "。", "-", "_", "3", "(", ")", "\x00", "\u200b", "🙂"])
_TEXT = st.one_of(st.text(max_size=60), st.lists(_PIECES, max_size=20).map("".join))


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_fold_and_terms_never_raise(text: str) -> None:
    assert isinstance(fold(text), str)
    assert all(term and " " not in term for term in index_terms(text))
    assert len(set(query_terms(text))) == len(query_terms(text))


@settings(max_examples=400, deadline=None)
@given(_TEXT, st.data())
def test_spans_are_inside_the_text_sorted_and_apart(text: str, data: st.DataObject) -> None:
    terms = index_terms(text)
    chosen = data.draw(st.lists(st.sampled_from(terms), max_size=4)) if terms else ["gpu"]
    found = spans(text, chosen)
    end = -1
    for start, stop in found:
        assert 0 <= start < stop <= len(text)
        assert start > end                       # merged: none overlaps or touches the one before
        end = stop
    if terms:   # every indexed term can be highlighted where it came from
        assert spans(text, terms)
