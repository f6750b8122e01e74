"""A collection's embeddings as one float32 matrix in memory, searched by brute force.

Exact search is simple and fast enough for a desktop knowledge base: the
scan is one matrix-vector product (BLAS) over the packed rows, then
``argpartition`` for the top k. Its only temporary is the scores, 4 bytes
a chunk (4 MB at 1M, next to the matrix's 1.5 GB); past ``BLOCK_ROWS`` rows
the product is written into that array a block at a time, so no BLAS call
needs scratch space for the whole matrix. The scan reads every vector, so it
is bound by memory bandwidth: about 120 ms for 1M × 384 on one idle core
here. Vectors are L2-normalised by whoever embeds them, so the dot product
is the cosine similarity.

Memory, for 384-dimensional embeddings (``dim * 4`` bytes a chunk):

- per 100k chunks: 153.6 MB of vectors + 0.8 MB of chunk ids + about
  0.8 MB for the position table = about 155 MB (1,556 bytes a chunk);
- 1M chunks: about 1.55 GB. 768 dimensions double the vector part.

Loading 1M embeddings from SQLite takes 10–20 s; ``save``/``load`` keep a
``.npy`` copy that loads in 1–2 s (or is memory-mapped).

Appends double the capacity, so right after growing up to half the rows
may be empty; ``shrink()`` gives that back, and ``from_rows`` sizes the
matrix exactly when it can.

Rows are kept packed: removing a chunk moves the last rows into the holes
(vectorised, so removing 10k of 1M chunks takes milliseconds). Positions
are found through a table indexed by chunk id (SQLite rowids are small
non-negative integers); ids too sparse for a table fall back to a dict.

An index belongs to one thread at a time; nothing here locks.
"""
from __future__ import annotations

import os
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

FLOAT = np.float32
ID = np.int64
BLOCK_ROWS = 1 << 18          # rows per matrix-vector product in a long scan
LOAD_BATCH = 1 << 16          # rows joined into one buffer by from_rows
_MIN_CAPACITY = 1024
_DENSE_SLACK = 1 << 20        # a position table may span this many ids beyond 4 × the rows


class VectorIndex:
    """Chunk ids and their embeddings; exact top-k by cosine similarity."""

    def __init__(self, dim: int, capacity: int = 0) -> None:
        if dim <= 0:
            raise ValueError(f"dim must be positive, not {dim}")
        self.dim = int(dim)
        capacity = max(int(capacity), 0)
        self._mat = np.empty((capacity, self.dim), dtype=FLOAT)
        self._ids = np.empty(capacity, dtype=ID)
        self._n = 0
        # chunk id → row; -1 where absent. None while ids are kept in _pos_dict.
        self._pos: np.ndarray | None = np.full(0, -1, dtype=ID)
        self._pos_dict: dict[int, int] | None = None

    # --- size -----------------------------------------------------------------

    def __len__(self) -> int:
        return self._n

    def __contains__(self, chunk_id: object) -> bool:
        try:
            key = int(chunk_id)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return False
        return bool(self._lookup(np.array([key], dtype=ID))[0] >= 0)

    @property
    def capacity(self) -> int:
        return self._mat.shape[0]

    @property
    def nbytes(self) -> int:
        """Bytes held by the matrix, the id array and the position table (dict entries estimated)."""
        table = self._pos.nbytes if self._pos is not None else 100 * len(self._pos_dict or ())
        return int(self._mat.nbytes + self._ids.nbytes + table)

    @property
    def ids(self) -> np.ndarray:
        """The chunk ids, in row order (a read-only view)."""
        view = self._ids[: self._n]
        view.flags.writeable = False
        return view

    def vectors(self) -> np.ndarray:
        """The vectors, in row order (a read-only view)."""
        view = self._mat[: self._n]
        view.flags.writeable = False
        return view

    def shrink(self) -> None:
        """Give back the rows reserved for appends."""
        self._resize(self._n)

    # --- changes --------------------------------------------------------------

    def add(self, ids: np.ndarray | Iterable[int], vectors: np.ndarray) -> None:
        """Add vectors; an id already present has its vector replaced.

        Within one call, the last vector given for an id wins.
        """
        ids_arr = np.asarray(ids, dtype=ID).reshape(-1)
        vecs = np.asarray(vectors, dtype=FLOAT)
        if vecs.ndim == 1:
            vecs = vecs.reshape(1, -1)
        if vecs.ndim != 2 or vecs.shape[1] != self.dim:
            raise ValueError(f"vectors must have shape (n, {self.dim}), not {vectors.shape}")
        if vecs.shape[0] != ids_arr.shape[0]:
            raise ValueError(f"{ids_arr.shape[0]} ids for {vecs.shape[0]} vectors")
        if ids_arr.size == 0:
            return
        # Keep the last occurrence of each id.
        rev_unique, rev_first = np.unique(ids_arr[::-1], return_index=True)
        if rev_unique.size != ids_arr.size:
            keep = np.sort(ids_arr.size - 1 - rev_first)
            ids_arr, vecs = ids_arr[keep], vecs[keep]
        pos = self._lookup(ids_arr)
        present = pos >= 0
        if present.any():
            self._mat[pos[present]] = vecs[present]
        new = ~present
        count = int(new.sum())
        if count == 0:
            return
        self._reserve(self._n + count)
        start, end = self._n, self._n + count
        self._mat[start:end] = vecs[new]
        self._ids[start:end] = ids_arr[new]
        self._assign(ids_arr[new], np.arange(start, end, dtype=ID))
        self._n = end

    def remove(self, ids: np.ndarray | Iterable[int]) -> int:
        """Remove these ids (absent ones are ignored); returns how many were removed."""
        ids_arr = np.unique(np.asarray(ids, dtype=ID).reshape(-1))
        if ids_arr.size == 0 or self._n == 0:
            return 0
        pos = self._lookup(ids_arr)
        holes = np.sort(pos[pos >= 0])
        count = int(holes.size)
        if count == 0:
            return 0
        self._forget(self._ids[holes])
        new_n = self._n - count
        # Rows past the new end that survive fill the holes before it.
        tail = np.ones(count, dtype=bool)
        tail[holes[holes >= new_n] - new_n] = False
        movers = np.nonzero(tail)[0] + new_n
        targets = holes[holes < new_n]
        if movers.size:
            self._mat[targets] = self._mat[movers]
            self._ids[targets] = self._ids[movers]
            self._assign(self._ids[targets], targets)
        self._n = new_n
        return count

    # --- search ---------------------------------------------------------------

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | Iterable[int] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` ids most similar to ``query``, best first, with their scores.

        ``allowed`` limits the search to those chunk ids (absent ones are
        ignored). Equal scores among those returned come in row order. Returns
        int64 ids and float32 scores.
        """
        q = np.asarray(query, dtype=FLOAT).reshape(-1)
        if q.shape[0] != self.dim:
            raise ValueError(f"query must have {self.dim} dimensions, not {q.shape[0]}")
        empty = (np.empty(0, dtype=ID), np.empty(0, dtype=FLOAT))
        if k <= 0 or self._n == 0:
            return empty
        if allowed is not None:
            allowed_arr = np.asarray(allowed, dtype=ID).reshape(-1)
            rows = self._lookup(np.unique(allowed_arr))
            rows = np.sort(rows[rows >= 0])
            if rows.size == 0:
                return empty
            if rows.size * 4 < self._n:
                scores = self._mat[rows] @ q             # gather: a small subset
            else:
                scores = self._scan(q)[rows]
            top = _top_k(scores, k)
            return self._ids[rows[top]].copy(), scores[top]
        scores = self._scan(q)
        top = _top_k(scores, k)
        return self._ids[top].copy(), scores[top]

    def _scan(self, q: np.ndarray) -> np.ndarray:
        """Scores of every row, computed a block at a time."""
        n = self._n
        if n <= BLOCK_ROWS:
            return self._mat[:n] @ q
        out = np.empty(n, dtype=FLOAT)
        for start in range(0, n, BLOCK_ROWS):
            end = min(start + BLOCK_ROWS, n)
            np.matmul(self._mat[start:end], q, out=out[start:end])
        return out

    # --- loading --------------------------------------------------------------

    @classmethod
    def from_rows(
        cls, rows: Iterable[tuple[int, bytes | None]], dim: int, *, expected: int | None = None
    ) -> "VectorIndex":
        """Build an index from ``(chunk_id, float32 blob)`` rows, e.g. a SQLite cursor.

        Blobs are joined a batch at a time and read with ``np.frombuffer``;
        rows whose blob is missing or of another size are skipped.
        ``expected`` (or ``len(rows)``) sizes the matrix up front.
        """
        if expected is None and hasattr(rows, "__len__"):
            expected = len(rows)  # type: ignore[arg-type]
        index = cls(dim, capacity=expected or 0)
        width = index.dim * FLOAT().itemsize
        for batch in _batches(iter(rows), LOAD_BATCH):
            ids = [row[0] for row in batch]
            blobs = [row[1] for row in batch]
            if not all(blob is not None and len(blob) == width for blob in blobs):
                keep = [i for i, blob in enumerate(blobs) if blob is not None and len(blob) == width]
                ids = [ids[i] for i in keep]
                blobs = [blobs[i] for i in keep]
            if not ids:
                continue
            buffer = b"".join(blobs)
            vecs = np.frombuffer(buffer, dtype=FLOAT).reshape(len(ids), index.dim)
            index.add(np.array(ids, dtype=ID), vecs)
        return index

    def save(self, folder: str | Path) -> None:
        """Write ``vectors.npy`` and ``ids.npy`` into ``folder``: a cache that loads in 1–2 s at 1M.

        Reading 1M embeddings back from SQLite takes 10–20 s (the blobs sit
        between the chunks' text); whoever keeps this cache decides when it
        is stale (e.g. by the chunk count and largest chunk id it was made from).
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, array in (("vectors", self._mat[: self._n]), ("ids", self._ids[: self._n])):
            part = folder / f"{name}.npy.part"
            with open(part, "wb") as handle:
                np.save(handle, array)
            os.replace(part, folder / f"{name}.npy")

    @classmethod
    def load(cls, folder: str | Path, *, mmap: bool = False) -> "VectorIndex":
        """An index from ``save``'s files. ``mmap`` maps the vectors copy-on-write instead of reading them."""
        folder = Path(folder)
        mat = np.load(folder / "vectors.npy", mmap_mode="c" if mmap else None)
        ids = np.load(folder / "ids.npy")
        if mat.ndim != 2 or mat.dtype != FLOAT or ids.shape != (mat.shape[0],):
            raise ValueError(f"{folder} does not hold a vector index")
        index = cls(mat.shape[1])
        index._mat, index._ids = mat, ids.astype(ID, copy=False)
        index._n = mat.shape[0]
        if index._n and (np.unique(index._ids).size != index._n):
            raise ValueError(f"{folder} holds repeated chunk ids")
        index._assign(index._ids, np.arange(index._n, dtype=ID))
        return index

    # --- internals ------------------------------------------------------------

    def _reserve(self, rows: int) -> None:
        if rows > self.capacity:
            self._resize(max(rows, 2 * self.capacity, _MIN_CAPACITY))

    def _resize(self, capacity: int) -> None:
        mat = np.empty((capacity, self.dim), dtype=FLOAT)
        ids = np.empty(capacity, dtype=ID)
        mat[: self._n] = self._mat[: self._n]
        ids[: self._n] = self._ids[: self._n]
        self._mat, self._ids = mat, ids

    def _lookup(self, ids: np.ndarray) -> np.ndarray:
        """Row of each id, -1 where absent."""
        if self._pos is None:
            get = (self._pos_dict or {}).get
            return np.fromiter((get(i, -1) for i in ids.tolist()), dtype=ID, count=ids.size)
        table = self._pos
        inside = (ids >= 0) & (ids < table.size)
        out = np.full(ids.shape, -1, dtype=ID)
        out[inside] = table[ids[inside]]
        return out

    def _assign(self, ids: np.ndarray, rows: np.ndarray) -> None:
        if self._pos is not None and ids.size:
            low, high = int(ids.min()), int(ids.max())
            if low < 0 or high >= 4 * max(self._n + ids.size, self.capacity) + _DENSE_SLACK:
                self._to_dict()
            elif high >= self._pos.size:
                grown = np.full(max(high + 1, 2 * self._pos.size), -1, dtype=ID)
                grown[: self._pos.size] = self._pos
                self._pos = grown
        if self._pos is not None:
            self._pos[ids] = rows
        else:
            assert self._pos_dict is not None
            self._pos_dict.update(zip(ids.tolist(), rows.tolist()))

    def _forget(self, ids: np.ndarray) -> None:
        if self._pos is not None:
            self._pos[ids] = -1
        else:
            assert self._pos_dict is not None
            for key in ids.tolist():
                self._pos_dict.pop(key, None)

    def _to_dict(self) -> None:
        ids = self._ids[: self._n]
        self._pos_dict = dict(zip(ids.tolist(), range(self._n)))
        self._pos = None


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest scores, highest first (ties: lower index first)."""
    n = scores.shape[0]
    if k < n:
        part = np.argpartition(-scores, k - 1)[:k]
    else:
        part = np.arange(n)
    # lexsort's last key is primary: score descending, then index ascending.
    order = np.lexsort((part, -scores[part]))
    return part[order]


def _batches(rows: Iterator[tuple[int, bytes | None]], size: int) -> Iterator[list[tuple[int, bytes | None]]]:
    while True:
        batch = list(islice(rows, size))
        if not batch:
            return
        yield batch


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    vecs = np.asarray(vectors, dtype=FLOAT)
    norms = np.linalg.norm(vecs, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    return vecs / norms
