"""What this build of llama.cpp can do: its version, the accelerator it was built for, the CPU features it uses.

For Help → About and bug reports. ``llama_cpp`` belongs to the worker process
(a crash in llama.cpp must never take the window down), so the facts are read
in a short-lived child process of their own and kept for the rest of the
session: they cannot change while Hearth runs. Asking costs about a second
(starting Python and loading llama.cpp); call it off the GUI thread.
"""
from __future__ import annotations

import logging
import multiprocessing as mp
import threading
from dataclasses import dataclass, field
from typing import Any

from engine.childproc import start_child

log = logging.getLogger(__name__)

TIMEOUT = 30.0   # seconds; a child that hangs loading llama.cpp must not hang the caller
_lock = threading.Lock()
_cached: "LlamaBuild | None" = None


@dataclass(frozen=True)
class LlamaBuild:
    """llama.cpp as Hearth runs it. ``error`` says why nothing could be read (the other fields are then empty)."""

    version: str = ""                 # llama-cpp-python's version (it pins the llama.cpp it ships)
    backend: str = ""                 # "CPU", "CUDA", "Metal", "Vulkan", …
    gpu_offload: bool = False         # the build can put layers on a GPU
    cpu_features: list[str] = field(default_factory=list)   # "AVX2", "FMA", … that the build uses
    system_info: str = ""             # llama.cpp's own one-line report
    error: str = ""

    def summary(self) -> str:
        """One line for a bug report."""
        if self.error:
            return f"llama.cpp: unavailable ({self.error})"
        offload = "GPU offload" if self.gpu_offload else "no GPU offload"
        return f"llama-cpp-python {self.version} · {self.backend} ({offload})"


def parse_cpu_features(system_info: str) -> list[str]:
    """The features llama.cpp reports as on ("AVX2 = 1"), from ``llama_print_system_info``."""
    features: list[str] = []
    for part in system_info.split("|"):
        name, sep, value = part.rpartition("=")
        name = name.split(":")[-1].strip()   # "CPU : SSE3" → "SSE3"
        if sep and name and value.strip() == "1" and name not in features:
            features.append(name)
    return features


def _probe(conn: Any) -> None:
    """The child: load llama.cpp, describe it, send the facts back."""
    try:
        import llama_cpp

        from engine.runtime.native import backend_name
        info = llama_cpp.llama_print_system_info().decode(errors="replace").strip()
        conn.send({"version": str(getattr(llama_cpp, "__version__", "")), "backend": backend_name(),
                   "gpu_offload": bool(llama_cpp.llama_supports_gpu_offload()),
                   "cpu_features": parse_cpu_features(info), "system_info": info})
    except Exception as exc:   # report any failure to the parent instead of dying silently
        conn.send({"error": f"{type(exc).__name__}: {exc}"})
    finally:
        conn.close()


def llama_build() -> LlamaBuild:
    """This build's facts (asked once per session, in a child process; never raises)."""
    global _cached
    with _lock:
        if _cached is None:
            _cached = _ask()
        return _cached


def _ask() -> LlamaBuild:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_probe, args=(child,), name="hearth-llama-info", daemon=True)
    try:
        start_child(proc)
        child.close()
        if not parent.poll(TIMEOUT):
            return LlamaBuild(error="llama.cpp did not answer")
        facts = parent.recv()
    except (OSError, EOFError) as exc:
        log.warning("could not read llama.cpp's build information: %s", exc)
        return LlamaBuild(error=f"the check could not run ({exc})")
    finally:
        parent.close()
        if proc.is_alive():
            proc.kill()
        proc.join(timeout=5)
    return LlamaBuild(**facts)
