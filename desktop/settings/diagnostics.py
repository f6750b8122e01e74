"""What Help → About shows and "Copy diagnostics" copies: versions, llama.cpp's build, the machine.

A bug report needs to say what ran where, and nothing about the user: no
conversation, no document, no model path, no folder under the user's home
other than the Hearth data folder (itself written with ``~`` for the home).
Gathering asks llama.cpp (a child process) and reads the machine's memory,
so :func:`gather` runs off the GUI thread; :func:`report` only formats.
"""
from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion

from engine import ModelInfo
from engine.machine import MachineMemory, machine_memory
from engine.models.files import format_bytes
from engine.runtime.build_info import LlamaBuild, llama_build

# The parts Hearth ships inside its installers, and the licence each comes under.
LICENCES: tuple[tuple[str, str, str], ...] = (
    ("llama.cpp", "llama-cpp-python", "MIT"),
    ("llama-cpp-python", "llama-cpp-python", "MIT"),
    ("Qt 6 / PySide6", "PySide6-Essentials", "LGPL-3.0"),
    ("huggingface_hub", "huggingface-hub", "Apache-2.0"),
    ("SQLite", "", "Public domain"),
    ("sqlite-utils", "sqlite-utils", "Apache-2.0"),
    ("NumPy", "numpy", "BSD-3-Clause"),
    ("Jinja2", "jinja2", "BSD-3-Clause"),
    ("gguf", "gguf", "MIT"),
    ("markdown-it-py", "markdown-it-py", "MIT"),
    ("Pygments", "pygments", "BSD-2-Clause"),
    ("pypdf", "pypdf", "BSD-3-Clause"),
    ("Pillow", "pillow", "MIT-CMU"),
    ("OpenCC", "opencc", "Apache-2.0"),
    ("all-MiniLM-L6-v2 (starter embedding model)", "", "Apache-2.0"),
    ("SmolLM2 (starter chat model)", "", "Apache-2.0"),
)


def hearth_version() -> str:
    """Hearth's version from its package metadata ("unknown" when run from a tree that was never installed)."""
    return _version("hearth") or "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package) if package else ""
    except metadata.PackageNotFoundError:
        return ""


def runtime_versions() -> str:
    """Python, PySide6 and the Qt library actually loaded (it may differ from PySide6's own version)."""
    return f"Python {platform.python_version()} · PySide6 {pyside_version} · Qt {qVersion()}"


def tilde(path: Path) -> str:
    """``path`` with the user's home folder written as ``~`` (it often holds the user's name)."""
    text, home = str(path), str(Path.home())
    return "~" + text[len(home):] if home and home != os.sep and text.startswith(home) else text


def cpu_name() -> str:
    """The processor's marketing name where the OS tells it, else its architecture."""
    if sys.platform.startswith("linux"):
        try:
            for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
    return platform.processor() or platform.machine() or "unknown"


@dataclass(frozen=True)
class Diagnostics:
    """Everything About shows, read once."""

    hearth: str
    llama: LlamaBuild
    memory: MachineMemory
    data_folder: str
    model: ModelInfo | None = None

    def report(self) -> str:
        """The plain text "Copy diagnostics" puts on the clipboard (English: it goes into bug reports)."""
        lines = [
            f"Hearth {self.hearth}",
            runtime_versions(),
            f"OS: {platform.platform(terse=False)} ({platform.machine()})",
            f"CPU: {cpu_name()} · {os.cpu_count() or '?'} logical cores",
            f"Memory: {format_bytes(self.memory.total_ram)} total, {format_bytes(self.memory.available_ram)} available",
        ]
        lines += [f"GPU: {g.name} · {format_bytes(g.total)} ({format_bytes(g.free)} free)"
                  + (" · unified memory" if g.unified else "") for g in self.memory.gpus] or ["GPU: none found"]
        lines.append(self.llama.summary())
        if self.llama.cpu_features:
            lines.append("llama.cpp features: " + " ".join(self.llama.cpu_features))
        if self.model is not None:   # the file's name and how it runs: never its folder
            m = self.model
            lines.append(f"Loaded model: {m.name} · {m.quantization} · {m.backend} "
                         f"({m.gpu_layers}/{m.n_layers + 1} layers offloaded) · ctx {m.n_ctx} · {m.threads} threads")
        lines.append(f"Data folder: {self.data_folder}")
        return "\n".join(lines)


def gather(data_folder: Path, model: ModelInfo | None = None) -> Diagnostics:
    """Read the facts (a second or so: llama.cpp is asked in a child process). Call off the GUI thread."""
    return Diagnostics(hearth=hearth_version(), llama=llama_build(), memory=machine_memory(),
                       data_folder=tilde(data_folder), model=model)


def licences() -> list[tuple[str, str, str]]:
    """(part, version or "", licence) for the About window."""
    return [(name, _version(package), licence) for name, package, licence in LICENCES]
