"""Hostile inputs that reach llama.cpp: an empty prompt, a file llama.cpp refuses, a file it aborts on."""
from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from engine import Done, Runtime, Sampling, errors
from tests.gguf_tools import VT, rewrite_gguf, tiny_gguf

CHATML = "<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n"


def _reply(runtime: Runtime, prompt: str, tokens: int = 4) -> str:
    return "".join(p for p in runtime.generate(prompt, Sampling(temperature=0, max_tokens=tokens))
                   if not isinstance(p, Done))


def test_template_rendering_an_empty_prompt_is_refused_before_llama_cpp(smollm2_path: Path, tmp_path: Path) -> None:
    silent = rewrite_gguf(smollm2_path, tmp_path / "silent.gguf",
                          set_strings={"tokenizer.chat_template": "{% for m in messages %}{% endfor %}"})
    runtime = Runtime(log_path=tmp_path / "llama.log", cache_dir=tmp_path)
    try:
        info = runtime.load(silent, n_ctx=512, n_threads=2)
        pid = runtime.worker_pid
        prompt = info.template.render([{"role": "user", "content": "Hello"}])
        assert prompt == ""
        for _ in range(2):   # every time, not only once
            started = time.perf_counter()
            with pytest.raises(errors.TemplateError) as err:
                _reply(runtime, prompt)
            print(f"\nempty prompt refused in {(time.perf_counter() - started) * 1000:.2f} ms")
            assert "empty prompt" in str(err.value)
            assert not isinstance(err.value, errors.ModelCrashed)
        assert runtime.worker_pid == pid   # llama.cpp never saw it: the same worker, alive
        assert _reply(runtime, CHATML.format(q="Hi"))
    finally:
        runtime.close()


def test_header_that_would_abort_llama_cpp_never_reaches_it(tmp_path: Path) -> None:
    bad = tiny_gguf(tmp_path / "deep.gguf", kv={"llama.block_count": (513, VT.UINT32)})
    runtime = Runtime(log_path=tmp_path / "llama.log", cache_dir=tmp_path)
    started = time.monotonic()
    with pytest.raises(errors.ModelInvalid) as err:
        runtime.load(bad)
    print(f"\nblock_count 513 refused at load in {(time.monotonic() - started) * 1000:.1f} ms")
    assert time.monotonic() - started < 1.0
    assert "deep.gguf" in str(err.value) and "block_count is 513" in str(err.value)
    assert runtime.worker_pid is None
    runtime.close()


def test_llama_cpp_refusal_names_what_is_wrong(smollm2_path: Path, tmp_path: Path) -> None:
    # passes Hearth's header check (blocks, vocabulary, token_embd are all there) but lacks one weight
    holed = rewrite_gguf(smollm2_path, tmp_path / "holed.gguf", drop_tensors=("blk.3.attn_q.weight",))
    runtime = Runtime(log_path=tmp_path / "llama.log", cache_dir=tmp_path)
    try:
        with pytest.raises(errors.ModelLoadFailed) as err:
            runtime.load(holed, n_ctx=512, n_threads=2, template="chatml")
        assert "blk.3.attn_q.weight" in str(err.value), str(err.value)
        assert "memory" not in err.value.hint and "smaller context" not in err.value.hint
        assert "download" in err.value.hint.lower()
    finally:
        runtime.close()


def test_file_that_aborts_llama_cpp_twice_is_called_broken(smollm2_path: Path, tmp_path: Path) -> None:
    own = tmp_path / "aborts.gguf"   # a file of its own: crash counts follow path, size and mtime
    shutil.copyfile(smollm2_path, own)
    runtime = Runtime(log_path=tmp_path / "llama.log", cache_dir=tmp_path)
    try:
        runtime.load(own, n_ctx=512, n_threads=2)
        prompt = CHATML.format(q="Tell me a long story.")

        def abort_mid_reply() -> errors.ModelError:
            with pytest.raises(errors.ModelError) as err:
                for i, _ in enumerate(runtime.generate(prompt, Sampling(temperature=0.8, seed=1, max_tokens=400))):
                    if i == 2:
                        pid = runtime.worker_pid
                        assert pid
                        os.kill(pid, signal.SIGABRT)   # what GGML_ASSERT does
            return err.value

        first = abort_mid_reply()
        assert isinstance(first, errors.ModelCrashed) and "Reload" in first.hint
        second = abort_mid_reply()   # the next request reloaded the same file, which aborted again
        assert isinstance(second, errors.ModelBroken) and isinstance(second, errors.ModelInvalid)
        assert not isinstance(second, errors.ModelCrashed)
        assert "aborts.gguf" in str(second) and "broken" in str(second)
        assert "Download the model again" in second.hint and "delete" not in second.hint.lower() and "Reload the model" not in second.hint
        # no reload loop: the broken file is refused at once, without a worker
        with pytest.raises(errors.ModelBroken):
            _reply(runtime, prompt)
        with pytest.raises(errors.ModelBroken):
            runtime.load(own, n_ctx=512, n_threads=2)
        assert runtime.worker_pid is None
        # the parent survives and another file works
        runtime.load(smollm2_path, n_ctx=512, n_threads=2)
        assert _reply(runtime, CHATML.format(q="Hi"))
    finally:
        runtime.close()
