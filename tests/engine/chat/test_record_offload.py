"""Every reply's reproducibility record says where the model ran: the backend and the layers on the GPU
(a scripted engine reporting a CUDA load with 20 of 33 layers offloaded, then the real SmolLM2 on the CPU)."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any


from engine import Chat, ModelInfo, ReplyFinished, Runtime, Sampling, Store
from engine.runtime.scripted import ScriptedRuntime


class CudaRuntime(ScriptedRuntime):
    def load(self, path: str, **kwargs: Any) -> ModelInfo:
        self.info = replace(super().load(path, **kwargs), backend="CUDA", n_layers=32, gpu_layers=20,
                            vram_bytes=2_000_000_000)
        return self.info


def _stored_record(store: Store, runtime: Any) -> dict[str, Any]:
    conv = store.create_conversation()
    events = list(Chat(store, runtime).send(conv.id, "Hello.", sampling=Sampling(temperature=0, max_tokens=4)))
    assert [e for e in events if isinstance(e, ReplyFinished)][-1].message.status == "complete"
    stored = store.thread(conv.id)[-1]
    assert stored.role == "assistant"
    return stored.record


def test_the_record_keeps_the_gpu_backend_and_layers(store: Store, smollm2_path: Path) -> None:
    runtime = CudaRuntime()
    runtime.load(str(smollm2_path))
    model = _stored_record(store, runtime)["model"]
    assert (model["backend"], model["gpu_layers"]) == ("CUDA", 20)


def test_the_record_of_a_real_cpu_reply(store: Store, smollm2_path: Path, tmp_path: Path) -> None:
    with Runtime(log_path=tmp_path / "llama.log", cache_dir=tmp_path) as runtime:
        runtime.load(smollm2_path, n_ctx=512, n_threads=2)
        model = _stored_record(store, runtime)["model"]
    assert (model["backend"], model["gpu_layers"]) == ("CPU", 0)
