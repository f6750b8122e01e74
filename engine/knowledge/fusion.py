"""Reciprocal-rank fusion: one ranking from several, using ranks only.

Each list gives an item ``weight / (k + rank)`` (rank 1-based), and the
sums decide (Cormack, Clarke & Büttcher, 2009). Ranks are all it needs, so
cosine similarities and bm25 scores never have to be put on one scale.
``RRF_K`` was checked against the benchmark's tune split (see below).
"""
from __future__ import annotations

from typing import Hashable, Sequence, TypeVar

T = TypeVar("T", bound=Hashable)

# 60 in the paper; on the tune split of ``hearth bench kb-quality`` (with the reranker after it) 10–20 did
# better than 60: the head of each list matters more than its tail.
RRF_K = 20


def rrf(
    ranked_lists: Sequence[Sequence[T]], k: int = RRF_K, weights: Sequence[float] | None = None
) -> list[tuple[T, float]]:
    """``(item, fused score)`` best first.

    An item repeated within one list counts at its first (best) rank. Equal
    scores are ordered by the best rank the item reached in any list, then
    by the order of the lists, then by the item itself.
    """
    if k < 0:
        raise ValueError(f"k must not be negative, not {k}")
    if weights is None:
        weights = [1.0] * len(ranked_lists)
    elif len(weights) != len(ranked_lists):
        raise ValueError(f"{len(weights)} weights for {len(ranked_lists)} lists")
    scores: dict[T, float] = {}
    best: dict[T, tuple[int, int]] = {}     # (best rank, list that gave it)
    for which, (ranking, weight) in enumerate(zip(ranked_lists, weights)):
        seen: set[T] = set()
        for rank, item in enumerate(ranking, start=1):
            if item in seen:
                continue
            seen.add(item)
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
            if item not in best or (rank, which) < best[item]:
                best[item] = (rank, which)
    return sorted(scores.items(), key=lambda entry: (-entry[1], best[entry[0]], entry[0]))
