"""Images into a chat model's context through llama.cpp's multimodal library (libmtmd).

A vision model comes as two GGUF files: the text model (a :class:`NativeModel`)
and a projector ("mmproj": a vision encoder plus the layers that map its output
into the text model's embedding space). :class:`VisionProjector` loads the
projector beside a loaded text model, cuts a prompt at its media markers
(``<__media__>``), turns each image into embeddings and evaluates text and
images into the model's context (sequence 0). The reply is then sampled by
the model's ordinary loop (:meth:`NativeModel.generate_after`).

The KV cache stays reusable: ``NativeModel.cached`` gets one entry per
position, the token id for text and, for every position of an image, one
negative key derived from the image's pixels and the projector; a later
prompt with the same text and images in the same places re-evaluates only
what follows them.

Images arrive decoded, as ``(width, height, rgb_bytes)`` with 3 bytes per
pixel, row-major. Like ``native.py`` this runs inside the worker process: a
projector that is a valid GGUF but lacks tensors its type needs can crash
llama.cpp (a null pointer in ``clip.cpp``), which only the worker survives.
M-RoPE text models (Qwen2-VL and later) are refused: their positions after an
image do not follow the one-position-per-token rule the sampling loop relies on.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

import llama_cpp
import llama_cpp.mtmd_cpp as mtmd

from engine.errors import ModelError
from engine.models.gguf import read_gguf_info
from engine.sampling import Sampling
from engine.models.kinds import usable_projector
from engine.runtime.native import PROMPT_CHUNK, GenerationStats, NativeError, NativeModel


Image = tuple[int, int, bytes]          # width, height, RGB bytes (3 per pixel, row-major)
_TEXT, _IMAGE = mtmd.MTMD_INPUT_CHUNK_TYPE_TEXT, mtmd.MTMD_INPUT_CHUNK_TYPE_IMAGE
_LOG_ERROR = 4                           # GGML_LOG_LEVEL_ERROR (ggml.h)


def media_marker() -> str:
    """The placeholder a prompt carries where an image goes ("<__media__>")."""
    return mtmd.mtmd_default_marker().decode()


@dataclass(frozen=True)
class VisionEval:
    """What evaluating one multimodal prompt put into the context."""

    n_past: int             # positions in the context after the prompt (text + image)
    n_text_tokens: int
    n_image_tokens: int     # embeddings the images became (all images together)
    n_images: int
    n_reused: int           # positions kept from the cache
    n_evaluated: int        # positions evaluated now
    seconds: float          # encoding the images and decoding everything new


@dataclass(frozen=True)
class _Chunk:
    ptr: Any                # mtmd_input_chunk* (owned by the chunks list)
    kind: int
    keys: list[int]         # one per position: token ids, or the image's key repeated


class _LogCapture:
    """Collect libmtmd's error lines while it loads a projector (it returns only NULL on failure)."""

    def __init__(self) -> None:
        self.errors: list[str] = []

        def on_log(level: int, text: bytes, _user: Any) -> None:
            line = text.decode("utf-8", errors="replace")
            if level == _LOG_ERROR:
                self.errors.append(line.strip())
            try:
                os.write(2, text)   # keep llama.cpp's own log where it always goes (the worker's log file)
            except OSError:
                pass

        self._callback = llama_cpp.llama_log_callback(on_log)

    def __enter__(self) -> "_LogCapture":
        mtmd.mtmd_log_set(self._callback, None)
        return self

    def __exit__(self, *exc: object) -> None:
        mtmd.mtmd_log_set(llama_cpp.llama_log_callback(), None)  # NULL: back to libmtmd's default

    def reason(self) -> str:
        """The first error (the cause; later ones repeat it), without llama.cpp's function prefixes."""
        for line in self.errors:
            text = re.sub(r"^(\w+: )+(error: )?", "", line.splitlines()[0] if line else "").strip()
            if text:
                return text
        return "no reason given"


class VisionProjector:
    """A projector (mmproj GGUF) loaded for one :class:`NativeModel`; owned by the thread that owns the model."""

    def __init__(self, model: NativeModel, mmproj_path: str | os.PathLike[str], *,
                 n_threads: int | None = None, use_gpu: bool = True) -> None:
        self.model = model
        self.path = os.fspath(mmproj_path)
        self.ctx: Any = None
        _check_projector_file(self.path)
        params = mtmd.mtmd_context_params_default()
        params.use_gpu = use_gpu
        params.n_threads = n_threads or model.n_threads
        params.print_timings = False
        started = time.perf_counter()
        with _LogCapture() as capture:
            self.ctx = mtmd.mtmd_init_from_file(os.fsencode(self.path), model.model, params)
        if not self.ctx:
            raise _load_error(self.path, model.path, capture.reason())
        self.load_seconds = time.perf_counter() - started
        if mtmd.mtmd_decode_use_mrope(self.ctx):
            self.close()
            raise NativeError("ModelLoadFailed",
                              f"{model.path} places image tokens with M-RoPE (Qwen2-VL and later), "
                              "which Hearth does not support yet.", reason="mrope", params={"path": model.path})
        self.marker = media_marker()
        self._salt = hashlib.sha256(os.fsencode(os.path.abspath(self.path))).digest()

    # --- evaluation ----------------------------------------------------------
    def eval_prompt(self, prompt: str, images: Sequence[Image], *, reuse_prefix: bool = True,
                    cancelled: Callable[[], bool] | None = None) -> VisionEval | None:
        """Evaluate ``prompt`` (one marker per image, in order) and the images into the model's
        context; return what went in, or None when ``cancelled`` stopped it."""
        model, stop = self.model, cancelled or (lambda: False)
        started = time.perf_counter()
        chunks_ptr = self._tokenize(prompt, images)
        try:
            chunks = self._chunks(chunks_ptr)
            keys = [k for c in chunks for k in c.keys]
            n_image = sum(len(c.keys) for c in chunks if c.kind == _IMAGE)
            if len(keys) >= model.n_ctx:
                raise NativeError("MessageTooLong", f"The prompt has {len(keys)} positions "
                                  f"({n_image} for images); the context holds {model.n_ctx}.")
            keep = model.truncate_cache(self._reusable(chunks, keys) if reuse_prefix else 0)
            done = 0
            for index, chunk in enumerate(chunks):
                first, done = done, done + len(chunk.keys)
                if done <= keep:
                    continue                       # wholly in the reused prefix
                if stop():
                    return None
                if chunk.kind == _TEXT:
                    tokens = chunk.keys[max(keep - first, 0):]
                    for i in range(0, len(tokens), PROMPT_CHUNK):
                        if i and stop():
                            return None
                        model._decode(tokens[i:i + PROMPT_CHUNK])
                else:
                    self._eval_media(chunk, last=index == len(chunks) - 1)
            return VisionEval(n_past=len(model.cached), n_text_tokens=len(keys) - n_image,
                              n_image_tokens=n_image, n_images=len(images), n_reused=keep,
                              n_evaluated=len(keys) - keep, seconds=time.perf_counter() - started)
        finally:
            mtmd.mtmd_input_chunks_free(chunks_ptr)

    def generate(self, prompt: str, images: Sequence[Image], sampling: Sampling, *,
                 cancelled: Callable[[], bool], reuse_prefix: bool = True,
                 stats: GenerationStats | None = None) -> Iterator[str]:
        """Like :meth:`NativeModel.generate`, for a prompt with images; ``stats`` counts image positions
        as prompt tokens."""
        st = stats if stats is not None else GenerationStats()
        started = time.perf_counter()
        ev = self.eval_prompt(prompt, images, reuse_prefix=reuse_prefix, cancelled=cancelled)
        if ev is None:
            st.finish_reason = "cancelled"
            return
        st.prompt_tokens, st.prompt_evaluated = ev.n_past, ev.n_evaluated
        st.prompt_seconds = time.perf_counter() - started
        yield from self.model.generate_after(sampling, cancelled=cancelled, stats=st, started=started)

    def image_tokens(self, width: int, height: int) -> int:
        """Positions an image of this size takes in the context (preprocessed, not encoded)."""
        chunks_ptr = self._tokenize(self.marker, [(width, height, bytes(width * height * 3))])
        try:
            return sum(len(c.keys) for c in self._chunks(chunks_ptr) if c.kind == _IMAGE)
        finally:
            mtmd.mtmd_input_chunks_free(chunks_ptr)

    # --- pieces --------------------------------------------------------------
    def _tokenize(self, prompt: str, images: Sequence[Image]) -> Any:
        n_markers = prompt.count(self.marker)
        if n_markers != len(images):
            raise ValueError(f"the prompt has {n_markers} image markers ({self.marker}) for {len(images)} images")
        bitmaps: list[Any] = []
        chunks = mtmd.mtmd_input_chunks_init()
        try:
            for image in images:
                bitmaps.append(self._bitmap(image))
            data = prompt.encode("utf-8")
            text = mtmd.mtmd_input_text(data, len(data), self.model.adds_bos(prompt), True)
            array = (mtmd.mtmd_bitmap_p_ctypes * max(len(bitmaps), 1))(*bitmaps)
            rc = mtmd.mtmd_tokenize(self.ctx, chunks, ctypes.byref(text), array, len(bitmaps))
        except BaseException:
            mtmd.mtmd_input_chunks_free(chunks)
            raise
        finally:
            for bitmap in bitmaps:
                mtmd.mtmd_bitmap_free(bitmap)
        if rc != 0:
            mtmd.mtmd_input_chunks_free(chunks)
            what = "the images do not match the markers" if rc == 1 else "an image could not be prepared"
            raise NativeError("ModelError", f"llama.cpp could not read the prompt's images: {what} (code {rc}).")
        return chunks

    def _bitmap(self, image: Image) -> Any:
        width, height, rgb = image
        if width <= 0 or height <= 0 or len(rgb) != width * height * 3:
            raise ValueError(f"an image of {width}x{height} RGB pixels needs {max(width * height * 3, 0)} bytes, "
                             f"got {len(rgb)}")
        buffer = (ctypes.c_ubyte * len(rgb)).from_buffer_copy(rgb)
        bitmap = mtmd.mtmd_bitmap_init(width, height, buffer)   # copies the pixels
        if not bitmap:
            raise NativeError("ModelError", f"llama.cpp could not take an image of {width}x{height} pixels.")
        mtmd.mtmd_bitmap_set_id(bitmap, b"%x" % -self._image_key(image))  # every chunk of the image carries it
        return bitmap

    def _chunks(self, chunks_ptr: Any) -> list[_Chunk]:
        out: list[_Chunk] = []
        for i in range(mtmd.mtmd_input_chunks_size(chunks_ptr)):
            ptr = mtmd.mtmd_input_chunks_get(chunks_ptr, i)
            kind = mtmd.mtmd_input_chunk_get_type(ptr)
            if kind == _TEXT:
                n = ctypes.c_size_t(0)
                tokens = mtmd.mtmd_input_chunk_get_tokens_text(ptr, ctypes.byref(n))
                out.append(_Chunk(ptr, kind, [int(tokens[j]) for j in range(n.value)]))
            else:
                n_pos = int(mtmd.mtmd_input_chunk_get_n_pos(ptr))   # one image may come as several chunks (tiles)
                key = -int(mtmd.mtmd_input_chunk_get_id(ptr) or b"1", 16)
                out.append(_Chunk(ptr, kind, [key] * n_pos))
        return out

    def _image_key(self, image: Image) -> int:
        """A negative number standing for every position of this image (token ids are never negative)."""
        width, height, rgb = image
        digest = hashlib.sha256(self._salt + f"{width}x{height}:".encode() + rgb).digest()
        return -1 - int.from_bytes(digest[:8], "big")

    def _reusable(self, chunks: list[_Chunk], keys: list[int]) -> int:
        """The longest prefix of ``keys`` already in the cache that ends outside an image, and leaves
        at least one position to evaluate (its logits start the reply)."""
        keep = self.model.cached_prefix(keys)
        start = 0
        for chunk in chunks:
            end = start + len(chunk.keys)
            if chunk.kind != _TEXT and start < keep < end:
                return start                       # an image is evaluated whole or not at all
            start = end
        return keep

    def _eval_media(self, chunk: _Chunk, *, last: bool) -> None:
        model = self.model
        n_past = len(model.cached)
        new_n_past = llama_cpp.llama_pos(n_past)
        rc = mtmd.mtmd_helper_eval_chunk_single(self.ctx, model.ctx, chunk.ptr, n_past, 0, model.n_batch,
                                                last, ctypes.byref(new_n_past))
        if rc != 0:
            model.truncate_cache(n_past)           # a half-decoded image must not stay in the cache
            raise NativeError("ModelError", f"llama.cpp failed to evaluate an image with {self.path} (code {rc}).")
        model.cached.extend(chunk.keys)

    def close(self) -> None:
        if getattr(self, "ctx", None):
            mtmd.mtmd_free(self.ctx)
            self.ctx = None


def _check_projector_file(path: str) -> None:
    """Refuse a missing, truncated or non-projector file before llama.cpp reads it."""
    try:
        info = read_gguf_info(path)
    except ModelError as exc:
        kind = "ModelNotFound" if isinstance(exc, FileNotFoundError) else "ModelInvalid"
        raise NativeError(kind, f"The image projector {exc}") from exc
    if not usable_projector(info):
        raise NativeError("ModelInvalid", f"{path} is not an image projector (mmproj) file.")


def _load_error(mmproj: str, text_model: str, reason: str) -> NativeError:
    if "mismatch between text model" in reason:
        return NativeError("ModelLoadFailed",
                           f"The image projector {mmproj} does not fit the model {text_model}: {reason.rstrip('.')}. "
                           "Use the mmproj file published with this model.", reason="projector_mismatch",
                           params={"path": mmproj, "model": text_model, "said": reason.rstrip(".")})
    return NativeError("ModelLoadFailed",
                       f"llama.cpp could not load the image projector {mmproj} for {text_model}: {reason}",
                       reason="projector", params={"path": mmproj, "model": text_model, "said": reason})
