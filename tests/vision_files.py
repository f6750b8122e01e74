"""A tiny vision projector (mmproj GGUF) for tests, built here: no vision model can be downloaded.

llama.cpp's multimodal library (libmtmd, ``tools/mtmd/clip.cpp``) loads a
projector file beside a text model. This one is the smallest it accepts: a
LLaVA-style ("mlp") projector over a CLIP vision tower of two blocks, hidden
size 32, for 32x32 images cut into 8x8 patches, so every image becomes 16
embeddings of the text model's width. Weights are seeded random numbers: the
"vision" is noise, but every step of llama.cpp's image path runs for real
(preprocessing, patch convolution, attention, projector, decoding the
embeddings into the text model's context).

What llama.cpp reads (clip.cpp ``load_hparams`` / ``load_tensors``, llava graph in ``models/llava.cpp``):

- keys ``clip.projector_type`` = "mlp", ``clip.has_vision_encoder``, and
  ``clip.vision.{image_size, patch_size, embedding_length, feed_forward_length,
  block_count, projection_dim, attention.head_count, attention.layer_norm_epsilon,
  image_mean, image_std}``;
- tensors ``v.patch_embd.weight`` (a conv kernel), ``v.position_embd.weight``,
  per block ``v.blk.N.{attn_q, attn_k, attn_v, attn_out, ln1, ln2, ffn_up, ffn_down}``,
  and the projector ``mm.0`` (vision width -> hidden) and ``mm.2`` (hidden -> text width);
  llama.cpp checks ``mm.2.weight``'s output size against the text model's ``n_embd``.

The llava graph runs ``block_count - 1`` blocks (it takes the features of the
second-to-last layer), so two blocks are written and one runs.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from tests.model_files import cache_dir

VERSION = 1          # bump when the layout changes: the cached file name carries it
IMAGE_SIZE = 32
PATCH_SIZE = 8
N_EMBD = 32          # vision tower width
N_HEAD = 2
N_FF = 64
N_BLOCKS = 2
N_HIDDEN = 64        # projector hidden width (mm.0 output)
N_PATCHES = (IMAGE_SIZE // PATCH_SIZE) ** 2    # tokens per image: 16
SMOLLM2_N_EMBD = 576


def _tensors(n_embd_text: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """name -> array, in numpy (row-major) order; GGUF stores the shape reversed, as ggml expects."""
    def weight(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.05).astype(np.float32)

    def ones(n: int) -> np.ndarray:
        return np.ones(n, dtype=np.float32)

    def zeros(n: int) -> np.ndarray:
        return np.zeros(n, dtype=np.float32)

    out: dict[str, np.ndarray] = {
        # a Conv2d(3, N_EMBD, PATCH_SIZE, stride=PATCH_SIZE) kernel: ggml ne = [ps, ps, 3, n_embd]
        "v.patch_embd.weight": weight(N_EMBD, 3, PATCH_SIZE, PATCH_SIZE).astype(np.float16),
        "v.patch_embd.bias": zeros(N_EMBD),
        "v.position_embd.weight": weight(N_PATCHES, N_EMBD),
    }
    for i in range(N_BLOCKS):
        blk = f"v.blk.{i}"
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            out[f"{blk}.{name}.weight"] = weight(N_EMBD, N_EMBD)
            out[f"{blk}.{name}.bias"] = zeros(N_EMBD)
        for name in ("ln1", "ln2"):
            out[f"{blk}.{name}.weight"] = ones(N_EMBD)
            out[f"{blk}.{name}.bias"] = zeros(N_EMBD)
        out[f"{blk}.ffn_up.weight"] = weight(N_FF, N_EMBD)       # ggml ne [n_embd, n_ff]: n_embd -> n_ff
        out[f"{blk}.ffn_up.bias"] = zeros(N_FF)
        out[f"{blk}.ffn_down.weight"] = weight(N_EMBD, N_FF)
        out[f"{blk}.ffn_down.bias"] = zeros(N_EMBD)
    out["mm.0.weight"] = weight(N_HIDDEN, N_EMBD)
    out["mm.0.bias"] = zeros(N_HIDDEN)
    out["mm.2.weight"] = weight(n_embd_text, N_HIDDEN)
    out["mm.2.bias"] = zeros(n_embd_text)
    return out


def write_tiny_mmproj(out: Path, *, n_embd_text: int = SMOLLM2_N_EMBD, seed: int = 0,
                      drop: tuple[str, ...] = ()) -> Path:
    """Write the projector to ``out`` (atomically) and return it; ``drop`` leaves tensors out (a projector
    without ``v.position_embd.weight`` is a valid GGUF that crashes llama.cpp's loader: SIGSEGV)."""
    import gguf

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    writer = gguf.GGUFWriter(tmp, "clip")
    writer.add_name("hearth-test-tiny-mmproj")
    writer.add_description(f"tiny random LLaVA-style projector for tests (seed {seed})")
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)  # the patch kernel is F16, the rest F32
    writer.add_string("clip.projector_type", "mlp")
    writer.add_bool("clip.has_vision_encoder", True)
    writer.add_bool("clip.use_gelu", True)
    writer.add_uint32("clip.vision.image_size", IMAGE_SIZE)
    writer.add_uint32("clip.vision.patch_size", PATCH_SIZE)
    writer.add_uint32("clip.vision.embedding_length", N_EMBD)
    writer.add_uint32("clip.vision.feed_forward_length", N_FF)
    writer.add_uint32("clip.vision.block_count", N_BLOCKS)
    writer.add_uint32("clip.vision.projection_dim", n_embd_text)
    writer.add_uint32("clip.vision.attention.head_count", N_HEAD)
    writer.add_float32("clip.vision.attention.layer_norm_epsilon", 1e-5)
    writer.add_array("clip.vision.image_mean", [0.5, 0.5, 0.5])
    writer.add_array("clip.vision.image_std", [0.5, 0.5, 0.5])
    for name, array in _tensors(n_embd_text, np.random.default_rng(seed)).items():
        if name not in drop:
            writer.add_tensor(name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(tmp, out)
    return out


def build_tiny_mmproj(out: Path | None = None, *, n_embd_text: int = SMOLLM2_N_EMBD, seed: int = 0) -> Path:
    """The tiny projector for a text model of width ``n_embd_text``: ``out`` if given, else a file in
    the test-models cache (built once per version, width and seed)."""
    if out is None:
        out = cache_dir() / f"tiny-mmproj-v{VERSION}-e{n_embd_text}-s{seed}.gguf"
    if not Path(out).exists():
        write_tiny_mmproj(Path(out), n_embd_text=n_embd_text, seed=seed)
    return Path(out)


if __name__ == "__main__":
    print(build_tiny_mmproj())
