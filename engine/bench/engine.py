"""``hearth bench engine``: Hearth's engine against bare llama.cpp, in one run.

Measures, for the same model and thread count: decode tokens/s through the
engine (worker process, streaming, storing every reply) and through a bare
in-process llama.cpp loop; time to first token on turn 1 and on turn 2 of a
long conversation with and without KV prefix reuse, against the time to
prefill only the new message; prompt-processing (prefill) tokens/s of a
fresh ~500-token prompt; model load time. It reports the backend (CPU, CUDA,
Metal …), the layers on the GPU and their VRAM as the engine loaded them.
Optionally runs llama.cpp's own ``llama-bench`` (same model, threads and GPU
layers) for the upper bound; and how soon Stop ends a request while a long
prompt is read. Writes JSON. ``python -m engine.bench.engine MODEL OUT.json
[--gpu-layers auto|N] [--llama-bench PATH]`` runs it without the app's CLI
(scripts/gpu_check.sh does).
"""
from __future__ import annotations

# llama.cpp first: numpy's own BLAS, loaded before ggml's CUDA libraries, made model loading
# segfault on an H100 host (numpy comes in with sqlite-utils below). The worker process is safe
# by construction (it imports only engine.runtime.native); this process loads a bare baseline too.
from engine.runtime import native  # noqa: F401  (isort: skip)

import json
import platform
import statistics
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from engine.chat.service import Chat, ReplyFinished
from engine.home import open_home
from engine.runtime.client import Done, Runtime, default_threads
from engine.sampling import CancelToken, Sampling
from engine.store import Store

DECODE_PROMPT = "Count from 1 to 300, separated by commas."
LONG_TURN = ("Here are some notes about the history of the lighthouse on the northern cape, its keepers, "
             "the storms it survived and the ships it guided home. ") * 6
ROUNDS = 3


def _bare_decode(model: Any, prompt: str, n_tokens: int) -> dict[str, float]:
    """The leanest loop: decode one token, sample greedily in C, detokenize."""
    from engine.runtime.native import GenerationStats
    stats = GenerationStats()
    pieces = list(model.generate(prompt, Sampling(temperature=0, repeat_penalty=1.0, max_tokens=n_tokens),
                                 cancelled=lambda: False, reuse_prefix=False, stats=stats))
    return {"tokens": stats.completion_tokens, "tokens_per_s": stats.tokens_per_s, "text_chars": len("".join(pieces))}


def _engine_decode(chat: Chat, store: Store, n_tokens: int) -> dict[str, float]:
    conv = store.create_conversation(title="bench")
    s = Sampling(temperature=0, repeat_penalty=1.0, max_tokens=n_tokens)
    finished = [e for e in chat.send(conv.id, DECODE_PROMPT, sampling=s) if isinstance(e, ReplyFinished)][0]
    return {"tokens": finished.stats["completion_tokens"], "tokens_per_s": finished.stats["tokens_per_s"]}


def _long_history() -> list[dict[str, str]]:
    """A system prompt and four long turns: the conversation both turn-2 measurements continue."""
    history = [{"role": "system", "content": "You are a helpful assistant."}]
    for i in range(4):
        history += [{"role": "user", "content": f"Part {i}. {LONG_TURN}"},
                    {"role": "assistant", "content": f"Thank you for part {i}; I have noted it."}]
    return history


def _turn2_ttft(runtime: Runtime, reuse: bool) -> dict[str, float]:
    """Turn 1 of a long conversation, then turn 2; TTFT of each as the engine streams them."""
    template = runtime.info.template  # type: ignore[union-attr]
    history = _long_history()
    turn1 = template.render(history + [{"role": "user", "content": "Summarise part 0."}])
    s = Sampling(temperature=0, max_tokens=16)
    first = _stats(runtime.generate(turn1, s, reuse_prefix=reuse))
    reply = "I have summarised it."
    turn2 = template.render(history + [{"role": "user", "content": "Summarise part 0."},
                                       {"role": "assistant", "content": reply},
                                       {"role": "user", "content": "Now list the keepers' names."}])
    second = _stats(runtime.generate(turn2, s, reuse_prefix=reuse))
    return {"turn1_ttft_s": first["ttft_seconds"], "turn2_ttft_s": second["ttft_seconds"],
            "turn2_prompt_tokens": second["prompt_tokens"], "turn2_prompt_evaluated": second["prompt_evaluated"]}


def _stop_during_prompt(runtime: Runtime) -> dict[str, Any]:
    """Stop pressed while a long prompt is read: seconds from the cancel to the worker's Done, at a tenth
    and at half of the time the whole prompt takes (measured first, from scratch); None where the prompt
    was read before the stop came."""
    template = runtime.info.template  # type: ignore[union-attr]
    prompt = template.render([{"role": "user", "content": f"Summarise this. {LONG_TURN * 10}"}])
    s = Sampling(temperature=0, max_tokens=1)
    full = _stats(runtime.generate(prompt, s, reuse_prefix=False))
    latencies: list[float | None] = []
    for fraction in (0.1, 0.5):
        cancel = CancelToken()
        stopped_at: list[float] = []
        timer = threading.Timer(fraction * full["prompt_seconds"],
                                lambda at=stopped_at, c=cancel: (at.append(time.perf_counter()), c.cancel()))
        timer.start()
        stopped = _stats(runtime.generate(prompt, s, reuse_prefix=False, cancel=cancel))
        returned = time.perf_counter()
        timer.cancel()
        cut = stopped_at and stopped["finish_reason"] == "cancelled"
        latencies.append(returned - stopped_at[0] if cut else None)
    return {"stop_prompt_tokens": full["prompt_tokens"], "stop_prompt_full_s": full["prompt_seconds"],
            "stop_latency_s_during_prompt": latencies}


def _stats(stream: Any) -> dict[str, Any]:
    return [item for item in stream if isinstance(item, Done)][0].stats


def _prefill_only_new(model: Any, runtime: Runtime) -> float:
    """Bare llama.cpp: with the history already cached, time to evaluate just the new tokens + 1 sample."""
    template = runtime.info.template  # type: ignore[union-attr]
    msgs = _long_history() + [{"role": "user", "content": "Summarise part 0."},
                              {"role": "assistant", "content": "I have summarised it."}]
    prefix = template.render(msgs, add_generation_prompt=False)
    full = template.render(msgs + [{"role": "user", "content": "Now list the keepers' names."}])
    from engine.runtime.native import GenerationStats
    list(model.generate(prefix, Sampling(temperature=0, max_tokens=1), cancelled=lambda: False, reuse_prefix=False))
    st = GenerationStats()
    list(model.generate(full, Sampling(temperature=0, max_tokens=1), cancelled=lambda: False, stats=st))
    return st.ttft_seconds


def _prefill(model: Any, runtime: Runtime) -> tuple[float, float, int]:
    """Prompt processing from scratch (no KV reuse), tokens/s: bare llama.cpp and the engine, and the prompt's
    length (~500 tokens, as llama-bench's pp512)."""
    from engine.runtime.native import GenerationStats
    template = runtime.info.template  # type: ignore[union-attr]
    prompt = template.render([{"role": "user", "content": f"Summarise this. {LONG_TURN * 3}"}])
    s = Sampling(temperature=0, max_tokens=1)
    bare, engine = [], []
    for _ in range(ROUNDS):
        st = GenerationStats()
        list(model.generate(prompt, s, cancelled=lambda: False, reuse_prefix=False, stats=st))
        bare.append(st.prompt_evaluated / st.prompt_seconds if st.prompt_seconds else 0.0)
        done = _stats(runtime.generate(prompt, s, reuse_prefix=False))
        engine.append(done["prompt_evaluated"] / done["prompt_seconds"] if done["prompt_seconds"] else 0.0)
    return statistics.median(bare), statistics.median(engine), st.prompt_tokens


def _llama_bench(binary: str, model: Path, threads: int, gpu_layers: int) -> dict[str, Any]:
    """llama.cpp's own benchmark with the engine's threads and GPU layers: pp512 and tg128 tokens/s."""
    out = subprocess.run([binary, "-m", str(model), "-t", str(threads), "-ngl", str(gpu_layers), "-p", "512",
                          "-n", "128", "-o", "json", "-r", "3"], capture_output=True, text=True, check=True,
                         timeout=600)
    rows = json.loads(out.stdout)
    result: dict[str, Any] = {"n_gpu_layers": gpu_layers}
    for row in rows:
        key = "tg128_tokens_per_s" if row.get("n_gen") else "pp512_tokens_per_s"
        result[key] = row.get("avg_ts")
        for fact in ("backends", "gpu_info", "flash_attn", "n_batch", "n_ubatch"):
            if fact in row:
                result[fact] = row[fact]
    return result


def run_engine_bench(model_path: Path, out: Path, *, threads: int | None = None, n_tokens: int = 128,
                     llama_bench: str | None = None, gpu_layers: int | str = "auto") -> dict[str, Any]:
    """Measure and write JSON to ``out``. ``gpu_layers``: as ``Runtime.load`` takes it ("auto": the planner's
    choice; -1: all); the bare loop and llama-bench get the count the engine ended with."""
    from engine.runtime.native import NativeModel  # imports llama.cpp into this process: the bare baseline
    threads = threads or default_threads()
    eng = open_home().engine()   # the store, runtime and chat service the app itself uses
    store, runtime, chat = eng.store, eng.runtime, eng.chat
    started = time.perf_counter()
    info = runtime.load(model_path, n_ctx=4096, n_threads=threads, n_gpu_layers=gpu_layers)
    engine_load = time.perf_counter() - started
    started = time.perf_counter()
    layers = 0 if info.backend == "CPU" else info.gpu_layers   # what the engine got, after any fallback
    bare = NativeModel(str(info.path), n_ctx=4096, n_gpu_layers=layers, n_threads=threads)
    bare_load = time.perf_counter() - started
    prompt = info.template.render([{"role": "user", "content": DECODE_PROMPT}])
    bare_runs, engine_runs = [], []
    _bare_decode(bare, prompt, 16)  # warm up both
    _engine_decode(chat, store, 16)
    for _ in range(ROUNDS):  # interleave, so drift affects both alike
        bare_runs.append(_bare_decode(bare, prompt, n_tokens)["tokens_per_s"])
        engine_runs.append(_engine_decode(chat, store, n_tokens)["tokens_per_s"])
    bare_tps, engine_tps = statistics.median(bare_runs), statistics.median(engine_runs)
    with_reuse = _turn2_ttft(runtime, reuse=True)
    without_reuse = _turn2_ttft(runtime, reuse=False)
    prefill_new = statistics.median(_prefill_only_new(bare, runtime) for _ in range(ROUNDS))
    stop = _stop_during_prompt(runtime)
    prefill_bare, prefill_engine, prefill_tokens = _prefill(bare, runtime)
    result: dict[str, Any] = {
        "model": info.name, "model_path": str(info.path), "quantization": info.quantization,
        "backend": info.backend, "gpu_layers_requested": gpu_layers, "gpu_layers": info.gpu_layers,
        "offloadable_layers": info.n_layers + 1, "vram_bytes_estimated": info.vram_bytes,
        "offload_note": info.offload_note, "threads": threads, "n_tokens": n_tokens, "machine": platform.processor() or platform.machine(),
        "decode_tokens_per_s_engine": engine_tps, "decode_tokens_per_s_bare": bare_tps,
        "decode_ratio_engine_vs_bare": engine_tps / bare_tps if bare_tps else None,
        "decode_runs_engine": engine_runs, "decode_runs_bare": bare_runs,
        "prefill_tokens": prefill_tokens, "prefill_tokens_per_s_engine": prefill_engine,
        "prefill_tokens_per_s_bare": prefill_bare,
        "turn1_ttft_s": with_reuse["turn1_ttft_s"],
        "turn2_ttft_s_with_prefix_reuse": with_reuse["turn2_ttft_s"],
        "turn2_ttft_s_without_prefix_reuse": without_reuse["turn2_ttft_s"],
        "turn2_prompt_tokens": with_reuse["turn2_prompt_tokens"],
        "turn2_prompt_evaluated_with_reuse": with_reuse["turn2_prompt_evaluated"],
        "prefill_only_new_message_s_bare": prefill_new,
        "turn2_ttft_ratio_vs_prefill_only_new": with_reuse["turn2_ttft_s"] / prefill_new if prefill_new else None,
        "load_s_engine_including_worker_start": engine_load, "load_s_bare": bare_load,
        **stop,
    }
    if llama_bench:
        lb = _llama_bench(llama_bench, model_path, threads, layers)
        result["llama_bench"] = lb
        if lb.get("tg128_tokens_per_s"):
            result["decode_ratio_engine_vs_llama_bench"] = engine_tps / lb["tg128_tokens_per_s"]
        if lb.get("pp512_tokens_per_s"):
            result["prefill_ratio_engine_vs_llama_bench"] = prefill_engine / lb["pp512_tokens_per_s"]
    bare.close()
    eng.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    return result


def main(argv: list[str] | None = None) -> int:
    """``python -m engine.bench.engine MODEL OUT.json [--gpu-layers auto|N] [--threads N] [--llama-bench PATH]``."""
    import argparse
    parser = argparse.ArgumentParser(prog="python -m engine.bench.engine", description=main.__doc__)
    parser.add_argument("model", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--gpu-layers", default="auto", type=lambda v: v if v == "auto" else int(v))
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--llama-bench", default=None)
    args = parser.parse_args(argv)
    result = run_engine_bench(args.model, args.out, threads=args.threads, n_tokens=args.tokens,
                              llama_bench=args.llama_bench, gpu_layers=args.gpu_layers)
    print(json.dumps({k: result[k] for k in ("backend", "gpu_layers", "offloadable_layers",
                                             "prefill_tokens_per_s_engine", "decode_tokens_per_s_engine")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
