"""The llama.cpp worker process loads as little Python as possible.

sqlite-utils imports pandas (and with it pyarrow) when they are installed;
on a CUDA machine with pandas in the same environment, llama.cpp's model
loader then segfaults (seen on an H100 with the torch stack installed). The
worker imports only engine.runtime.native; this checks what its imports, and
what a spawned child of the ``hearth`` command re-imports, bring along.
"""
from __future__ import annotations

import subprocess
import sys

HEAVY = ("sqlite_utils", "engine.store", "engine.chat.service", "huggingface_hub", "PySide6", "pandas")


def _loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_the_worker_imports_no_database_hub_or_gui_code() -> None:
    assert _loaded_after("import engine.runtime.worker, engine.runtime.native") == []


def test_the_hearth_command_module_is_light_to_reimport() -> None:
    # a spawned worker re-imports the parent's main module: for `hearth`, desktop.cli.main
    assert _loaded_after("import desktop.cli.main") == []
