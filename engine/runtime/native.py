"""llama.cpp through its C API: load a model, tokenize, generate with KV reuse.

This is the one module that touches ``llama_cpp``. It runs inside the worker
process (and in the benchmark's bare loop). The generation loop does the
least Python work per token it can: sampling runs in llama.cpp's own sampler
chain, and only the new piece of text leaves the loop.
"""
from __future__ import annotations

import codecs
import ctypes
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import llama_cpp

from engine.runtime import offload
from engine.sampling import Sampling

PROMPT_CHUNK = 256  # prompt tokens per llama_decode call; cancel is checked between chunks
_backend_ready = False


class NativeError(Exception):
    """A failure inside llama.cpp; ``kind`` names the engine error to raise, ``reason`` and ``params`` the
    message (as ``engine.errors.HearthError`` has them, so the window can say it in the user's language)."""

    def __init__(self, kind: str, message: str, *, reason: str = "", params: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.reason = reason
        self.params: dict[str, Any] = dict(params or {})


class DecodeAborted(NativeError):
    """A prompt batch was stopped by a cancel (before it began, or inside ``llama_decode`` through the
    abort callback); none of that batch stays in the KV cache."""

    def __init__(self) -> None:
        super().__init__("Cancelled", "Stopped while the prompt was being read.")


def backend_name() -> str:
    """'CUDA', 'Metal', 'Vulkan' or 'CPU': the accelerator this build of llama.cpp can use."""
    if not llama_cpp.llama_supports_gpu_offload():
        return "CPU"
    info = llama_cpp.llama_print_system_info().decode(errors="replace").upper()
    libdir = Path(llama_cpp.__file__).parent / "lib"
    libs = " ".join(p.name.upper() for p in libdir.glob("*")) if libdir.is_dir() else ""
    for name in ("CUDA", "METAL", "VULKAN", "HIP", "SYCL"):
        if name in info or f"GGML-{name}" in libs:
            return "Metal" if name == "METAL" else name
    return "GPU"


def init_backend() -> None:
    """llama.cpp's backend, initialised once per process (chat and embedding models alike)."""
    global _backend_ready
    if not _backend_ready:
        llama_cpp.llama_backend_init()
        _backend_ready = True


def load_model(path: str, n_gpu_layers: int) -> Any:
    """A ``llama_model*`` read from ``path``; raises NativeError when llama.cpp refuses it."""
    mparams = llama_cpp.llama_model_default_params()
    mparams.n_gpu_layers = n_gpu_layers
    # llama.cpp's AMX weight repacking (an "extra buffer type") segfaults on
    # CPUs that report AMX (llama.cpp issue 20824): never use extra buffers.
    mparams.use_extra_bufts = False
    model = llama_cpp.llama_model_load_from_file(os.fsencode(path), mparams)
    if not model:
        raise NativeError("ModelLoadFailed", f"llama.cpp could not load {path}.", reason="load",
                          params={"path": path})
    return model


def model_meta(model: Any, key: str) -> str | None:
    """A metadata value of a loaded model, as text; None when the file has no such key."""
    buf = ctypes.create_string_buffer(4096)
    n = llama_cpp.llama_model_meta_val_str(model, key.encode(), buf, len(buf))
    return buf.value.decode(errors="replace") if n >= 0 else None


def tokenize_bytes(vocab: Any, data: bytes, *, add_special: bool, parse_special: bool) -> list[int]:
    """llama.cpp's tokenizer over UTF-8 ``data``, retrying once with the size it asks for."""
    capacity = len(data) + 8
    buf = (llama_cpp.llama_token * capacity)()
    n = llama_cpp.llama_tokenize(vocab, data, len(data), buf, capacity, add_special, parse_special)
    if n < 0:
        capacity = -n
        buf = (llama_cpp.llama_token * capacity)()
        n = llama_cpp.llama_tokenize(vocab, data, len(data), buf, capacity, add_special, parse_special)
    return list(buf[:n])


@dataclass
class GenerationStats:
    prompt_tokens: int = 0
    prompt_evaluated: int = 0       # tokens actually decoded for the prompt (after KV reuse)
    completion_tokens: int = 0
    prompt_seconds: float = 0.0
    ttft_seconds: float = 0.0       # request start to first token
    decode_seconds: float = 0.0     # first token to last token
    finish_reason: str = ""         # stop | length | context | cancelled | stop_string

    @property
    def tokens_per_s(self) -> float:
        if self.completion_tokens <= 1 or self.decode_seconds <= 0:
            return 0.0
        return (self.completion_tokens - 1) / self.decode_seconds

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["tokens_per_s"] = self.tokens_per_s
        return data


class NativeModel:
    """A loaded model plus one context (sequence 0) whose KV cache is reused."""

    def __init__(self, path: str, *, n_ctx: int, n_gpu_layers: int | str, n_threads: int,
                 n_batch: int = 512, shown_specials: Sequence[str] = ()) -> None:
        """``n_gpu_layers``: a count (negative: all) or "auto" (:mod:`engine.runtime.offload` plans it from
        the free GPU memory). A load or first decode with layers on the GPU that fails is retried with
        fewer (half, a quarter, none); ``offload_note`` then says so."""
        init_backend()
        started = time.perf_counter()
        self.ctx: Any = None
        self.model: Any = None
        self.costs: offload.LayerCosts | None = None
        self.offload_note = ""
        tries = self._layer_tries(path, n_ctx, n_gpu_layers)
        failed: NativeError | None = None
        for layers in tries:
            try:
                self._open(path, n_ctx=n_ctx, n_gpu_layers=layers, n_threads=n_threads, n_batch=n_batch)
                break
            except NativeError as exc:
                self.close()
                if layers == 0 or layers == tries[-1]:
                    raise
                failed = failed or exc
        if failed is not None:
            self.offload_note = (f"{_count(tries[0], self.n_layers)} GPU layers did not fit ({failed}); "
                                 + (f"loaded with {layers}." if layers else "loaded on the CPU."))
        self.load_seconds = time.perf_counter() - started
        self.shown = self._single_tokens(shown_specials)
        # ggml calls this between graph nodes (on the thread inside llama_decode) while ``abortable`` has
        # set it; it is kept here so the C function pointer lives as long as the context.
        self._abort_when: Callable[[], bool] | None = None
        self._abort_callback = llama_cpp.ggml_abort_callback(self._should_abort)

    def _layer_tries(self, path: str, n_ctx: int, n_gpu_layers: int | str) -> list[int]:
        """The GPU layer counts to try in turn: the plan (or the count asked for), then fewer."""
        if n_gpu_layers == "auto" and backend_name() == "CPU":
            return [0]          # a CPU build: nothing to plan, nothing to wait for
        if n_gpu_layers == 0:
            return [0]
        from engine.models.gguf import read_gguf_info
        info = read_gguf_info(path)
        self.costs = offload.layer_costs(info, n_ctx)
        if n_gpu_layers == "auto":
            plan = offload.plan_offload(info, n_ctx=n_ctx, free_bytes=offload.free_gpu_bytes(backend_name()))
            first = plan.layers
        else:
            first = int(n_gpu_layers)
        return offload.fallback_layers(first, self.costs.total_layers)

    def _open(self, path: str, *, n_ctx: int, n_gpu_layers: int, n_threads: int, n_batch: int) -> None:
        """Load the model and its context with ``n_gpu_layers``; with layers on the GPU, decode one token
        so that a GPU that runs out of memory fails here, where fewer layers can be tried."""
        if offload.injected_oom("load", n_gpu_layers):
            raise NativeError("ModelLoadFailed", f"could not allocate GPU memory for {n_gpu_layers} layers "
                              f"({offload.FAULT_ENV})", reason="gpu_memory", params={"path": path})
        self.model = load_model(path, n_gpu_layers)
        self.n_ctx_train = int(llama_cpp.llama_model_n_ctx_train(self.model))
        cparams = llama_cpp.llama_context_default_params()
        cparams.n_ctx = n_ctx
        cparams.n_batch = n_batch
        cparams.n_ubatch = n_batch
        cparams.n_threads = n_threads
        cparams.n_threads_batch = n_threads
        cparams.n_seq_max = 1
        self.ctx = llama_cpp.llama_init_from_model(self.model, cparams)
        if not self.ctx:
            llama_cpp.llama_model_free(self.model)
            self.model = None   # freed: close() must not free it again when fewer layers are tried
            raise NativeError("ModelLoadFailed",
                              f"llama.cpp could not create a context of {n_ctx} tokens for {path}; "
                              "there may not be enough memory.", reason="context",
                              params={"path": path, "n_ctx": n_ctx})
        self.path = path
        self.n_ctx = int(llama_cpp.llama_n_ctx(self.ctx))
        self.n_batch = n_batch
        self.n_threads = n_threads
        self.n_layers = int(llama_cpp.llama_model_n_layer(self.model))
        self.n_gpu_layers = n_gpu_layers
        self.vocab = llama_cpp.llama_model_get_vocab(self.model)
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.cached: list[int] = []     # tokens whose keys/values are in the KV cache
        self._one = (llama_cpp.llama_token * 1)()
        self._piece = ctypes.create_string_buffer(256)
        if n_gpu_layers != 0:
            self._first_decode(n_gpu_layers)

    def _first_decode(self, n_gpu_layers: int) -> None:
        """Decode one token and forget it: CUDA allocates some buffers on first use, and a GPU that runs out
        of memory then must fail now, while fewer layers can still be tried, not in the user's first reply."""
        bos = int(llama_cpp.llama_vocab_bos(self.vocab))
        self._one[0] = bos if bos >= 0 else 0
        rc = llama_cpp.llama_decode(self.ctx, llama_cpp.llama_batch_get_one(self._one, 1))
        if rc == 0 and offload.injected_oom("decode", n_gpu_layers):
            rc = -2
        llama_cpp.llama_memory_clear(self.memory, True)
        if rc != 0:
            raise NativeError("ModelLoadFailed", f"llama.cpp could not evaluate a first token with "
                              f"{_count(n_gpu_layers, self.n_layers)} GPU layers (code {rc}): "
                              "the GPU may be out of memory.", reason="gpu_memory", params={"path": self.path})

    # --- facts ---------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        return model_meta(self.model, key)

    def describe(self) -> dict[str, Any]:
        offloaded = min(max(self.n_gpu_layers, 0), self.n_layers + 1) if self.n_gpu_layers >= 0 else self.n_layers + 1
        backend = backend_name()
        if backend == "CPU":
            offloaded = 0
        return {
            "vram_bytes": self.costs.vram_bytes(offloaded) if self.costs is not None and offloaded else 0,
            "offload_note": self.offload_note,
            "parameters": int(llama_cpp.llama_model_n_params(self.model)),
            "size_bytes": int(llama_cpp.llama_model_size(self.model)),
            "n_ctx_train": self.n_ctx_train,
            "n_ctx": self.n_ctx,
            "n_layers": self.n_layers,
            "gpu_layers": offloaded,
            "backend": backend,
            "threads": self.n_threads,
            "load_seconds": self.load_seconds,
            "description": _desc(self.model),
        }

    # --- tokens --------------------------------------------------------------
    def tokenize(self, text: str) -> list[int]:
        return tokenize_bytes(self.vocab, text.encode("utf-8"), add_special=self.adds_bos(text), parse_special=True)

    def adds_bos(self, text: str) -> bool:
        """Whether tokenizing ``text`` adds BOS: the vocabulary wants one and the template did not write it."""
        if not llama_cpp.llama_vocab_get_add_bos(self.vocab):
            return False
        bos = self.token_text(llama_cpp.llama_vocab_bos(self.vocab))
        return not (bos and text.startswith(bos))

    def token_text(self, token: int) -> str:
        n = llama_cpp.llama_token_to_piece(self.vocab, token, self._piece, len(self._piece), 0, True)
        return self._piece.raw[:max(n, 0)].decode("utf-8", errors="replace")

    def _single_tokens(self, texts: Sequence[str]) -> frozenset[int]:
        """The tokens of ``texts`` that are one token each in this vocabulary."""
        found = (tokenize_bytes(self.vocab, t.encode("utf-8"), add_special=False, parse_special=True) for t in texts)
        return frozenset(ids[0] for ids in found if len(ids) == 1)

    def _piece_bytes(self, token: int) -> bytes:
        """A reply token's text: control tokens are hidden, as llama.cpp does, except ``shown`` ones
        (gpt-oss's ``<|end|>`` and ``<|channel|>``, Gemma 4's ``<|channel>`` …: the reasoning splitter reads them)."""
        n = llama_cpp.llama_token_to_piece(self.vocab, token, self._piece, len(self._piece), 0, token in self.shown)
        return self._piece.raw[:n] if n > 0 else b""

    # --- cancel inside llama_decode ----------------------------------------------
    def _should_abort(self, _data: Any) -> bool:
        check = self._abort_when
        try:
            return bool(check is not None and check())
        except Exception:  # noqa: BLE001 - an exception must never cross into C; keep computing
            return False

    @contextmanager
    def abortable(self, cancelled: Callable[[], bool]) -> Iterator[None]:
        """While inside, ``llama_decode`` stops within one graph node of ``cancelled()`` turning true and
        ``_decode`` raises ``DecodeAborted``. Used for prompt batches only: a batch of hundreds of tokens
        takes up to seconds on a CPU, whereas a one-token decode ends soon anyway and need not pay for
        a Python call per graph node (best of 8 on 2 busy cores: 405 against 391 tokens/s, SmolLM2)."""
        self._abort_when = cancelled
        llama_cpp.llama_set_abort_callback(self.ctx, self._abort_callback, None)
        try:
            yield
        finally:
            llama_cpp.llama_set_abort_callback(self.ctx, llama_cpp.ggml_abort_callback(), None)
            self._abort_when = None

    # --- evaluation ----------------------------------------------------------
    def _decode(self, tokens: list[int]) -> None:
        if len(tokens) == 1:
            self._one[0] = tokens[0]
            arr: Any = self._one
        else:
            arr = (llama_cpp.llama_token * len(tokens))(*tokens)
        rc = llama_cpp.llama_decode(self.ctx, llama_cpp.llama_batch_get_one(arr, len(tokens)))
        if rc != 0:
            if rc == 2 and self._abort_when is not None:
                self._forget_after(len(self.cached))
                raise DecodeAborted()
            raise NativeError("ModelLoadFailed" if rc < 0 else "ContextFull",
                              f"llama.cpp failed to evaluate {len(tokens)} tokens (code {rc}).", reason="decode",
                              params={"count": len(tokens), "rc": rc})
        self.cached.extend(tokens)

    def _reuse_prefix(self, prompt: list[int], reuse: bool) -> int:
        """Keep the longest common prefix of the cache and the prompt; return its length."""
        return self.truncate_cache(self.cached_prefix(prompt) if reuse else 0)

    def cached_prefix(self, keys: list[int]) -> int:
        """How many leading ``keys`` the cache already holds, leaving at least one to evaluate."""
        keep, limit = 0, min(len(self.cached), len(keys) - 1)
        while keep < limit and self.cached[keep] == keys[keep]:
            keep += 1
        return keep

    def _forget_after(self, keep: int) -> None:
        """Drop any KV positions past ``keep`` that an aborted batch may have left (llama.cpp keeps the
        ubatches it finished before the abort; ``cached`` does not list them)."""
        if not llama_cpp.llama_memory_seq_rm(self.memory, -1, keep, -1):
            llama_cpp.llama_memory_clear(self.memory, True)
            self.cached.clear()

    def truncate_cache(self, keep: int) -> int:
        """Drop the KV cache past its first ``keep`` positions; return how many remain (0 if it had to be cleared)."""
        if keep < len(self.cached):
            if not llama_cpp.llama_memory_seq_rm(self.memory, -1, keep, -1):
                llama_cpp.llama_memory_clear(self.memory, True)
                keep = 0
            del self.cached[keep:]
        return keep

    def _sampler(self, s: Sampling) -> Any:
        chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        add = llama_cpp.llama_sampler_chain_add
        if s.repeat_penalty and s.repeat_penalty != 1.0 and s.repeat_last_n:
            n_vocab = llama_cpp.llama_vocab_n_tokens(self.vocab)
            add(chain, llama_cpp.llama_sampler_init_penalties(n_vocab, s.repeat_last_n, s.repeat_penalty, 0.0, 0.0))
        if s.temperature <= 0:
            add(chain, llama_cpp.llama_sampler_init_greedy())
            return chain
        if s.top_k > 0:
            add(chain, llama_cpp.llama_sampler_init_top_k(s.top_k))
        if 0 < s.top_p < 1:
            add(chain, llama_cpp.llama_sampler_init_top_p(s.top_p, 1))
        if s.min_p > 0:
            add(chain, llama_cpp.llama_sampler_init_min_p(s.min_p, 1))
        add(chain, llama_cpp.llama_sampler_init_temp(s.temperature))
        seed = s.seed if s.seed is not None else llama_cpp.LLAMA_DEFAULT_SEED
        add(chain, llama_cpp.llama_sampler_init_dist(seed & 0xFFFFFFFF))
        return chain

    def generate(self, prompt_text: str, sampling: Sampling, *, cancelled: Callable[[], bool],
                 reuse_prefix: bool = True, stats: GenerationStats | None = None, grammar: str = "") -> Iterator[str]:
        """Yield the reply's text pieces; fill ``stats`` as it goes. ``grammar`` (GBNF) holds the reply to it
        (``native_grammar.GrammarGate``); one llama.cpp refuses raises ``NativeError("GrammarInvalid")``."""
        st = stats if stats is not None else GenerationStats()
        started = time.perf_counter()
        prompt = self.tokenize(prompt_text)
        st.prompt_tokens = len(prompt)
        if not prompt:  # llama.cpp aborts the process on an empty batch
            raise NativeError("TemplateError", "The prompt is empty (0 tokens); nothing was sent to llama.cpp.")
        if len(prompt) >= self.n_ctx:
            raise NativeError("MessageTooLong", f"The prompt has {len(prompt)} tokens; the context holds {self.n_ctx}.")
        keep = self._reuse_prefix(prompt, reuse_prefix)
        st.prompt_evaluated = len(prompt) - keep
        try:
            with self.abortable(cancelled):
                for i in range(keep, len(prompt), PROMPT_CHUNK):
                    if cancelled():
                        raise DecodeAborted()
                    self._decode(prompt[i:i + PROMPT_CHUNK])
        except DecodeAborted:
            st.finish_reason = "cancelled"
            st.prompt_evaluated = len(self.cached) - keep   # what was read before the stop
            st.prompt_seconds = time.perf_counter() - started
            return
        st.prompt_seconds = time.perf_counter() - started
        yield from self._sample_loop(sampling, cancelled, st, started, grammar)

    # --- continuing after a prompt evaluated elsewhere (native_vision) --------
    def generate_after(self, sampling: Sampling, *, cancelled: Callable[[], bool],
                       stats: GenerationStats | None = None, started: float | None = None) -> Iterator[str]:
        """Yield a reply to a prompt someone else evaluated into sequence 0 (images, through
        ``native_vision``), who kept ``cached`` at one entry per position."""
        st = stats if stats is not None else GenerationStats()
        yield from self._sample_loop(sampling, cancelled, st, started if started is not None else time.perf_counter())

    def _sample_loop(self, sampling: Sampling, cancelled: Callable[[], bool],
                     st: GenerationStats, started: float, grammar: str = "") -> Iterator[str]:
        gate = None
        if grammar:   # before the chain exists: a refused grammar leaves nothing to free
            from engine.runtime.native_grammar import GrammarGate
            gate = GrammarGate(self.ctx, self.vocab, grammar)
        chain = self._sampler(sampling)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        stops = tuple(s for s in sampling.stop if s)
        hold = max((len(s) for s in stops), default=1) - 1
        pending = ""
        first_at = last_at = 0.0
        sample, is_eog, n_ctx = llama_cpp.llama_sampler_sample, llama_cpp.llama_vocab_is_eog, self.n_ctx
        if gate is not None:
            sample = gate.sample
        try:
            while True:
                if cancelled():
                    st.finish_reason = "cancelled"
                    break
                token = sample(chain, self.ctx, -1)
                if is_eog(self.vocab, token):
                    st.finish_reason = "stop"
                    break
                st.completion_tokens += 1
                last_at = time.perf_counter()
                if st.completion_tokens == 1:
                    first_at = last_at
                    st.ttft_seconds = last_at - started
                text = decoder.decode(self._piece_bytes(token))
                if stops:
                    pending += text
                    cut = min((i for i in (pending.find(s) for s in stops) if i >= 0), default=-1)
                    if cut >= 0:
                        if pending[:cut]:
                            yield pending[:cut]
                        st.finish_reason = "stop_string"
                        pending = ""
                        break
                    split = len(pending) - hold  # hold back what could start a stop string
                    text, pending = (pending[:split], pending[split:]) if split > 0 else ("", pending)
                if text:
                    yield text
                if st.completion_tokens >= sampling.max_tokens:
                    st.finish_reason = "length"
                    break
                if len(self.cached) + 1 >= n_ctx:
                    st.finish_reason = "context"
                    break
                self._decode([token])
            tail = pending + decoder.decode(b"", final=True)
            if tail and st.finish_reason != "stop_string":
                yield tail
        finally:
            st.decode_seconds = last_at - first_at
            llama_cpp.llama_sampler_free(chain)
            if gate is not None:
                gate.close()

    def close(self) -> None:
        if getattr(self, "ctx", None):
            llama_cpp.llama_free(self.ctx)
            self.ctx = None
        if getattr(self, "model", None):
            llama_cpp.llama_model_free(self.model)
            self.model = None


def _count(layers: int, n_layers: int) -> int:
    """``n_gpu_layers`` as a count of offloadable layers (negative: all ``n_layers + 1``)."""
    return n_layers + 1 if layers < 0 or layers > n_layers + 1 else layers


def _desc(model: Any) -> str:
    buf = ctypes.create_string_buffer(256)
    n = llama_cpp.llama_model_desc(model, buf, len(buf))
    return buf.value.decode(errors="replace") if n > 0 else ""

