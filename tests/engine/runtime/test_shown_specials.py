"""Reply tokens as text: control tokens hidden as llama.cpp hides them, the reasoning markers kept (real SmolLM2)."""
from __future__ import annotations

from pathlib import Path

from engine.models.templates import HARMONY_MARKERS, SHOWN_SPECIALS
from engine.runtime.native import NativeModel, tokenize_bytes
from tests.gguf_tools import rewrite_gguf


def _one_token(model: NativeModel, text: str) -> int:
    ids = tokenize_bytes(model.vocab, text.encode(), add_special=False, parse_special=True)
    assert len(ids) == 1, (text, ids)
    return ids[0]


def test_a_control_token_is_hidden_unless_it_is_shown(smollm2_path: Path) -> None:
    hides = NativeModel(str(smollm2_path), n_ctx=256, n_gpu_layers=0, n_threads=1)
    shows = NativeModel(str(smollm2_path), n_ctx=256, n_gpu_layers=0, n_threads=1,
                        shown_specials=("<|im_start|>", "not one token at all"))
    try:
        marker = _one_token(hides, "<|im_start|>")
        word = _one_token(hides, "hello")
        assert hides._piece_bytes(marker) == b""                 # a control token: llama.cpp's default
        assert shows._piece_bytes(marker) == b"<|im_start|>"     # kept for the reasoning splitter
        assert shows.shown == frozenset({marker})                # several tokens: not a marker
        assert hides._piece_bytes(word) == shows._piece_bytes(word) == b"hello"
    finally:
        hides.close()
        shows.close()


def test_every_reasoning_marker_is_shown() -> None:
    """gpt-oss ends its analysis with <|end|> (a control token llama.cpp keeps out of the end-of-generation set)
    and Gemma 4 opens thinking with <|channel>: the splitter must see both."""
    assert set(HARMONY_MARKERS) <= set(SHOWN_SPECIALS)
    assert {"<|channel>", "<channel|>", "<think>", "</think>"} <= set(SHOWN_SPECIALS)


def test_a_reply_keeps_a_marker_the_model_writes(smollm2_path: Path, tmp_path: Path) -> None:
    """End to end through the Runtime's worker: SmolLM2 with its first reply token renamed to Gemma 4's <|channel>
    and typed as a control token still writes that token first, and the reply shows it as text. (Not <|end|>:
    llama.cpp makes a token of that name end generation, except in a vocabulary that also has <|return|>.)"""
    from engine import Runtime, Sampling
    prompt = "<|im_start|>user\nSay hello.<|im_end|>\n<|im_start|>assistant\n"
    greedy = Sampling(temperature=0.0, max_tokens=1)
    with Runtime() as runtime:
        runtime.load(smollm2_path, n_ctx=256)
        first = "".join(p for p in runtime.generate(prompt, greedy) if isinstance(p, str))
        model = NativeModel(str(smollm2_path), n_ctx=64, n_gpu_layers=0, n_threads=1)
        try:
            token = _one_token(model, first)
        finally:
            model.close()
        tokens = lambda items: [("<|channel>" if i == token else t) for i, t in enumerate(items)]  # noqa: E731
        types = lambda items: [(3 if i == token else t) for i, t in enumerate(items)]       # noqa: E731  CONTROL
        renamed = rewrite_gguf(smollm2_path, tmp_path / "renamed.gguf",
                               edit_arrays={"tokenizer.ggml.tokens": tokens, "tokenizer.ggml.token_type": types})
        runtime.load(renamed, n_ctx=256)
        again = "".join(p for p in runtime.generate(prompt, greedy) if isinstance(p, str))
        assert first.strip() and again == "<|channel>"
