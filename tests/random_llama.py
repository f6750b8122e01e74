"""A llama-architecture GGUF with random weights and a real tokenizer's vocabulary, for speed measurements.

tokens/s does not depend on the weights' values, so a benchmark needs no real model: this writes one of
any size from a vocabulary-only source (any GGUF with ``tokenizer.*`` keys: SmolLM2's, or llama.cpp's
``models/ggml-vocab-*.gguf``), tensor by tensor, so a 1.5 B-parameter model needs little memory.
scripts/gpu_check.sh makes its test model with it on the GPU machine (nothing can be downloaded there).

Greedy decoding of random weights repeats one token, which could be the end-of-generation token and
stop a benchmark after one token: the output rows of every control token are zero, so their logits
(0) never win over the others (random, so some are positive).

    python -m tests.random_llama OUT.gguf --vocab SOURCE.gguf [--size 1.5b|tiny] [--type f16|q8_0|q4_0]
    python -m tests.random_llama VOCAB.gguf --vocab SOURCE.gguf --vocab-only   # the tokenizer alone
"""
from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import gguf
import numpy as np

GQT = gguf.GGMLQuantizationType
TYPES = {"f16": GQT.F16, "q8_0": GQT.Q8_0, "q4_0": GQT.Q4_0}
CONTROL = 3   # tokenizer.ggml.token_type of control tokens (<|im_end|>, </s> …)


@dataclass(frozen=True)
class Shape:
    n_layer: int
    n_embd: int
    n_head: int
    n_head_kv: int
    n_ff: int
    n_ctx: int = 4096


SIZES = {
    "tiny": Shape(n_layer=2, n_embd=64, n_head=4, n_head_kv=2, n_ff=128, n_ctx=512),
    "1.5b": Shape(n_layer=24, n_embd=2048, n_head=32, n_head_kv=4, n_ff=8192),   # ~1.5 B with a 49k vocabulary
}


def tokenizer_fields(source: Path) -> tuple[list[tuple[str, Any, Any, Any]], list[int]]:
    """``(key, value, type, item type)`` of every ``tokenizer.*`` key of ``source``, and its token types."""
    reader = gguf.GGUFReader(source)
    fields, types = [], []
    for field in reader.fields.values():
        if not field.name.startswith("tokenizer."):
            continue
        vtype = field.types[0]
        sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        value = field.contents()
        fields.append((field.name, value, vtype, sub))
        if field.name == "tokenizer.ggml.token_type":
            types = [int(t) for t in value]
    return fields, types


def tensor_shapes(shape: Shape, n_vocab: int) -> dict[str, tuple[int, ...]]:
    """Tensor name -> numpy shape (rows first) of a llama model, as llama.cpp expects them."""
    head_dim = shape.n_embd // shape.n_head
    kv = shape.n_head_kv * head_dim
    e, f = shape.n_embd, shape.n_ff
    shapes: dict[str, tuple[int, ...]] = {"token_embd.weight": (n_vocab, e)}
    for i in range(shape.n_layer):
        shapes.update({f"blk.{i}.attn_norm.weight": (e,), f"blk.{i}.attn_q.weight": (e, e),
                       f"blk.{i}.attn_k.weight": (kv, e), f"blk.{i}.attn_v.weight": (kv, e),
                       f"blk.{i}.attn_output.weight": (e, e), f"blk.{i}.ffn_norm.weight": (e,),
                       f"blk.{i}.ffn_gate.weight": (f, e), f"blk.{i}.ffn_up.weight": (f, e),
                       f"blk.{i}.ffn_down.weight": (e, f)})
    shapes.update({"output_norm.weight": (e,), "output.weight": (n_vocab, e)})
    return shapes


def parameters(shape: Shape, n_vocab: int) -> int:
    return sum(int(np.prod(s)) for s in tensor_shapes(shape, n_vocab).values())


def _tensors(shape: Shape, n_vocab: int, control: list[int], qtype: GQT,
             seed: int) -> Iterator[tuple[str, np.ndarray, GQT]]:
    rng = np.random.default_rng(seed)
    for name, dims in tensor_shapes(shape, n_vocab).items():
        if len(dims) == 1:   # norms stay F32, as converters write them; ones keep activations in scale
            yield name, np.ones(dims, dtype=np.float32), GQT.F32
            continue
        data = rng.standard_normal(dims, dtype=np.float32)
        data *= 0.02
        if name == "output.weight" and control:
            data[control] = 0.0
        if qtype == GQT.F16:
            yield name, data.astype(np.float16), GQT.F16
        else:
            yield name, gguf.quants.quantize(data, qtype), qtype


def write_random_llama(out: Path, vocab_source: Path, *, shape: Shape, qtype: GQT = GQT.F16,
                       seed: int = 0, name: str = "Random Llama") -> Path:
    """Write the model; tensors are made twice (sizes first, then data, same seed) to stream them."""
    fields, types = tokenizer_fields(vocab_source)
    tokens = next(v for k, v, *_ in fields if k == "tokenizer.ggml.tokens")
    n_vocab = len(tokens)
    control = [i for i, t in enumerate(types) if t == CONTROL]
    writer = gguf.GGUFWriter(str(out), "llama")
    writer.add_name(name)
    writer.add_block_count(shape.n_layer)
    writer.add_context_length(shape.n_ctx)
    writer.add_embedding_length(shape.n_embd)
    writer.add_feed_forward_length(shape.n_ff)
    writer.add_head_count(shape.n_head)
    writer.add_head_count_kv(shape.n_head_kv)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_freq_base(10000.0)
    writer.add_vocab_size(n_vocab)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if qtype == GQT.F16 else
                         gguf.LlamaFileType.MOSTLY_Q8_0 if qtype == GQT.Q8_0 else gguf.LlamaFileType.MOSTLY_Q4_0)
    for key, value, vtype, sub in fields:
        writer.add_key_value(key, value, vtype, sub_type=sub)
    for tname, dims in tensor_shapes(shape, n_vocab).items():
        ttype = GQT.F32 if len(dims) == 1 else qtype
        block, type_size = gguf.GGML_QUANT_SIZES[ttype]
        nbytes = int(np.prod(dims)) // block * type_size
        writer.add_tensor_info(tname, dims, np.dtype(np.float32 if ttype == GQT.F32 else np.float16), nbytes,
                               ttype if ttype not in (GQT.F32, GQT.F16) else None)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for _, data, _ in _tensors(shape, n_vocab, control, qtype, seed):
        writer.write_tensor_data(data)
    writer.close()
    return out


def write_vocab_only(out: Path, vocab_source: Path) -> Path:
    """A GGUF holding only ``vocab_source``'s tokenizer (a few MB: small enough to carry to another machine)."""
    fields, _ = tokenizer_fields(vocab_source)
    writer = gguf.GGUFWriter(str(out), "llama")
    writer.add_name("vocabulary")
    for key, value, vtype, sub in fields:
        writer.add_key_value(key, value, vtype, sub_type=sub)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.random_llama", description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--vocab", type=Path, required=True, help="a GGUF with tokenizer.* keys")
    parser.add_argument("--size", choices=sorted(SIZES), default="1.5b")
    parser.add_argument("--type", choices=sorted(TYPES), default="f16")
    parser.add_argument("--vocab-only", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.vocab_only:
        write_vocab_only(args.out, args.vocab)
    else:
        write_random_llama(args.out, args.vocab, shape=SIZES[args.size], qtype=TYPES[args.type])
    print(f"{args.out}: {args.out.stat().st_size / 1e9:.2f} GB in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
