"""Will a model fit this computer? Read its header over HTTP, estimate its memory, label it.

``read_remote_header`` reads only the header of a GGUF on the Hub, with HTTP range
requests (256 KiB first, each further request twice the last, 64 MiB at most), and
parses it with the same bounded parser used for local files.
``estimate_memory`` turns a header into the memory llama.cpp will use at a given
context size; ``fit_label`` compares that with :func:`engine.machine.machine_memory`;
``recommend_choice`` picks the best quantization that fits.

The estimate (checked against the real worker process, see tests/engine/hub/test_fit.py):

* weights: the file size. llama.cpp maps the file and reads every weight at load,
  so the whole file becomes resident (or moves to the GPU for offloaded layers).
* KV cache: f16 keys and values for ``n_ctx`` tokens in every layer,
  :meth:`engine.models.files.InstalledModel.kv_cache_bytes` (key/value head sizes from the metadata).
* compute: ``16 MiB + 160 B × vocabulary + 512 × embedding_length × 32 B``: llama.cpp's
  context, threads and graph (fixed part); the vocabulary tables, token-to-piece cache
  and one row of logits (per token of the vocabulary); and the activations of one
  512-token batch, reused layer after layer (8 float32 values per embedding dimension).
  There is no ``n_ctx`` term: Hearth's llama.cpp uses flash attention, so no
  ``n_ctx × batch`` attention matrix is built. llama.cpp *reserves* room for 512 rows
  of logits (``512 × vocabulary × 4 B``, 100 MB for a 49k vocabulary) but a chat only
  ever computes the last token's, and untouched pages of RAM cost nothing; on a GPU
  the reservation is committed, so offloaded models count it in full in VRAM.
* offloading ``gpu_layers`` of ``L`` layers moves ``gpu_layers / L`` of the weights and of
  the KV cache to VRAM (the embedding and output matrices are counted with the layers).
  GPU figures follow llama.cpp's allocation rules but were not measured here.
* on a machine with a dedicated GPU, ``estimate_for`` (the model manager's labels) offloads as
  many layers as the free VRAM holds, as the runtime's automatic offload does, and the label
  judges VRAM and RAM apart: a model fits when its layers fit the GPU and the rest fits the RAM.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from huggingface_hub import hf_hub_url

from engine.errors import HubError, ModelInvalid
from engine.hub import replies
from engine.models import names
from engine.models.gguf import ArrayInfo, GGUFInfo, parse_gguf_header
from engine.models.files import InstalledModel
from engine.models.files import _int as _meta_int
from engine.hub.config import hub_endpoint
from engine.machine import MachineMemory, gpu_margin
from engine.hub import search
from engine.hub.search import ModelChoice, check_filename, check_repo_id, hub_errors

log = logging.getLogger(__name__)

FIRST_READ = 256 * 1024          # the first range request; most headers fit
MAX_HEADER_READ = 64 * 1024 * 1024  # never read more than this (tokenizer vocabularies can be large)
MAX_REDIRECTS = 5
HEADER_DEADLINE_S = 120.0        # all the range requests of one header together, redirects included
DEFAULT_CONTEXT = 4096           # the context assumed when a header does not say its trained context

N_UBATCH = 512                   # the batch Hearth's worker decodes (engine/runtime/native.py)
RUNTIME_BASE = 16 * 1024 * 1024  # llama.cpp context, thread pool, graph bookkeeping
VOCAB_BYTES = 160                # per vocabulary entry: token tables, piece cache, a row of logits
ACTIVATION_BYTES = 32            # per embedding dimension per batch token: 8 float32 activations

FITS = 0.70                      # fits: the estimate needs at most 70 % of the free memory
TIGHT = 0.90                     # tight: at most 90 % (other programs may have to give way)
FitLabel = Literal["fits", "tight", "too_big"]


@dataclass(frozen=True)
class RemoteHeader:
    """A GGUF header read over HTTP, and what reading it cost."""

    info: GGUFInfo
    bytes_read: int      # response body bytes received
    requests: int        # HTTP requests made, redirects included
    file_size: int
    context_length: int = DEFAULT_CONTEXT  # the trained context, or DEFAULT_CONTEXT when the header has none
    context_known: bool = False            # False: the header does not say its context (DEFAULT_CONTEXT assumed)


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a model needs when loaded: parts, total, and how the total divides into RAM and VRAM."""

    weights_bytes: int
    kv_cache_bytes: int
    compute_bytes: int
    total_bytes: int
    ram_bytes: int
    vram_bytes: int
    gpu_layers: int | None = field(default=None, compare=False)   # planned for a dedicated GPU (None: not planned)


# --- reading a header over HTTP -------------------------------------------------------------------

class _RangeReader:
    """``read(offset, size)`` over HTTP: a growing prefix of the file, fetched by range requests."""

    def __init__(self, repo_id: str, filename: str, max_bytes: int) -> None:
        self.repo_id, self.filename, self.max_bytes = repo_id, filename, max_bytes
        self.url = hf_hub_url(repo_id, filename, endpoint=hub_endpoint())
        self.headers: dict[str, str] = {}
        self.deadline = replies.Deadline(HEADER_DEADLINE_S)
        self.what = f"the header of {repo_id}/{filename}"
        self.data = bytearray()
        self.file_size: int | None = None
        self.eof = False
        self.next_size = FIRST_READ
        self.requests = 0
        self.bytes_read = 0

    def read(self, offset: int, size: int) -> bytes:
        end = offset + size
        while len(self.data) < end and not self.eof:
            want = max(end - len(self.data), self.next_size)
            want = min(want, self.max_bytes - len(self.data))
            if want <= 0:
                raise ModelInvalid(f"{self.repo_id}/{self.filename}: its header is larger than "
                                   f"{self.max_bytes >> 20} MiB, more than Hearth reads to check a model",
                                   hint="The file is probably not a usable model; pick another one.")
            got = self._fetch(len(self.data), want)
            self.data += got
            self.next_size *= 2
            if len(got) < want:
                self.eof = True
        return bytes(self.data[offset:end])

    def _fetch(self, start: int, size: int) -> bytes:
        """``size`` bytes from ``start`` (fewer at the end of the file), following redirects by hand."""
        url, headers = self.url, {"Range": f"bytes={start}-{start + size - 1}"}
        origin = urlsplit(self.url)[:2]
        for _ in range(MAX_REDIRECTS + 1):
            self.requests += 1
            with replies.bounded_stream("GET", url, what=self.what, deadline=self.deadline, timeout=search.TIMEOUT,
                                        headers=headers, follow_redirects=False,
                                        accept_encoding="identity") as response:
                if response.is_redirect and "Location" in response.headers:
                    url = urljoin(url, response.headers["Location"])
                    if urlsplit(url)[:2] != origin:  # a CDN: no credentials leave the Hub
                        headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
                    continue
                if response.status_code == 416:
                    return b""
                replies.raise_for_status(response, what=self.what, deadline=self.deadline)
                if response.status_code == 200 and start > 0:
                    raise HubError(f"The server of {self.repo_id}/{self.filename} does not support range requests.")
                self._note_size(response, start)
                self.url = url  # later ranges go straight to where the bytes are
                return self._body(response, size)
        raise HubError(f"Too many redirects while reading {self.repo_id}/{self.filename}.")

    def _note_size(self, response: Any, start: int) -> None:
        total = response.headers.get("Content-Range", "").rpartition("/")[2]
        if total.isdigit():
            self.file_size = int(total)
        elif response.status_code == 200 and response.headers.get("Content-Length", "").isdigit():
            self.file_size = int(response.headers["Content-Length"]) + start

    def _body(self, response: Any, size: int) -> bytes:
        """At most ``size`` bytes of the body, unencoded, within the header's deadline."""
        chunks: list[bytes] = []
        have = 0
        for chunk in replies.iter_body(response, what=self.what, max_bytes=self.max_bytes, deadline=self.deadline,
                                       allow_encoding=False):
            self.bytes_read += len(chunk)
            chunks.append(chunk)
            have += len(chunk)
            if have >= size:  # a server that ignored the range: stop reading, the connection is dropped
                break
        return b"".join(chunks)[:size]


def read_remote_header(repo_id: str, filename: str, *, max_bytes: int = MAX_HEADER_READ) -> RemoteHeader:
    """Parse the header of ``filename`` in the Hub repository ``repo_id`` without downloading the model.

    Raises HubOffline, RepoNotFound, RemoteFileNotFound, UnsafeFileName, HubError, or
    ModelInvalid when the bytes are not a GGUF header (naming the repository and file).
    """
    check_repo_id(repo_id)
    check_filename(filename)
    reader = _RangeReader(repo_id, filename, max_bytes)
    source = f"{repo_id}/{filename}"
    with hub_errors(repo_id, filename):
        reader.read(0, FIRST_READ)  # learns the file size for the parser's bounds checks
        info = parse_gguf_header(reader.read, source=source, file_size=reader.file_size)
    log.info("read the header of %s: %d bytes in %d requests (file %s bytes)",
             source, reader.bytes_read, reader.requests, reader.file_size)
    known = isinstance(info.context_length, int) and info.context_length > 0
    if not known:
        log.warning("%s does not say its trained context; assuming %d tokens", source, DEFAULT_CONTEXT)
    return RemoteHeader(info=info, bytes_read=reader.bytes_read, requests=reader.requests,
                        file_size=reader.file_size or 0,
                        context_length=info.context_length if known else DEFAULT_CONTEXT, context_known=known)


# --- estimating ---------------------------------------------------------------------------------------

def vocab_size(info: GGUFInfo) -> int:
    """Entries in the model's vocabulary (``<arch>.vocab_size``, else the token list's length)."""
    size = _meta_int(info, "vocab_size")
    if size:
        return size
    tokens = info.metadata.get("tokenizer.ggml.tokens")
    if isinstance(tokens, ArrayInfo):
        return tokens.length
    return len(tokens) if isinstance(tokens, list) else 0


def kv_cache_bytes(info: GGUFInfo, n_ctx: int) -> int:
    """f16 K+V cache for ``n_ctx`` tokens, by the same rule as installed models."""
    model = InstalledModel(
        path=Path(info.path), name=info.name, architecture=info.architecture, parameters=info.parameter_count,
        quantization=info.quantization, size_bytes=info.file_size or 0, context_length=info.context_length or 0,
        layers=info.block_count or 0, embedding_length=info.embedding_length or 0,
        head_count=_meta_int(info, "attention.head_count"),
        head_count_kv=_meta_int(info, "attention.head_count_kv") or _meta_int(info, "attention.head_count"),
        is_embedding_model=False, is_projector=False,
        key_length=_meta_int(info, "attention.key_length"), value_length=_meta_int(info, "attention.value_length"))
    return model.kv_cache_bytes(n_ctx)


def estimate_memory(info: GGUFInfo, *, file_size: int, n_ctx: int | None,
                    gpu_layers: int | None = None) -> MemoryEstimate:
    """Memory for the model described by ``info`` (all parts together: ``file_size``) at ``n_ctx``.

    ``n_ctx`` None: the model's trained context, or DEFAULT_CONTEXT when its header does not say it.

    ``gpu_layers``: None or 0 keeps everything in RAM; a negative number or more than the
    model's layers offloads all of them (as llama.cpp reads ``n_gpu_layers``). See the module
    docstring for the rule.
    """
    if n_ctx is None:
        n_ctx = info.context_length if isinstance(info.context_length, int) and info.context_length > 0 \
            else DEFAULT_CONTEXT
    layers = info.block_count or 0
    embedding = info.embedding_length or 0
    vocab = vocab_size(info)
    weights = max(0, int(file_size))
    kv = kv_cache_bytes(info, n_ctx)
    cpu_compute = RUNTIME_BASE + VOCAB_BYTES * vocab + N_UBATCH * embedding * ACTIVATION_BYTES

    if not gpu_layers or layers <= 0:
        offloaded = 0.0
    elif gpu_layers < 0 or gpu_layers >= layers:
        offloaded = 1.0
    else:
        offloaded = gpu_layers / layers
    gpu_compute = 0
    if offloaded > 0:
        gpu_compute = N_UBATCH * embedding * ACTIVATION_BYTES
        if offloaded >= 1.0:  # the output layer is on the GPU: its logits reservation is committed there
            gpu_compute += N_UBATCH * vocab * 4
    vram = int(weights * offloaded) + int(kv * offloaded) + gpu_compute
    ram = weights + kv - int(weights * offloaded) - int(kv * offloaded) + cpu_compute
    compute = cpu_compute + gpu_compute
    return MemoryEstimate(weights_bytes=weights, kv_cache_bytes=kv, compute_bytes=compute,
                          total_bytes=weights + kv + compute, ram_bytes=ram, vram_bytes=vram)


def estimate_for(info: GGUFInfo, *, file_size: int, n_ctx: int | None, machine: MachineMemory) -> MemoryEstimate:
    """The estimate as the runtime would load the model on ``machine``: with a dedicated GPU, the layers its
    free memory holds (less the margin the runtime's planner keeps, :func:`engine.machine.gpu_margin`) in VRAM and the rest in
    RAM, so the label judges each memory apart; without one (or with unified memory), all in RAM."""
    free = machine.gpu_free
    if machine.unified or free <= 0:
        return estimate_memory(info, file_size=file_size, n_ctx=n_ctx)
    budget = free - gpu_margin(free)
    layers = info.block_count or 0
    for k in range(layers, 0, -1):   # the most layers whose VRAM fits; all of them first
        estimate = estimate_memory(info, file_size=file_size, n_ctx=n_ctx, gpu_layers=k)
        if estimate.vram_bytes <= budget:
            return replace(estimate, gpu_layers=k)
    return replace(estimate_memory(info, file_size=file_size, n_ctx=n_ctx), gpu_layers=0)


def estimate_choice(choice: ModelChoice, *, n_ctx: int, gpu_layers: int | None = None) -> MemoryEstimate:
    """Read a choice's header from the Hub (first part) and estimate it with all its parts' size."""
    header = read_remote_header(choice.repo_id, choice.filename)
    return estimate_memory(header.info, file_size=choice.size_bytes, n_ctx=n_ctx, gpu_layers=gpu_layers)


# --- judging ---------------------------------------------------------------------------------------------

def fit_ratio(estimate: MemoryEstimate, machine: MachineMemory) -> float:
    """The share of the free memory the estimate needs (the largest share, when RAM and VRAM are apart).

    Unified memory (Apple Silicon): everything counts against the available RAM. An estimate planned for
    the machine's GPU (:func:`estimate_for`): its layers were chosen to fit the free VRAM, so what stays in
    RAM decides. Another estimate with VRAM on a machine with dedicated GPUs: RAM and VRAM are judged apart. An estimate
    without VRAM: RAM and free VRAM count together, since the runtime offloads what it can.
    """
    ram = machine.available_ram
    vram = machine.gpu_free
    if machine.unified or vram <= 0:
        return estimate.total_bytes / ram if ram > 0 else float("inf")
    if estimate.gpu_layers is not None:   # planned like the runtime: its VRAM part is within the free VRAM
        return estimate.ram_bytes / ram if ram > 0 else float("inf")
    if estimate.vram_bytes > 0:
        ram_share = estimate.ram_bytes / ram if ram > 0 else float("inf")
        return max(ram_share, estimate.vram_bytes / vram)
    return estimate.total_bytes / (ram + vram)


def fit_label(estimate: MemoryEstimate, machine: MachineMemory) -> FitLabel:
    """'fits' (at most 70 % of the free memory), 'tight' (at most 90 %) or 'too_big'."""
    ratio = fit_ratio(estimate, machine)
    if ratio <= FITS:
        return "fits"
    if ratio <= TIGHT:
        return "tight"
    return "too_big"


def recommend_choice(choices: Sequence[ModelChoice],
                     estimates: Mapping[ModelChoice, MemoryEstimate] | Sequence[MemoryEstimate],
                     machine: MachineMemory) -> ModelChoice | None:
    """The biggest choice (more bits per weight, higher quality) labelled 'fits'; None if none does.

    A choice with a file name that Unicode normalisation (NFKC) changes (full-width look-alikes) is
    never recommended, even when the normalised name is safe.

    ``estimates`` is a mapping from choice to estimate, or a sequence in the order of ``choices``;
    a choice without an estimate is never recommended.
    """
    if isinstance(estimates, Mapping):
        pairs = [(c, estimates.get(c)) for c in choices]
    else:
        if len(estimates) != len(choices):
            raise ValueError(f"{len(choices)} choices but {len(estimates)} estimates")
        pairs = list(zip(choices, estimates))
    fitting = [c for c, e in pairs if e is not None and fit_label(e, machine) == "fits" and not _look_alike(c)]
    if not fitting:
        return None
    return max(fitting, key=lambda c: (c.size_bytes, c.filename))


def _look_alike(choice: ModelChoice) -> bool:
    """True if a file of ``choice`` (its projector included) has a name NFKC normalisation changes."""
    files = [*choice.files, *([choice.mmproj] if choice.mmproj else [])]
    return any(names.needs_normalising(f.filename) for f in files) or names.needs_normalising(choice.repo_id)


@dataclass(frozen=True)
class PlannedChoice:
    """One choice of a repository, with what it needs on this machine."""

    choice: ModelChoice
    estimate: MemoryEstimate
    fit: FitLabel
    recommended: bool


def plan_repo(repo_id: str, *, n_ctx: int, machine: MachineMemory) -> "search.Listing[PlannedChoice]":
    """A repository's choices with memory, fit label and the best that fits marked (``skipped``: how many
    of the Hub's file entries were left out, as :func:`search.list_model_files` counts them).

    One remote header serves every quantization of the same model: their shapes are the same.
    """
    choices = search.list_model_files(repo_id)
    planned: search.Listing[PlannedChoice] = search.Listing()
    planned.skipped = choices.skipped
    if not choices:
        return planned
    header = read_remote_header(repo_id, choices[0].files[0].filename)
    estimates = {c: estimate_for(header.info, file_size=c.size_bytes, n_ctx=n_ctx, machine=machine) for c in choices}
    best = recommend_choice(choices, estimates, machine)
    planned.extend(PlannedChoice(c, estimates[c], fit_label(estimates[c], machine), c == best) for c in choices)
    return planned
