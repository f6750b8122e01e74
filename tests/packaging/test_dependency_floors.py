"""Known-vulnerable versions stay out: the floors in pyproject.toml are at or above the fixed
versions of the advisories we track (../shared/research/threats.md), and the installed
environment satisfies pyproject's floors.

An offline check (this build machine reaches only the package registries, not the advisory
databases pip-audit queries): a new advisory means a new line in FIXED below.
"""
from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]

# package -> (first fixed version, the advisories it fixes)
FIXED = {
    "llama-cpp-python": ("0.2.72", "CVE-2024-34359 chat-template SSTI"),
    "jinja2": ("3.1.6", "CVE-2024-56326, CVE-2025-27516 sandbox escapes"),
    "pypdf": ("6.16.1", "CVE-2025-55197 … CVE-2026-31826 decompression bombs and loops"),
    "pillow": ("12.3.0", "CVE-2026-40192 FITS gzip bomb (12.2.0) and later fixes"),
    "huggingface-hub": ("1.26.0", "local_dir traversal check on every OS (#4540)"),
}


def _floors() -> dict[str, Version]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    floors: dict[str, Version] = {}
    for line in project["dependencies"]:
        req = Requirement(line)
        lower = [Version(s.version) for s in req.specifier if s.operator in (">=", "==", "~=")]
        if lower:
            floors[re.sub(r"[-_.]+", "-", req.name.lower())] = max(lower)
    return floors


def test_pyproject_floors_exclude_known_vulnerable_versions() -> None:
    floors = _floors()
    for package, (fixed, why) in FIXED.items():
        assert package in floors, f"pyproject.toml has no floor for {package} ({why})"
        assert floors[package] >= Version(fixed), f"{package} floor {floors[package]} < {fixed}: {why}"


def test_installed_versions_meet_the_floors() -> None:
    for package, floor in _floors().items():
        try:
            installed = Version(version(package))
        except PackageNotFoundError:
            raise AssertionError(f"{package} is not installed") from None
        assert installed >= floor, f"{package} {installed} is below pyproject's floor {floor}"
