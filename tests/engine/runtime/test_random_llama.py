"""tests/random_llama.py: the random-weight llama GGUF that scripts/gpu_check.sh benchmarks on a GPU, made here
in its tiny size with SmolLM2's vocabulary, loaded by Hearth's checks and by llama.cpp, and decoded on the CPU."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine import Done, Runtime, Sampling
from engine.models.files import check_header
from engine.models.gguf import read_gguf_info
from engine.runtime import offload
from tests.random_llama import GQT, SIZES, parameters, write_random_llama, write_vocab_only


@pytest.fixture(scope="module")
def vocab(smollm2_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_vocab_only(tmp_path_factory.mktemp("vocab") / "vocab.gguf", smollm2_path)


def test_the_benchmark_size_is_a_1_to_3_b_model(vocab: Path) -> None:
    info = read_gguf_info(vocab)
    n_vocab = info.metadata["tokenizer.ggml.tokens"].length
    assert n_vocab == 49152 and info.n_tensors == 0 and vocab.stat().st_size < 4_000_000   # small enough to carry
    assert 1.2e9 < parameters(SIZES["1.5b"], n_vocab) < 2.0e9


@pytest.mark.parametrize("qtype", [GQT.F16, GQT.Q4_0])
def test_a_tiny_random_llama_loads_and_decodes_on_the_cpu(vocab: Path, tmp_path: Path, qtype: GQT) -> None:
    path = write_random_llama(tmp_path / "random.gguf", vocab, shape=SIZES["tiny"], qtype=qtype)
    info = read_gguf_info(path)
    check_header(str(path), info)   # Hearth's own checks pass: the app would load it
    assert info.block_count == 2 and info.metadata["tokenizer.ggml.model"] == "gpt2"
    costs = offload.layer_costs(info, 512)
    assert costs.total_layers == 3 and costs.blocks[0] == costs.blocks[1] > 0
    with Runtime(log_path=tmp_path / "llama.log", cache_dir=tmp_path) as runtime:
        loaded = runtime.load(path, n_ctx=512, n_threads=2)
        assert loaded.n_layers == 2 and loaded.gpu_layers == 0
        prompt = loaded.template.render([{"role": "user", "content": "Count to ten."}])
        stats = [i for i in runtime.generate(prompt, Sampling(temperature=0, max_tokens=24)) if isinstance(i, Done)]
    # greedy decoding of random weights never picks a control token: all 24 tokens come out
    assert stats[0].stats["completion_tokens"] == 24 and stats[0].stats["finish_reason"] == "length"
