"""Reciprocal-rank fusion."""
from __future__ import annotations

import pytest

from engine.knowledge.fusion import rrf
from engine.knowledge.indexer import _embed_text
from engine.knowledge.retrieval import FOREIGN_VECTOR_WEIGHT, VECTOR_WEIGHT, vector_weight


def test_scores_are_sums_of_reciprocal_ranks() -> None:
    fused = dict(rrf([[10, 20, 30], [30, 40]], k=60))
    assert fused[10] == pytest.approx(1 / 61)
    assert fused[30] == pytest.approx(1 / 63 + 1 / 61)
    assert fused[40] == pytest.approx(1 / 62)
    assert set(fused) == {10, 20, 30, 40}


def test_found_by_both_beats_found_by_one() -> None:
    fused = rrf([[1, 2, 3, 4], [5, 6, 3, 7]])
    assert [item for item, _ in fused][:1] == [3]
    scores = [score for _, score in fused]
    assert scores == sorted(scores, reverse=True)


def test_ties_are_broken_deterministically() -> None:
    # 1 and 5 tie (rank 1 in one list each): the list given first wins; then 2 and 6.
    fused = rrf([[1, 2], [5, 6]])
    assert [item for item, _ in fused] == [1, 5, 2, 6]
    assert [item for item, _ in rrf([[5, 6], [1, 2]])] == [5, 1, 6, 2]
    assert [item for item, _ in rrf([[9], [8]])] == [9, 8]       # not by id: by the list that found it
    assert rrf([[3, 1, 2], [2, 3, 1]]) == rrf([[3, 1, 2], [2, 3, 1]])


def test_weights() -> None:
    fused = rrf([[1, 2], [2, 1]], weights=[2.0, 1.0])
    assert [item for item, _ in fused] == [1, 2]
    fused = rrf([[1, 2], [2, 1]], weights=[1.0, 2.0])
    assert [item for item, _ in fused] == [2, 1]
    assert dict(rrf([[1]], weights=[0.5], k=0))[1] == pytest.approx(0.5)
    with pytest.raises(ValueError):
        rrf([[1], [2]], weights=[1.0])


def test_smaller_k_favours_top_ranks() -> None:
    lists = [[1, 2, 3, 4], [5, 6, 2, 7]]
    # 1 is first in one list only; 2 is second in one and third in the other.
    assert [i for i, _ in rrf(lists, k=0)][0] == 1
    assert [i for i, _ in rrf(lists, k=60)][0] == 2


def test_repeats_within_a_list_count_once_and_empty_input() -> None:
    assert dict(rrf([[4, 4, 4]], k=0)) == {4: 1.0}
    assert rrf([]) == []
    assert rrf([[], []]) == []


def test_an_english_only_model_weighs_less_on_a_chinese_question() -> None:
    assert FOREIGN_VECTOR_WEIGHT < VECTOR_WEIGHT
    assert vector_weight("all-MiniLM-L6-v2@c09a1626", "量化会不会让模型更容易瞎编") == FOREIGN_VECTOR_WEIGHT
    assert vector_weight("all-MiniLM-L6-v2@c09a1626", "Can I combine GPL code with AGPL code?") == VECTOR_WEIGHT
    assert vector_weight("all-MiniLM-L6-v2@c09a1626", "Q4_K_M 占多少内存") == FOREIGN_VECTOR_WEIGHT
    assert vector_weight("bge-m3@0123", "量化会不会让模型更容易瞎编") == VECTOR_WEIGHT      # multilingual
    assert vector_weight("my-own-embedder@0123", "量化会不会让模型更容易瞎编") == VECTOR_WEIGHT  # unknown: trusted


def test_the_embedded_text_names_the_file_and_heading() -> None:
    assert _embed_text("Terms › Section 2", "You may copy.", "/docs/GPL-2") == "GPL-2 › Terms › Section 2\nYou may copy."
    assert _embed_text("", "You may copy.", "/docs/my_notes.md") == "my notes\nYou may copy."
