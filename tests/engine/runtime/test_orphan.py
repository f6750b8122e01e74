"""No orphaned llama.cpp worker: when the app is killed (kill -9) at any moment, even while its worker
is starting, the worker is gone within ~2 s. Each parent forks a helper that keeps the parent's end of
the worker's pipe open (as any forked helper of the app would), so the worker cannot count on EOF."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
GONE_WITHIN = 2.0

PARENT = r'''
import os, signal, sys, time
from pathlib import Path
from engine import Runtime, Sampling

mode, model, logs = sys.argv[1], sys.argv[2], Path(sys.argv[3])
runtime = Runtime(log_path=logs / "llama.log", cache_dir=logs)
spawn = runtime._ensure_worker

def ensure():
    fresh = runtime._proc is None or not runtime._proc.is_alive()
    spawn()
    if fresh:
        helper = os.fork()
        if helper == 0:   # holds the parent's end of the pipe, like any forked helper
            time.sleep(30)
            os._exit(0)
        print("spawned", helper, flush=True)
        if mode == "spawned":   # the worker has not reached PR_SET_PDEATHSIG yet
            os.kill(os.getpid(), signal.SIGKILL)

runtime._ensure_worker = ensure
print("ready", flush=True)
runtime.load(model, n_ctx=512, n_threads=1, template="chatml")
print("loaded", flush=True)
for piece in runtime.generate("<|im_start|>user\nTell me a long story.<|im_end|>\n<|im_start|>assistant\n",
                              Sampling(temperature=0.8, max_tokens=2000)):
    print("token", flush=True)
time.sleep(60)
'''


def _tagged(tag: bytes, workers_only: bool = False) -> set[int]:
    """Live processes carrying ``tag`` in their environment (zombies have none); with ``workers_only``,
    just multiprocessing's spawned children (the llama worker), not its resource tracker."""
    found = set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                if tag not in f.read():
                    continue
            if workers_only and b"spawn_main" not in Path(f"/proc/{name}/cmdline").read_bytes():
                continue
            found.add(int(name))
        except OSError:
            pass
    return found


def _describe(pid: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
        return f"{cmd} (state/ppid: {Path(f'/proc/{pid}/stat').read_text().split(')')[1].split()[:2]})"
    except OSError:
        return "?"


def _run_once(plan: str, delay: float, smollm2_path: Path, tmp_path: Path) -> float:
    """Start a parent, kill it at ``plan``(+``delay``); return how long its worker outlived it."""
    tag = f"HEARTH_ORPHAN_TAG={uuid.uuid4().hex}"
    env = {**os.environ, "HEARTH_ORPHAN_TAG": tag.split("=", 1)[1], "PYTHONPATH": str(ROOT)}
    mode = "spawned" if plan == "spawned" else "run"
    parent = subprocess.Popen([sys.executable, "-c", PARENT, mode, str(smollm2_path), str(tmp_path)],
                              stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    helper = None
    try:
        deadline = time.monotonic() + 60
        assert parent.stdout is not None
        for line in parent.stdout:
            word, *rest = line.split()
            if word == "spawned":
                helper = int(rest[0])
            if word == plan or (plan == "starting" and word == "ready"):
                break
            assert time.monotonic() < deadline, "the parent never reached " + plan
        time.sleep(delay)
        if parent.poll() is None:
            parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        killed = time.monotonic()
        while True:
            left = _tagged(tag.encode(), workers_only=True)
            waited = time.monotonic() - killed
            if not left or waited > GONE_WITHIN + 3:
                break
            time.sleep(0.02)
        info = {pid: _describe(pid) for pid in left}
        assert not left, f"{info} {plan}+{delay}s: worker {sorted(left)} still running {waited:.1f} s after the parent died"
        return waited
    finally:
        if parent.poll() is None:
            parent.kill()
        for pid in _tagged(tag.encode()):   # the helper (and anything left, after a failure)
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.timeout(300)
def test_worker_never_outlives_a_killed_parent(smollm2_path: Path, tmp_path: Path) -> None:
    plans = [("spawned", 0.0), ("spawned", 0.0), ("spawned", 0.0),   # before the worker's PR_SET_PDEATHSIG
             ("starting", 0.05), ("spawned", 0.01), ("spawned", 0.1),  # during its start-up
             ("spawned", 0.4), ("spawned", 0.8),                      # during its imports and the load
             ("loaded", 0.0), ("token", 0.0)]                          # idle, and mid-reply
    worst: dict[str, float] = {}
    started = time.monotonic()
    for plan, delay in plans:
        waited = _run_once(plan, delay, smollm2_path, tmp_path)
        worst[plan] = max(worst.get(plan, 0.0), waited)
        assert waited < GONE_WITHIN, f"{plan}+{delay}s: the worker outlived its parent by {waited:.2f} s"
        assert time.monotonic() - started < 240
    print("\nworker gone after parent's kill -9, worst per point:",
          ", ".join(f"{k} {v:.2f} s" for k, v in worst.items()))


def test_child_started_after_its_parent_died_exits_at_once() -> None:
    """The check after PR_SET_PDEATHSIG: a parent pid that is not ours any more means exit now."""
    code = ("import os, time\nfrom engine.childproc import die_with_parent\n"
            "die_with_parent(os.getppid() + 100000)\ntime.sleep(20)\n")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=30,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0
    assert time.monotonic() - started < 10
