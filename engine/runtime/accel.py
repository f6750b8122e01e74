"""Which accelerator to build llama.cpp for, decided before Hearth's virtual environment exists.

Standard library only, so ``scripts/install.sh`` runs it with the system ``python3``
(``python3 engine/runtime/accel.py``): it prints the settings of llama-cpp-python's build
(``CMAKE_ARGS`` …) on stdout and one line on stderr saying what is built and why.

* ``HEARTH_GPU=cpu|cuda|metal|vulkan`` decides; an unknown value or a missing tool for the
  chosen one is an error (exit 2) that says what to install.
* Otherwise: an Apple Silicon Mac builds Metal (llama.cpp's default there; the flag is
  written anyway so the build says so). ``nvidia-smi`` listing a GPU together with the CUDA
  compiler ``nvcc`` builds CUDA for the GPUs' compute capabilities. Anything else builds for
  the CPU with no extra flags, as before; Vulkan is never chosen by itself (it is slower than
  CUDA on NVIDIA, and needs the Vulkan SDK), only by ``HEARTH_GPU=vulkan``.

The CPU path runs no program at all when there is no ``nvidia-smi``: a machine without a GPU
waits for nothing. The AMX workaround needs no build flag (the engine loads models with
``use_extra_bufts`` off, see :mod:`engine.runtime.native`), so the CPU flags stay empty.
"""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Callable, Mapping

CHOICES = ("cpu", "cuda", "metal", "vulkan")
SMI_TIMEOUT = 5.0   # seconds; a hung driver must not hang the install
SMI_QUERY = ["--query-gpu=name,compute_cap,memory.total,memory.free", "--format=csv,noheader"]
CUDA_HOMES = ("/usr/local/cuda/bin", "/opt/cuda/bin")   # where toolkits put nvcc when PATH does not list it


class AccelError(Exception):
    """The requested accelerator cannot be built here; the message says what to install."""


@dataclass(frozen=True)
class NvidiaGpu:
    name: str
    compute_cap: str        # "9.0"
    memory_total: str       # as nvidia-smi prints it: "143771 MiB"
    memory_free: str


@dataclass(frozen=True)
class BuildPlan:
    """What to build: ``accel`` (cpu | cuda | metal | vulkan), llama.cpp's CMake flags, and why."""

    accel: str
    cmake_args: list[str] = field(default_factory=list)
    reason: str = ""
    env: dict[str, str] = field(default_factory=dict)   # extra environment for the build (CUDACXX)

    def message(self) -> str:
        flags = " ".join(self.cmake_args) or "no extra CMake flags"
        return f"Hearth: building llama.cpp for {self.accel.upper()} ({flags}): {self.reason}"


def parse_smi(text: str) -> list[NvidiaGpu]:
    """GPUs from ``nvidia-smi --query-gpu=name,compute_cap,memory.total,memory.free --format=csv,noheader``.

    A GPU name may contain commas, so the line is split from the right."""
    gpus = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.rsplit(",", 3)]
        if len(parts) == 4 and parts[0]:
            gpus.append(NvidiaGpu(*parts))
    return gpus


def cuda_architectures(gpus: list[NvidiaGpu]) -> list[str]:
    """CMake's CUDA architectures for these GPUs: compute capability "8.6" → "86", each once, in order."""
    archs: list[str] = []
    for gpu in gpus:
        major, _, minor = gpu.compute_cap.partition(".")
        if major.isdigit() and (minor.isdigit() or not minor):
            arch = f"{major}{minor or '0'}"
            if arch not in archs:
                archs.append(arch)
    return archs


def find_nvcc(env: Mapping[str, str], which: Callable[[str], str | None]) -> str | None:
    """The CUDA compiler: ``CUDACXX``, then PATH, then ``$CUDA_HOME/bin`` and the usual install folders."""
    given = env.get("CUDACXX")
    if given and os.access(given, os.X_OK):
        return given
    found = which("nvcc")
    if found:
        return found
    homes = [os.path.join(env[k], "bin") for k in ("CUDA_HOME", "CUDA_PATH") if env.get(k)] + list(CUDA_HOMES)
    for folder in homes:
        candidate = os.path.join(folder, "nvcc")
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def nvidia_gpus(which: Callable[[str], str | None]) -> tuple[list[NvidiaGpu], str]:
    """The NVIDIA GPUs ``nvidia-smi`` lists, and why none when it lists none."""
    smi = which("nvidia-smi")
    if smi is None:
        return [], "no nvidia-smi"
    try:
        done = subprocess.run([smi, *SMI_QUERY], capture_output=True, text=True, timeout=SMI_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return [], f"nvidia-smi failed ({exc})"
    if done.returncode != 0:
        return [], f"nvidia-smi exited with {done.returncode}: {(done.stderr or done.stdout).strip()[:200]}"
    gpus = parse_smi(done.stdout)
    return gpus, "" if gpus else "nvidia-smi listed no GPU"


def plan(env: Mapping[str, str] | None = None, *, system: str | None = None, machine: str | None = None,
         which: Callable[[str], str | None] = shutil.which) -> BuildPlan:
    """The build for this machine (``system``/``machine`` as :mod:`platform` names them; given in tests)."""
    env = os.environ if env is None else env
    system = system or platform.system()
    machine = (machine or platform.machine()).lower()
    wanted = env.get("HEARTH_GPU", "").strip().lower()
    if wanted and wanted not in CHOICES:
        raise AccelError(f"HEARTH_GPU={wanted!r} is not one of {', '.join(CHOICES)}. "
                         "Unset it to let the installer decide, or pick one of those.")
    apple = system == "Darwin" and machine in ("arm64", "aarch64")
    if wanted == "cpu":
        return BuildPlan("cpu", [], "HEARTH_GPU=cpu asks for it")
    if wanted == "metal" or (not wanted and apple):
        if system != "Darwin":
            raise AccelError("Metal exists only on macOS. Use HEARTH_GPU=cuda for NVIDIA, HEARTH_GPU=vulkan for "
                             "other GPUs, or HEARTH_GPU=cpu.")
        why = "HEARTH_GPU=metal asks for it" if wanted else "this is an Apple Silicon Mac"
        return BuildPlan("metal", ["-DGGML_METAL=on"], why)
    if wanted == "vulkan":
        if which("glslc") is None:
            raise AccelError("HEARTH_GPU=vulkan needs the Vulkan SDK (its shader compiler glslc was not found). "
                             "Install it (Ubuntu: apt install libvulkan-dev glslc; others: vulkan.lunarg.com), "
                             "or unset HEARTH_GPU.")
        return BuildPlan("vulkan", ["-DGGML_VULKAN=on"], "HEARTH_GPU=vulkan asks for it and glslc was found")
    if not wanted and which("nvidia-smi") is None:   # the common CPU machine: run nothing, wait for nothing
        return BuildPlan("cpu", [], "no GPU was found (no nvidia-smi); set HEARTH_GPU to choose another build")
    gpus, why_none = nvidia_gpus(which)
    nvcc = find_nvcc(env, which)
    if wanted == "cuda" or (gpus and nvcc):
        if nvcc is None:
            raise AccelError("HEARTH_GPU=cuda needs the CUDA toolkit (nvcc was not found on PATH, in CUDA_HOME or "
                             "/usr/local/cuda). Install it from developer.nvidia.com/cuda-downloads, or unset "
                             "HEARTH_GPU.")
        archs = cuda_architectures(gpus)
        args = ["-DGGML_CUDA=on"] + ([f"-DCMAKE_CUDA_ARCHITECTURES={';'.join(archs)}"] if archs else [])
        names = ", ".join(f"{g.name} (compute {g.compute_cap})" for g in gpus)
        why = (f"found {names} and nvcc" if gpus else f"HEARTH_GPU=cuda asks for it ({why_none}: "
               "building for CUDA's default architectures)")
        return BuildPlan("cuda", args, why, {"CUDACXX": nvcc})
    if gpus:
        return BuildPlan("cpu", [], f"found {gpus[0].name} but no CUDA toolkit (nvcc): install it and run the "
                                    "installer again for a CUDA build")
    return BuildPlan("cpu", [], f"no GPU was found ({why_none}); set HEARTH_GPU to choose another build")


def main() -> int:
    """Print the build's settings as ``NAME=value`` lines (``HEARTH_ACCEL``, ``CMAKE_ARGS``, ``CUDACXX`` for
    CUDA) for ``scripts/install.sh`` to read; the reason on stderr."""
    try:
        chosen = plan()
    except AccelError as exc:
        print(f"Hearth: {exc}", file=sys.stderr)
        return 2
    print(chosen.message(), file=sys.stderr)
    for name, value in {"HEARTH_ACCEL": chosen.accel, "CMAKE_ARGS": " ".join(chosen.cmake_args),
                        **chosen.env}.items():
        print(f"{name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
