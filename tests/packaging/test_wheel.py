"""The built wheel carries its data: the model catalog and the compiled translations, found by
importlib.resources from an installed copy, not from the source tree."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_ships_the_catalog_and_reads_it_when_installed(tmp_path: Path) -> None:
    out = tmp_path / "wheel"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = out.glob("hearth-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"engine/models/catalog.json", "desktop/i18n/hearth_zh_CN.qm"} <= names

    target = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                              str(wheel)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stdout + install.stderr
    probe = ("import json, engine.models.catalog as c; cat = c.load_catalog(); "
             "print(json.dumps([str(cat.path), len(cat.entries), c.__file__]))")
    env = {**os.environ, "PYTHONPATH": str(target)}
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path, env=env)   # not the repository: the installed copy must be used
    assert run.returncode == 0, run.stderr
    path, entries, module = json.loads(run.stdout)
    assert Path(module).is_relative_to(target) and Path(path).is_relative_to(target)
    assert Path(path).name == "catalog.json" and entries > 10
