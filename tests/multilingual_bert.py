"""A tiny multilingual BERT embedding model, written as a GGUF for tests.

Like bert-base-multilingual, its WordPiece vocabulary holds every CJK
unified ideograph (U+4E00–U+9FFF) as a word of its own (BERT's basic
tokenizer, and llama.cpp's, split Chinese character by character) plus some
English words, word pieces, letters and digits. Two layers, hidden size 64,
mean pooling, random weights from a fixed seed: its vectors mean nothing, but
they are real llama.cpp BERT outputs of the right size, the same text always
gives the same vector, and two Chinese texts of the same length give
different ones (a vocabulary without the characters would read both as
[UNK]s). The header names it "tiny-multilingual-bert", which Hearth reads as
multilingual. The layout follows engine.models.bert_gguf (llama.cpp's
converter): tensor names, F16 matrices, F32 norms and biases, the special ids.
"""
from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np

from engine.models.bert_gguf import CONTROL, FILE_TYPE_F16, NORMAL

NAME = "tiny-multilingual-bert"
HIDDEN, LAYERS, HEADS, FFN, POSITIONS = 64, 2, 4, 128, 512
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
ENGLISH = ("the of and to in is for model models search question answer file files text chinese english "
           "embedding embeddings keyword vector tea water kettle boil seconds licence software free copy "
           "what how why when where which who").split()
PIECES = ["s", "ing", "ed", "er", "ly", "es"]


def vocabulary() -> list[str]:
    """Phantom-space tokens as llama.cpp's WordPiece reads them: "▁word" starts a word, "ing" continues one."""
    words = [chr(c) for c in range(0x4E00, 0xA000)]                       # CJK unified ideographs
    words += list("，。！？；：、“”‘’（）《》「」")                          # CJK punctuation
    words += ENGLISH + list("abcdefghijklmnopqrstuvwxyz0123456789.,!?;:'\"()-%")
    continuing = PIECES + list("abcdefghijklmnopqrstuvwxyz0123456789")
    return list(dict.fromkeys(SPECIALS + ["\u2581" + w for w in words] + continuing))   # llama.cpp refuses repeats


def write(path: Path, *, seed: int = 13, name: str = NAME) -> Path:
    """Write the model to ``path`` (a few MB) and return it."""
    tokens = vocabulary()
    rng = np.random.default_rng(seed)

    def matrix(rows: int, cols: int) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) * 0.2).astype(np.float16)

    def vector(n: int, scale: float = 0.02) -> np.ndarray:
        return (rng.standard_normal(n) * scale).astype(np.float32)

    writer = gguf.GGUFWriter(path, "bert")
    writer.add_name(name)
    writer.add_file_type(FILE_TYPE_F16)
    writer.add_block_count(LAYERS)
    writer.add_context_length(POSITIONS)
    writer.add_embedding_length(HIDDEN)
    writer.add_feed_forward_length(FFN)
    writer.add_head_count(HEADS)
    writer.add_layer_norm_eps(1e-12)
    writer.add_causal_attention(False)
    writer.add_pooling_type(gguf.PoolingType.MEAN)
    writer.add_tokenizer_model("bert")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types([CONTROL] * len(SPECIALS) + [NORMAL] * (len(tokens) - len(SPECIALS)))
    writer.add_token_type_count(2)
    writer.add_pad_token_id(0)
    writer.add_unk_token_id(1)
    writer.add_bos_token_id(2)   # [CLS] doubles as BOS, as llama.cpp expects
    writer.add_eos_token_id(3)
    writer.add_sep_token_id(3)
    writer.add_mask_token_id(4)
    writer.add_add_bos_token(True)
    writer.add_bool("tokenizer.ggml.add_sep_token", True)
    writer.add_bool("tokenizer.ggml.normalizer.lowercase", True)
    writer.add_bool("tokenizer.ggml.normalizer.strip_accents", False)

    writer.add_tensor("token_embd.weight", matrix(len(tokens), HIDDEN))
    writer.add_tensor("token_types.weight", matrix(2, HIDDEN).astype(np.float32))
    writer.add_tensor("position_embd.weight", (matrix(POSITIONS, HIDDEN) * 0.1).astype(np.float32))
    writer.add_tensor("token_embd_norm.weight", np.ones(HIDDEN, np.float32))
    writer.add_tensor("token_embd_norm.bias", vector(HIDDEN))
    for i in range(LAYERS):
        for part, rows, cols in (("attn_q", HIDDEN, HIDDEN), ("attn_k", HIDDEN, HIDDEN), ("attn_v", HIDDEN, HIDDEN),
                                 ("attn_output", HIDDEN, HIDDEN), ("ffn_up", FFN, HIDDEN), ("ffn_down", HIDDEN, FFN)):
            writer.add_tensor(f"blk.{i}.{part}.weight", matrix(rows, cols))
            writer.add_tensor(f"blk.{i}.{part}.bias", vector(rows))
        for norm in ("attn_output_norm", "layer_output_norm"):
            writer.add_tensor(f"blk.{i}.{norm}.weight", np.ones(HIDDEN, np.float32))
            writer.add_tensor(f"blk.{i}.{norm}.bias", vector(HIDDEN))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
