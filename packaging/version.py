"""Print Hearth's version from pyproject.toml (``python packaging/version.py``)."""
from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def version() -> str:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["version"]


if __name__ == "__main__":
    sys.stdout.write(version() + "\n")
