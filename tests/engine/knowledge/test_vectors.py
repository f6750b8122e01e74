"""The in-memory vector index: exact top-k, changes, filters, loading from SQLite."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from engine.knowledge.vectors import VectorIndex, normalise
from engine.store import Store

DIM = 32


def unit(rng: np.random.Generator, n: int, dim: int = DIM) -> np.ndarray:
    return normalise(rng.standard_normal((n, dim)))


def brute_force(ids: np.ndarray, vecs: np.ndarray, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    scores = vecs @ q
    order = np.argsort(-scores, kind="stable")[:k]
    return ids[order], scores[order]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def test_top_k_matches_brute_force(rng: np.random.Generator) -> None:
    vecs = unit(rng, 3000)
    ids = np.arange(10, 3010, dtype=np.int64)
    index = VectorIndex(DIM)
    for start in range(0, 3000, 700):                    # several appends: the matrix grows
        index.add(ids[start:start + 700], vecs[start:start + 700])
    assert len(index) == 3000
    for _ in range(20):
        q = unit(rng, 1)[0]
        for k in (1, 10, 50):
            got_ids, got_scores = index.search(q, k)
            want_ids, want_scores = brute_force(ids, vecs, q, k)
            assert got_ids.tolist() == want_ids.tolist()
            np.testing.assert_allclose(got_scores, want_scores, rtol=1e-5)
            assert np.all(np.diff(got_scores) <= 0)


def test_k_larger_than_the_index_and_empty_index(rng: np.random.Generator) -> None:
    index = VectorIndex(DIM)
    q = unit(rng, 1)[0]
    assert [a.size for a in index.search(q, 5)] == [0, 0]
    vecs = unit(rng, 3)
    index.add([1, 2, 3], vecs)
    ids, scores = index.search(q, 10)
    assert sorted(ids.tolist()) == [1, 2, 3]
    assert ids.tolist() == brute_force(np.array([1, 2, 3]), vecs, q, 10)[0].tolist()
    assert index.search(q, 0)[0].size == 0


def test_blocked_scan_matches_brute_force(rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.knowledge import vectors
    monkeypatch.setattr(vectors, "BLOCK_ROWS", 256)      # many blocks, the last one partial
    vecs = unit(rng, 1000)
    ids = np.arange(1000, dtype=np.int64)
    index = VectorIndex(DIM)
    index.add(ids, vecs)
    q = unit(rng, 1)[0]
    assert index.search(q, 25)[0].tolist() == brute_force(ids, vecs, q, 25)[0].tolist()


def test_replace_keeps_one_row_per_id(rng: np.random.Generator) -> None:
    index = VectorIndex(DIM)
    vecs = unit(rng, 100)
    index.add(np.arange(100), vecs)
    target = unit(rng, 1)[0]
    index.add([42], target[None, :])
    assert len(index) == 100
    ids, scores = index.search(target, 1)
    assert ids.tolist() == [42]
    assert scores[0] == pytest.approx(1.0, abs=1e-5)
    # Within one call the last vector given for an id wins.
    a, b = unit(rng, 2)
    index.add([7, 7], np.stack([a, b]))
    assert len(index) == 100
    np.testing.assert_allclose(index.vectors()[index.ids.tolist().index(7)], b, rtol=1e-6)


def test_remove_then_search_and_re_add(rng: np.random.Generator) -> None:
    vecs = unit(rng, 2000)
    ids = np.arange(1, 2001, dtype=np.int64)
    index = VectorIndex(DIM)
    index.add(ids, vecs)
    gone = rng.choice(ids, size=700, replace=False)
    assert index.remove(np.concatenate([gone, [999_999]])) == 700   # absent ids are ignored
    assert index.remove(gone) == 0
    keep = np.isin(ids, gone, invert=True)
    assert len(index) == keep.sum()
    assert sorted(index.ids.tolist()) == ids[keep].tolist()
    assert all(int(i) not in index for i in gone[:50])
    for _ in range(10):
        q = unit(rng, 1)[0]
        assert index.search(q, 20)[0].tolist() == brute_force(ids[keep], vecs[keep], q, 20)[0].tolist()
    # The removed ids can come back, and every remaining row still maps to its own vector.
    index.add(gone[:10], vecs[gone[:10] - 1])
    assert len(index) == keep.sum() + 10
    rows = dict(zip(index.ids.tolist(), index.vectors()))
    for chunk_id in rng.choice(index.ids, size=100):
        np.testing.assert_array_equal(rows[int(chunk_id)], vecs[int(chunk_id) - 1])


def test_remove_everything_and_the_last_rows() -> None:
    index = VectorIndex(4)
    index.add([1, 2, 3, 4], np.eye(4))
    assert index.remove([3, 4]) == 2                     # only rows at the end: nothing moves
    assert sorted(index.ids.tolist()) == [1, 2]
    assert index.remove([1, 2]) == 2
    assert len(index) == 0
    assert index.search(np.ones(4), 3)[0].size == 0


def test_removing_10k_of_a_large_index_is_fast(rng: np.random.Generator) -> None:
    n, dim = 200_000, 8
    index = VectorIndex(dim)
    index.add(np.arange(n), normalise(rng.standard_normal((n, dim), dtype=np.float32)))
    gone = rng.choice(n, size=10_000, replace=False)
    started = time.perf_counter()
    assert index.remove(gone) == 10_000
    elapsed = time.perf_counter() - started
    assert len(index) == n - 10_000
    assert elapsed < 0.5, f"removing 10k rows took {elapsed:.2f} s"


def test_allowed_limits_the_search(rng: np.random.Generator) -> None:
    vecs = unit(rng, 1000)
    ids = np.arange(1000, dtype=np.int64)
    index = VectorIndex(DIM)
    index.add(ids, vecs)
    q = unit(rng, 1)[0]
    for allowed in (ids[::50], ids[ids % 3 != 0]):       # a small subset (gathered) and a large one (masked)
        got, _ = index.search(q, 10, allowed=allowed)
        assert got.tolist() == brute_force(allowed, vecs[allowed], q, 10)[0].tolist()
        assert set(got.tolist()) <= set(allowed.tolist())
    assert index.search(q, 5, allowed=[5_000, 6_000])[0].size == 0
    assert index.search(q, 5, allowed=np.array([], dtype=np.int64))[0].size == 0


def test_sparse_ids_fall_back_to_a_dict(rng: np.random.Generator) -> None:
    vecs = unit(rng, 50)
    ids = np.array([2**40 + i * 7 for i in range(49)] + [-3], dtype=np.int64)
    index = VectorIndex(DIM)
    index.add(ids, vecs)
    assert index.remove(ids[:10]) == 10
    q = vecs[20]
    assert index.search(q, 1)[0].tolist() == [ids[20]]
    assert index.search(q, 3, allowed=ids[30:])[0].tolist() == brute_force(ids[30:], vecs[30:], q, 3)[0].tolist()


def test_bad_shapes_are_refused() -> None:
    index = VectorIndex(4)
    with pytest.raises(ValueError):
        index.add([1, 2], np.ones((3, 4)))
    with pytest.raises(ValueError):
        index.add([1], np.ones((1, 5)))
    with pytest.raises(ValueError):
        index.search(np.ones(3), 1)


def test_nbytes_and_shrink(rng: np.random.Generator) -> None:
    index = VectorIndex(DIM)
    index.add(np.arange(1000), unit(rng, 1000))
    index.add(np.arange(1000, 1500), unit(rng, 500))     # doubles the capacity
    assert index.capacity == 2048
    grown = index.nbytes
    index.shrink()
    assert index.capacity == 1500
    assert index.nbytes < grown
    assert index.nbytes >= 1500 * (DIM * 4 + 8)


def test_from_rows_round_trip_through_sqlite(tmp_path: Path, rng: np.random.Generator) -> None:
    store = Store(tmp_path / "hearth.db")
    conn = store.conn
    vecs = unit(rng, 300)
    with conn:
        conn.execute("INSERT INTO kb_collections (id, name, created_at) VALUES (1, 'docs', 0)")
        conn.execute("INSERT INTO kb_files (id, collection_id, path, status) VALUES (1, 1, '/a.md', 'indexed')")
        conn.executemany(
            "INSERT INTO kb_chunks (id, file_id, collection_id, ord, text, line_start, line_end, tokens, embedding)"
            " VALUES (?, 1, 1, ?, 'text', 1, 1, 1, ?)",
            [(i + 1, i, vecs[i].tobytes()) for i in range(300)],
        )
        # Not embedded yet, and an embedding of another model's size: both skipped.
        conn.execute("INSERT INTO kb_chunks (id, file_id, collection_id, ord, text, line_start, line_end, tokens)"
                     " VALUES (301, 1, 1, 300, 'pending', 1, 1, 1)")
        conn.execute("INSERT INTO kb_chunks (id, file_id, collection_id, ord, text, line_start, line_end, tokens,"
                     " embedding) VALUES (302, 1, 1, 301, 'other', 1, 1, 1, ?)", (np.ones(8, np.float32).tobytes(),))
    index = VectorIndex.from_rows(conn.execute("SELECT id, embedding FROM kb_chunks ORDER BY id"), DIM)
    assert len(index) == 300
    assert index.ids.tolist() == list(range(1, 301))
    np.testing.assert_array_equal(index.vectors(), vecs)
    q = unit(rng, 1)[0]
    assert index.search(q, 5)[0].tolist() == brute_force(np.arange(1, 301), vecs, q, 5)[0].tolist()
    store.close()


def test_from_rows_in_several_batches(monkeypatch: pytest.MonkeyPatch, rng: np.random.Generator) -> None:
    from engine.knowledge import vectors
    monkeypatch.setattr(vectors, "LOAD_BATCH", 64)
    vecs = unit(rng, 1000)
    rows = [(i, vecs[i].tobytes()) for i in range(1000)] + [(5, vecs[0].tobytes())]   # id 5 again: replaced
    index = VectorIndex.from_rows(iter(rows), DIM)
    assert len(index) == 1000
    np.testing.assert_array_equal(index.vectors()[5], vecs[0])
    np.testing.assert_array_equal(index.vectors()[999], vecs[999])


@pytest.mark.parametrize("mmap", [False, True])
def test_save_and_load(tmp_path: Path, rng: np.random.Generator, mmap: bool) -> None:
    vecs = unit(rng, 500)
    index = VectorIndex(DIM)
    index.add(np.arange(3, 503), vecs)
    index.remove([10, 11, 12])
    index.save(tmp_path / "cache")
    loaded = VectorIndex.load(tmp_path / "cache", mmap=mmap)
    assert loaded.ids.tolist() == index.ids.tolist()
    np.testing.assert_array_equal(loaded.vectors(), index.vectors())
    q = unit(rng, 1)[0]
    assert loaded.search(q, 7)[0].tolist() == index.search(q, 7)[0].tolist()
    # Changes after loading work, and never write into the cache files.
    loaded.add([20], vecs[:1])
    loaded.add([9_999], vecs[1:2])
    loaded.remove([30])
    assert len(loaded) == len(index)
    assert VectorIndex.load(tmp_path / "cache").ids.tolist() == index.ids.tolist()
    np.testing.assert_array_equal(VectorIndex.load(tmp_path / "cache").vectors(), index.vectors())
