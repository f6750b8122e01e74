"""Images through llama.cpp's multimodal library: SmolLM2 plus a tiny random projector, in this process."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import llama_cpp
import pytest

from engine import Sampling
from engine.runtime.native import GenerationStats, NativeError, NativeModel
from engine.runtime.native_vision import VisionProjector, media_marker
from tests.gguf_tools import rewrite_gguf
from tests.vision_files import N_PATCHES, build_tiny_mmproj

MARK = "<__media__>"


def _prompt(question: str, n_images: int = 1) -> str:
    return f"<|im_start|>user\n{MARK * n_images}\n{question}<|im_end|>\n<|im_start|>assistant\n"


def _image(width: int = 64, height: int = 64, shade: int = 0) -> tuple[int, int, bytes]:
    """A gradient, ``shade`` shifting it so two images differ."""
    return width, height, bytes((x + y + c * 50 + shade) % 256
                                for y in range(height) for x in range(width) for c in range(3))


@pytest.fixture(scope="module")
def smol(smollm2_path: Path) -> Iterator[NativeModel]:
    model = NativeModel(str(smollm2_path), n_ctx=512, n_gpu_layers=0, n_threads=2)
    yield model
    model.close()


@pytest.fixture(scope="module")
def projector(smol: NativeModel) -> Iterator[VisionProjector]:
    vp = VisionProjector(smol, build_tiny_mmproj(), n_threads=2, use_gpu=False)
    yield vp
    vp.close()


def test_marker_is_llama_cpps() -> None:
    assert media_marker() == MARK


def test_image_tokens_are_evaluated_and_a_reply_follows(smol: NativeModel, projector: VisionProjector) -> None:
    question = "What is in this picture?"
    ev = projector.eval_prompt(_prompt(question), [_image()], reuse_prefix=False)
    assert ev is not None
    assert ev.n_images == 1 and ev.n_image_tokens == N_PATCHES   # a 64x64 image, resized to 32x32, 8x8 patches
    before, after = _prompt(question).split(MARK)
    assert ev.n_text_tokens == len(smol.tokenize(before)) + len(smol.tokenize(after))
    assert ev.n_past == ev.n_text_tokens + ev.n_image_tokens == ev.n_evaluated
    assert len(smol.cached) == ev.n_past
    assert llama_cpp.llama_memory_seq_pos_max(smol.memory, 0) == ev.n_past - 1   # the KV cache holds them all
    assert sum(1 for k in smol.cached if k < 0) == N_PATCHES

    stats = GenerationStats()
    reply = "".join(smol.generate_after(Sampling(temperature=0, max_tokens=6), cancelled=lambda: False, stats=stats))
    assert stats.completion_tokens > 0 and reply
    assert stats.finish_reason in ("length", "stop")
    assert len(smol.cached) == ev.n_past + stats.completion_tokens - (stats.finish_reason == "length")


def test_the_same_image_is_reused_from_the_cache_and_another_is_not(smol: NativeModel,
                                                                    projector: VisionProjector) -> None:
    prompt = _prompt("Describe it.")
    first = projector.eval_prompt(prompt, [_image()], reuse_prefix=False)
    again = projector.eval_prompt(prompt, [_image()])
    assert first is not None and again is not None
    assert again.n_reused == first.n_past - 1 and again.n_evaluated == 1

    other = projector.eval_prompt(prompt, [_image(shade=7)])
    assert other is not None
    n_before_image = len(smol.tokenize(prompt.split(MARK)[0]))
    assert other.n_reused == n_before_image                   # the text before the image, not the image
    assert other.n_evaluated == other.n_past - n_before_image

    # plain text generation after it reuses the text before the image, never the image's positions
    text = "<|im_start|>user\nhi<|im_end|>\n"
    tokens, cached = smol.tokenize(text), smol.cached[:n_before_image]
    common = next((i for i, (a, b) in enumerate(zip(tokens, cached)) if a != b), min(len(tokens), len(cached)))
    stats = GenerationStats()
    list(smol.generate(text, Sampling(temperature=0, max_tokens=1), cancelled=lambda: False, stats=stats))
    assert common > 0 and stats.prompt_evaluated == len(tokens) - common


def test_generate_counts_image_positions_as_prompt(projector: VisionProjector) -> None:
    stats = GenerationStats()
    pieces = list(projector.generate(_prompt("Two pictures.", 2), [_image(), _image(32, 48, shade=3)],
                                     Sampling(temperature=0, max_tokens=4), cancelled=lambda: False,
                                     reuse_prefix=False, stats=stats))
    assert pieces and stats.completion_tokens > 0
    assert stats.prompt_tokens == stats.prompt_evaluated > 2 * N_PATCHES


def test_cancel_before_the_image_leaves_a_consistent_cache(smol: NativeModel, projector: VisionProjector) -> None:
    calls = iter([False, True])
    ev = projector.eval_prompt(_prompt("Stop."), [_image()], reuse_prefix=False, cancelled=lambda: next(calls, True))
    assert ev is None
    assert llama_cpp.llama_memory_seq_pos_max(smol.memory, 0) == len(smol.cached) - 1
    assert all(k >= 0 for k in smol.cached)


def test_markers_and_images_must_match(projector: VisionProjector) -> None:
    with pytest.raises(ValueError, match="2 image markers"):
        projector.eval_prompt(_prompt("x", 2), [_image()])
    with pytest.raises(ValueError, match="needs 12 bytes"):
        projector.eval_prompt(_prompt("x"), [(2, 2, b"\0" * 11)])


def test_a_projector_for_another_model_is_refused_naming_both_files(smol: NativeModel, smollm2_path: Path,
                                                                   tmp_path: Path) -> None:
    wrong = build_tiny_mmproj(tmp_path / "mmproj-64.gguf", n_embd_text=64)
    with pytest.raises(NativeError) as err:
        VisionProjector(smol, wrong, n_threads=2, use_gpu=False)
    assert err.value.kind == "ModelLoadFailed"
    message = str(err.value)
    assert str(wrong) in message and str(smollm2_path) in message
    assert "n_embd = 576" in message and "n_embd = 64" in message


def test_broken_projector_files_raise(smol: NativeModel, smollm2_path: Path, tmp_path: Path) -> None:
    good = build_tiny_mmproj()
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(good.read_bytes()[:50_000])
    garbage = tmp_path / "garbage.gguf"
    garbage.write_bytes(b"GGUF" + bytes(range(256)) * 8)
    unknown_type = rewrite_gguf(good, tmp_path / "unknown.gguf", set_strings={"clip.projector_type": "nonsense"})
    cases = [(truncated, "ModelInvalid", "incomplete"), (garbage, "ModelInvalid", str(garbage)),
             (smollm2_path, "ModelInvalid", "not an image projector"),
             (tmp_path / "missing.gguf", "ModelNotFound", "no such"),
             (unknown_type, "ModelLoadFailed", "unknown projector type: nonsense")]
    for path, kind, words in cases:
        with pytest.raises(NativeError) as err:
            VisionProjector(smol, path, n_threads=2, use_gpu=False)
        assert err.value.kind == kind, path
        assert words in str(err.value) and str(path) in str(err.value)
