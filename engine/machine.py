"""How much memory this computer has for a model: RAM, and GPU memory where there is a GPU.

No psutil: Linux reads ``/proc/meminfo`` (``MemAvailable``, capped by a cgroup v2
memory limit when Hearth runs in a container); macOS asks ``sysctl hw.memsize``
and ``vm_stat``; Windows calls ``GlobalMemoryStatusEx`` through ctypes. NVIDIA
GPUs are found with ``nvidia-smi`` (a short timeout; no nvidia-smi, no GPU
listed). Apple Silicon shares one memory between CPU and GPU: its GPU is listed
with ``unified=True`` and the same numbers as the RAM, and must not be counted twice.
Every probe fails soft: a figure that cannot be read is 0, never an exception.
"""
from __future__ import annotations

import ctypes
import logging
import platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

NVIDIA_SMI_TIMEOUT = 3.0   # seconds; a hung driver must not hang the model picker
MIB = 1024 * 1024
GPU_MARGIN_BYTES = 512 * MIB   # kept free on a GPU: CUDA context + cuBLAS workspace (~300-450 MiB) and slack
GPU_MARGIN_SHARE = 0.05        # and 5 % of the free memory: other programs grow, estimates are not exact


@dataclass(frozen=True)
class GpuMemory:
    """One GPU's memory in bytes. ``unified``: it is the system RAM (Apple Silicon)."""

    name: str
    total: int
    free: int
    unified: bool = False


@dataclass(frozen=True)
class MachineMemory:
    """Memory in bytes: ``available_ram`` is what can be used without swapping."""

    total_ram: int
    available_ram: int
    gpus: list[GpuMemory] = field(default_factory=list)

    @property
    def unified(self) -> bool:
        """CPU and GPU share the RAM (Apple Silicon): GPU memory is not extra memory."""
        return any(g.unified for g in self.gpus)

    @property
    def gpu_free(self) -> int:
        """Free memory on dedicated GPUs (0 with unified memory, which the RAM figures already hold)."""
        return sum(g.free for g in self.gpus if not g.unified)


def gpu_margin(free_bytes: int) -> int:
    """GPU memory to leave free when ``free_bytes`` are free (the offload planner and the fit labels agree)."""
    return GPU_MARGIN_BYTES + int(free_bytes * GPU_MARGIN_SHARE)


def machine_memory() -> MachineMemory:
    """This computer's RAM and GPU memory, now."""
    if sys.platform.startswith("linux"):
        total, available = _linux_ram()
    elif sys.platform == "darwin":
        total, available = _mac_ram()
    elif sys.platform == "win32":
        total, available = _windows_ram()
    else:
        total, available = 0, 0
    gpus = _nvidia_gpus()
    if sys.platform == "darwin" and _apple_silicon():
        gpus.append(GpuMemory("Apple GPU (unified memory)", total, available, unified=True))
    return MachineMemory(total_ram=total, available_ram=min(available, total) if total else available, gpus=gpus)


# --- Linux --------------------------------------------------------------------------

def parse_meminfo(text: str) -> tuple[int, int]:
    """(MemTotal, MemAvailable) in bytes from /proc/meminfo (MemFree+Cached on kernels before 3.14)."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[key.strip()] = int(parts[0]) * (1024 if parts[1:2] == ["kB"] else 1)
    total = values.get("MemTotal", 0)
    available = values.get("MemAvailable")
    if available is None:
        available = values.get("MemFree", 0) + values.get("Cached", 0) + values.get("Buffers", 0)
    return total, available


def _linux_ram() -> tuple[int, int]:
    try:
        total, available = parse_meminfo(Path("/proc/meminfo").read_text())
    except OSError as exc:
        log.warning("could not read /proc/meminfo: %s", exc)
        return 0, 0
    limit, used = _cgroup_limit()
    if limit is not None and 0 < limit < total:
        total = limit
        available = min(available, max(0, limit - (used or 0)))
    return total, available


def _cgroup_limit() -> tuple[int | None, int | None]:
    """(memory.max, memory.current) of this process's cgroup v2, when it has a limit."""
    try:
        line = next((l for l in Path("/proc/self/cgroup").read_text().splitlines() if l.startswith("0::")), None)
        if line is None:
            return None, None
        folder = Path("/sys/fs/cgroup") / line[3:].strip().lstrip("/")
        raw = (folder / "memory.max").read_text().strip()
        if raw == "max":
            return None, None
        current = (folder / "memory.current").read_text().strip()
        return int(raw), int(current) if current.isdigit() else None
    except (OSError, ValueError):
        return None, None


# --- macOS ----------------------------------------------------------------------------

def _run(args: list[str], timeout: float = 2.0) -> str | None:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        log.info("%s failed: %s", args[0], exc)
        return None
    if done.returncode != 0:
        log.info("%s exited with %s: %s", args[0], done.returncode, done.stderr.strip()[:200])
        return None
    return done.stdout


def parse_vm_stat(text: str) -> int:
    """Reclaimable bytes from ``vm_stat``: free + inactive + speculative + purgeable pages."""
    size = re.search(r"page size of (\d+) bytes", text)
    page = int(size.group(1)) if size else 4096
    pages = 0
    for key in ("Pages free", "Pages inactive", "Pages speculative", "Pages purgeable"):
        m = re.search(rf"^{key}:\s+(\d+)", text, re.MULTILINE)
        if m:
            pages += int(m.group(1))
    return pages * page


def _apple_silicon() -> bool:
    """An Apple Silicon Mac, also when this Python runs under Rosetta."""
    if platform.machine() == "arm64":
        return True
    out = _run(["sysctl", "-n", "hw.optional.arm64"])
    return bool(out) and out.strip() == "1"


def _mac_ram() -> tuple[int, int]:
    out = _run(["sysctl", "-n", "hw.memsize"])
    total = int(out.strip()) if out and out.strip().isdigit() else 0
    stat = _run(["vm_stat"])
    available = parse_vm_stat(stat) if stat else 0
    return total, available


# --- Windows --------------------------------------------------------------------------

def _windows_ram() -> tuple[int, int]:
    class MEMORYSTATUSEX(ctypes.Structure):
        _fields_ = [("dwLength", ctypes.c_ulong), ("dwMemoryLoad", ctypes.c_ulong),
                    ("ullTotalPhys", ctypes.c_ulonglong), ("ullAvailPhys", ctypes.c_ulonglong),
                    ("ullTotalPageFile", ctypes.c_ulonglong), ("ullAvailPageFile", ctypes.c_ulonglong),
                    ("ullTotalVirtual", ctypes.c_ulonglong), ("ullAvailVirtual", ctypes.c_ulonglong),
                    ("ullAvailExtendedVirtual", ctypes.c_ulonglong)]

    status = MEMORYSTATUSEX()
    status.dwLength = ctypes.sizeof(MEMORYSTATUSEX)
    try:
        ok = ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status))  # type: ignore[attr-defined]
    except (AttributeError, OSError) as exc:
        log.warning("GlobalMemoryStatusEx failed: %s", exc)
        return 0, 0
    if not ok:
        return 0, 0
    return int(status.ullTotalPhys), int(status.ullAvailPhys)


# --- NVIDIA ---------------------------------------------------------------------------

def parse_nvidia_smi(text: str) -> list[GpuMemory]:
    """GPUs from ``nvidia-smi --query-gpu=name,memory.total,memory.free --format=csv,noheader,nounits`` (MiB)."""
    gpus: list[GpuMemory] = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.rsplit(",", 2)]
        if len(parts) != 3:
            continue
        name, total, free = parts
        if not (total.isdigit() and free.isdigit()):  # "[N/A]", "[Not Supported]"
            log.info("nvidia-smi gave no memory figures for %s: %r", name or "a GPU", line)
            continue
        gpus.append(GpuMemory(name or "NVIDIA GPU", int(total) * MIB, int(free) * MIB))
    return gpus


def _nvidia_gpus() -> list[GpuMemory]:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    out = _run([exe, "--query-gpu=name,memory.total,memory.free", "--format=csv,noheader,nounits"],
               timeout=NVIDIA_SMI_TIMEOUT)
    return parse_nvidia_smi(out) if out else []
