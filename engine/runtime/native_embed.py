"""Embeddings through llama.cpp's C API: many texts per call, one vector each.

Runs inside the worker process, beside (never instead of) a chat model. The
texts of one call are packed into as few ``llama_batch`` es as possible, each
text its own sequence: llama.cpp pools every sequence (mean, CLS or last
token, as the model says) and we read one vector per sequence. Non-causal
models (BERT) need a whole batch in one micro-batch, so ``n_ubatch`` equals
``n_batch``. Vectors leave as L2-normalised float32 bytes, row-major; this
module uses no numpy (the worker stays light; the client converts).
"""
from __future__ import annotations

import ctypes
import math
import os
import time
from array import array
from typing import Any

import llama_cpp

from engine.runtime.native import NativeError, backend_name, init_backend, load_model, model_meta, tokenize_bytes

MAX_SEQUENCES = 256    # texts per batch (llama.cpp allows llama_max_parallel_sequences())
POOLING_NAMES = {0: "none", 1: "mean", 2: "cls", 3: "last", 4: "rank"}


class NativeEmbedder:
    """A loaded embedding model with one context sized for ``batch_tokens`` tokens per batch."""

    def __init__(self, path: str, *, n_threads: int, n_ctx: int | None = None, n_gpu_layers: int = -1,
                 batch_tokens: int = 2048) -> None:
        """``n_ctx``: the most tokens of one text (default and ceiling: the trained context; by default
        also at most ``batch_tokens``); longer texts are truncated."""
        init_backend()
        started = time.perf_counter()
        self.model = load_model(path, n_gpu_layers)
        self.ctx = None
        self.path = path
        self.n_ctx_train = int(llama_cpp.llama_model_n_ctx_train(self.model))
        limit = self.n_ctx_train if self.n_ctx_train > 0 else batch_tokens
        self.max_tokens = int(min(n_ctx or batch_tokens, limit))  # never past the trained positions
        self.batch_tokens = max(batch_tokens, self.max_tokens)
        self.n_seqs = min(MAX_SEQUENCES, int(llama_cpp.llama_max_parallel_sequences()), self.batch_tokens)
        pooling = self._model_pooling()
        if pooling == llama_cpp.LLAMA_POOLING_TYPE_RANK:
            self.close()
            raise NativeError("ModelLoadFailed", f"{path} is a reranker, not an embedding model.", reason="reranker",
                              params={"path": path})

        cparams = llama_cpp.llama_context_default_params()
        cparams.embeddings = True
        cparams.pooling_type = pooling
        cparams.n_ctx = self.batch_tokens
        cparams.n_batch = self.batch_tokens
        cparams.n_ubatch = self.batch_tokens  # a non-causal model needs each batch in one micro-batch
        cparams.n_seq_max = self.n_seqs
        cparams.kv_unified = True  # sequences share the context (decoder-based embedders have a KV cache)
        cparams.n_threads = n_threads
        cparams.n_threads_batch = n_threads
        # Flash attention on: a batch packs many sequences, and without it the attention over the whole
        # batch (masked between sequences) is computed in full -- about 4x slower on CPU for MiniLM.
        # llama.cpp's "auto" leaves it off here; fall back to auto where a backend refuses it.
        cparams.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED
        self.ctx = llama_cpp.llama_init_from_model(self.model, cparams)
        if not self.ctx:
            cparams.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_AUTO
            self.ctx = llama_cpp.llama_init_from_model(self.model, cparams)
        if not self.ctx:
            self.close()
            raise NativeError("ModelLoadFailed", f"llama.cpp could not create an embedding context for {path}; "
                                                 "there may not be enough memory.", reason="embed_context",
                              params={"path": path})
        self.pooling = int(llama_cpp.llama_pooling_type(self.ctx))
        n_embd_out = getattr(llama_cpp, "llama_model_n_embd_out", None)
        self.dim = int(n_embd_out(self.model) if n_embd_out else llama_cpp.llama_model_n_embd(self.model))
        self.vocab = llama_cpp.llama_model_get_vocab(self.model)
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.n_threads = n_threads
        self.n_gpu_layers = n_gpu_layers
        self.load_seconds = time.perf_counter() - started
        self._ends_with_special = bool(llama_cpp.llama_vocab_get_add_sep(self.vocab)
                                       or llama_cpp.llama_vocab_get_add_eos(self.vocab))
        self._init_batch()

    def _model_pooling(self) -> int:
        """The model's pooling type; mean pooling when the file names none."""
        arch = self.meta("general.architecture") or ""
        value = self.meta(f"{arch}.pooling_type")
        try:
            pooling = int(value) if value is not None else 0
        except ValueError:
            pooling = 0
        return pooling if pooling > 0 else llama_cpp.LLAMA_POOLING_TYPE_MEAN

    def _init_batch(self) -> None:
        """One llama_batch over arrays we own: each token's seq_id pointer points into ``_seq``."""
        n = self.batch_tokens
        self._tokens = (llama_cpp.llama_token * n)()
        self._pos = (llama_cpp.llama_pos * n)()
        self._seq = (llama_cpp.llama_seq_id * n)()
        self._n_seq_id = (ctypes.c_int32 * n)(*([1] * n))
        self._outputs = (ctypes.c_int8 * n)(*([1] * n))  # pooling reads every token's output
        seq_type = ctypes.POINTER(llama_cpp.llama_seq_id)
        base = ctypes.addressof(self._seq)
        size = ctypes.sizeof(llama_cpp.llama_seq_id)
        self._seq_ptrs = (seq_type * n)(*(ctypes.cast(base + i * size, seq_type) for i in range(n)))
        self._batch = llama_cpp.llama_batch()
        self._batch.token = self._tokens
        self._batch.embd = None
        self._batch.pos = self._pos
        self._batch.n_seq_id = self._n_seq_id
        self._batch.seq_id = self._seq_ptrs
        self._batch.logits = self._outputs

    # --- facts ---------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        return model_meta(self.model, key)

    def describe(self) -> dict[str, Any]:
        return {
            "dim": self.dim,
            "n_ctx_train": self.n_ctx_train,
            "n_ctx": self.max_tokens,
            "batch_tokens": self.batch_tokens,
            "pooling": POOLING_NAMES.get(self.pooling, str(self.pooling)),
            "name": self.meta("general.name") or os.path.basename(self.path),
            "parameters": int(llama_cpp.llama_model_n_params(self.model)),
            "size_bytes": int(llama_cpp.llama_model_size(self.model)),
            "backend": backend_name(),
            "threads": self.n_threads,
            "load_seconds": self.load_seconds,
        }

    # --- embedding -----------------------------------------------------------
    def tokenize(self, text: str) -> list[int]:
        """Tokens with the model's special tokens (CLS … SEP for BERT); text is never parsed for specials."""
        data = text.encode("utf-8", errors="replace")  # a lone surrogate from a broken file: '?'
        return tokenize_bytes(self.vocab, data, add_special=True, parse_special=False)

    def _truncate(self, tokens: list[int]) -> list[int]:
        """The first ``max_tokens`` tokens, keeping a closing special token (SEP/EOS) last."""
        if self._ends_with_special:
            return tokens[:self.max_tokens - 1] + tokens[-1:]
        return tokens[:self.max_tokens]

    def embed(self, texts: list[str]) -> tuple[bytes, int, dict[str, Any]]:
        """``len(texts)`` L2-normalised float32 vectors as row-major bytes, the dimension, and stats."""
        started = time.perf_counter()
        rows: list[bytes] = [b""] * len(texts)
        stats = {"tokens": 0, "truncated": 0, "texts": len(texts), "batches": 0}
        pending: list[tuple[int, list[int]]] = []   # (row, tokens) in the batch being packed
        used = 0
        for row, text in enumerate(texts):
            tokens = self.tokenize(text)
            if len(tokens) > self.max_tokens:
                tokens = self._truncate(tokens)
                stats["truncated"] += 1
            stats["tokens"] += len(tokens)
            if not tokens:
                rows[row] = bytes(4 * self.dim)  # nothing to embed: a zero vector
                continue
            if pending and (used + len(tokens) > self.batch_tokens or len(pending) >= self.n_seqs):
                self._run(pending, rows)
                stats["batches"] += 1
                pending, used = [], 0
            pending.append((row, tokens))
            used += len(tokens)
        if pending:
            self._run(pending, rows)
            stats["batches"] += 1
        stats["seconds"] = time.perf_counter() - started
        return b"".join(rows), self.dim, stats

    def _run(self, pending: list[tuple[int, list[int]]], rows: list[bytes]) -> None:
        """Evaluate one packed batch and store each sequence's normalised vector in ``rows``."""
        tokens: list[int] = []
        positions: list[int] = []
        seqs: list[int] = []
        for seq, (_, toks) in enumerate(pending):
            tokens.extend(toks)
            positions.extend(range(len(toks)))
            seqs.extend([seq] * len(toks))
        n = len(tokens)
        for target, values in ((self._tokens, tokens), (self._pos, positions), (self._seq, seqs)):
            data = array("i", values)
            ctypes.memmove(target, data.buffer_info()[0], n * data.itemsize)
        self._batch.n_tokens = n
        llama_cpp.llama_memory_clear(self.memory, True)  # no-op for encoder-only models (no memory)
        rc = llama_cpp.llama_decode(self.ctx, self._batch)
        if rc != 0:
            raise NativeError("ModelError", f"llama.cpp failed to embed {len(pending)} texts (code {rc}).")
        nbytes = 4 * self.dim
        for seq, (row, _) in enumerate(pending):
            ptr = llama_cpp.llama_get_embeddings_seq(self.ctx, seq)
            if not ptr:
                raise NativeError("ModelError", "llama.cpp returned no pooled embedding for this model.")
            vector = array("f")
            vector.frombytes(ctypes.string_at(ptr, nbytes))
            norm = math.sqrt(math.fsum(x * x for x in vector))
            if norm > 0:
                vector = array("f", [x / norm for x in vector])
            rows[row] = vector.tobytes()

    def close(self) -> None:
        if getattr(self, "ctx", None):
            llama_cpp.llama_free(self.ctx)
            self.ctx = None
        if getattr(self, "model", None):
            llama_cpp.llama_model_free(self.model)
            self.model = None
