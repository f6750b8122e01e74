"""The llama.cpp worker process, with real llama.cpp on real GGUF files."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine import CancelToken, Done, Runtime, Sampling, errors
from tests.gguf_tools import rewrite_gguf

CHATML = "<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n"


def _collect(runtime: Runtime, prompt: str, sampling: Sampling, **kw: object) -> tuple[str, dict]:
    text, stats = [], {}
    for item in runtime.generate(prompt, sampling, **kw):  # type: ignore[arg-type]
        if isinstance(item, Done):
            stats = item.stats
        else:
            text.append(item)
    return "".join(text), stats


def test_load_reports_what_was_loaded(smol_runtime: Runtime, smollm2_path: Path) -> None:
    info = smol_runtime.info
    assert info is not None
    assert info.architecture == "llama"
    assert info.quantization == "Q4_1"
    assert info.n_ctx_train == 8192 and info.n_ctx == 2048
    assert 130e6 < info.parameters < 140e6
    assert info.backend == "CPU" and info.gpu_layers == 0
    assert info.sha256 == hashlib.sha256(smollm2_path.read_bytes()).hexdigest()
    assert info.template.name == "embedded"
    assert smol_runtime.worker_pid not in (None, os.getpid())


def test_reply_streams_in_pieces(smol_runtime: Runtime) -> None:
    pieces = []
    for item in smol_runtime.generate(CHATML.format(q="What is the capital of France?"),
                                      Sampling(temperature=0, max_tokens=48)):
        pieces.append(item)
    assert isinstance(pieces[-1], Done)
    text = "".join(p for p in pieces if isinstance(p, str))
    assert len(pieces) > 3
    assert "Paris" in text
    assert pieces[-1].stats["finish_reason"] in ("stop", "length")


def test_cancel_stops_within_one_token(smol_runtime: Runtime) -> None:
    cancel = CancelToken()
    got = 0
    stats = {}
    for item in smol_runtime.generate(CHATML.format(q="Write a long story about a dragon."),
                                      Sampling(temperature=0.8, seed=1, max_tokens=400), cancel=cancel):
        if isinstance(item, Done):
            stats = item.stats
            break
        got += 1
        if got == 5:
            cancel.cancel()
    assert stats["finish_reason"] == "cancelled"
    assert stats["completion_tokens"] <= 6  # the token in flight at most
    # the runtime is usable right after
    text, _ = _collect(smol_runtime, CHATML.format(q="Say hi."), Sampling(temperature=0, max_tokens=8))
    assert text


def test_abandoned_stream_leaves_runtime_usable(smol_runtime: Runtime) -> None:
    stream = smol_runtime.generate(CHATML.format(q="Count to one hundred."), Sampling(temperature=0, max_tokens=300))
    next(stream)
    stream.close()
    text, stats = _collect(smol_runtime, CHATML.format(q="What is 2+2?"), Sampling(temperature=0, max_tokens=16))
    assert stats["finish_reason"] in ("stop", "length") and text


def test_same_seed_reproduces(smol_runtime: Runtime) -> None:
    prompt = CHATML.format(q="Invent a name for a cat and describe it.")
    s = Sampling(temperature=1.0, top_p=0.95, seed=1234, max_tokens=40)
    first, _ = _collect(smol_runtime, prompt, s)
    _collect(smol_runtime, CHATML.format(q="Something else entirely."), Sampling(temperature=0, max_tokens=8))
    second, _ = _collect(smol_runtime, prompt, s)
    third, _ = _collect(smol_runtime, prompt, Sampling(temperature=1.0, top_p=0.95, seed=99, max_tokens=40))
    assert first == second
    assert first != third


def test_second_turn_reuses_prefix(smol_runtime: Runtime) -> None:
    turn1 = "<|im_start|>system\nYou are brief.<|im_end|>\n" + CHATML.format(q="Name three colours.")
    reply, s1 = _collect(smol_runtime, turn1, Sampling(temperature=0, max_tokens=32))
    new = "<|im_start|>user\nAnd three animals?<|im_end|>\n<|im_start|>assistant\n"
    turn2 = turn1 + reply + "<|im_end|>\n" + new
    _, s2 = _collect(smol_runtime, turn2, Sampling(temperature=0, max_tokens=8))
    new_tokens = smol_runtime.count_tokens(new)
    assert s2["prompt_tokens"] > s1["prompt_tokens"] + new_tokens - 2
    # only the new message (plus the end-of-turn marker after the reply) is evaluated
    assert s2["prompt_evaluated"] <= new_tokens + 3
    _, s3 = _collect(smol_runtime, turn2, Sampling(temperature=0, max_tokens=8), reuse_prefix=False)
    assert s3["prompt_evaluated"] == s3["prompt_tokens"]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSEGV])
def test_worker_death_mid_stream(smol_runtime: Runtime, sig: signal.Signals) -> None:
    pid = smol_runtime.worker_pid
    assert pid
    got = 0
    started = 0.0
    with pytest.raises(errors.ModelCrashed) as info:
        for item in smol_runtime.generate(CHATML.format(q="Tell me a long story."),
                                          Sampling(temperature=0.8, seed=3, max_tokens=500)):
            got += 1
            if got == 3:
                started = time.monotonic()
                os.kill(pid, sig)
    assert time.monotonic() - started < 2.0
    assert info.value.exitcode == -sig
    assert signal.Signals(sig).name in str(info.value)
    assert "Reload" in info.value.hint
    # the next request starts a fresh worker with the same model
    text, _ = _collect(smol_runtime, CHATML.format(q="What is the capital of France?"), Sampling(temperature=0, max_tokens=16))
    assert "Paris" in text
    assert smol_runtime.worker_pid not in (None, pid)


@pytest.mark.parametrize("cut", ["header", "half", "last-byte"])
def test_truncated_model_refused_quickly(smollm2_path: Path, tmp_path: Path, cut: str) -> None:
    size = smollm2_path.stat().st_size
    keep = {"header": 24, "half": size // 2, "last-byte": size - 1}[cut]
    bad = tmp_path / f"cut-{cut}.gguf"
    with open(smollm2_path, "rb") as src, open(bad, "wb") as dst:
        dst.write(src.read(keep))
    runtime = Runtime()
    started = time.monotonic()
    with pytest.raises(errors.ModelInvalid) as info:
        runtime.load(bad)
    assert time.monotonic() - started < 1.0
    assert bad.name in str(info.value)
    assert runtime.worker_pid is None  # never reached llama.cpp
    runtime.close()


def test_garbage_and_missing_files(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.gguf"
    garbage.write_bytes(os.urandom(4096))
    runtime = Runtime()
    with pytest.raises(errors.ModelInvalid, match="garbage.gguf"):
        runtime.load(garbage)
    with pytest.raises(errors.ModelNotFound):
        runtime.load(tmp_path / "missing.gguf")
    with pytest.raises(errors.NoModelLoaded):
        runtime.count_tokens("hello")
    runtime.close()


def test_malicious_template_refused_and_runs_nothing(smollm2_path: Path, tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    hostile = "{{ lipsum.__globals__['os'].popen('touch " + str(marker) + "').read() }}" \
              "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    bad = rewrite_gguf(smollm2_path, tmp_path / "hostile.gguf", set_strings={"tokenizer.chat_template": hostile})
    runtime = Runtime()
    with pytest.raises(errors.UnsafeTemplate) as info:
        runtime.load(bad)
    assert "hostile.gguf" in str(info.value)
    assert not marker.exists()
    # the way out the error offers: a built-in template
    loaded = runtime.load(bad, template="chatml", n_ctx=512)
    assert loaded.template.name == "chatml"
    text, _ = _collect(runtime, loaded.template.render([{"role": "user", "content": "Hi"}]),
                       Sampling(temperature=0, max_tokens=4))
    assert not marker.exists()
    runtime.close()


def test_endless_template_loop_is_stopped(smollm2_path: Path, tmp_path: Path) -> None:
    endless = "{% for i in range(100000) %}{% for j in range(100000) %}{{ '' }}{% endfor %}{% endfor %}"
    path = rewrite_gguf(smollm2_path, tmp_path / "endless.gguf", set_strings={"tokenizer.chat_template": endless})
    runtime = Runtime()
    info = runtime.load(path, n_ctx=512)
    started = time.monotonic()
    with pytest.raises(errors.TemplateTimeout) as err:
        info.template.render([{"role": "user", "content": "hi"}], timeout_s=1.0)
    assert time.monotonic() - started < 1.6
    assert "endless.gguf" in str(err.value)
    runtime.close()


def test_engine_imports_without_qt() -> None:
    code = ("import sys, engine, engine.chat.service, engine.runtime.client, engine.store; "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))]; "
            "assert not bad, bad; "
            "assert 'llama_cpp' not in sys.modules, 'llama_cpp belongs to the worker'")
    subprocess.run([sys.executable, "-c", code], check=True)
