"""The models installed on this computer: the models folder, imported files, the starter.

Files in the models folder (downloads land there) are found by scanning.
Files elsewhere are imported by reference (their header validated first) and
recorded in the database's ``models`` table, as are downloads (with their
repository and sha256). Removing a model deletes files inside the models
folder, forgets imported ones (the user's file stays), and hides the starter.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

from engine.errors import ModelNotFound
from engine.models.files import InstalledModel, ModelScan, describe_model, scan_models, split_parts
from engine.models.starter import starter_model
from engine.store import Store

log = logging.getLogger(__name__)


def _rows(store: Store) -> list[dict[str, object]]:
    return [dict(row) for row in store.conn.execute("SELECT * FROM models")]


def installed_models(store: Store, models_dir: Path) -> ModelScan:
    """Everything usable now: the models folder, imported files and the starter, minus hidden ones."""
    rows = _rows(store)
    hidden = {str(r["path"]) for r in rows if r["hidden"]}
    files = [Path(str(r["path"])) for r in rows if not r["hidden"] and r["source"] == "imported"]
    starter = starter_model()
    if starter is not None and str(starter) not in hidden:
        files.append(starter)
    result = scan_models([models_dir], files)
    keep = [m for m in result.models if str(_resolve(m.path)) not in hidden]
    return ModelScan(models=keep, embedding=[m for m in result.embedding if str(m.path) not in hidden],
                      projectors=result.projectors, skipped=result.skipped)


def find_installed(store: Store, models_dir: Path, name: str) -> InstalledModel | None:
    """The installed model called ``name``: its name, file name or path, as ``hearth models list`` shows them."""
    for model in installed_models(store, models_dir).models:
        if name in (model.name, str(model.path), model.path.name):
            return model
    return None


def _resolve(path: Path) -> Path:
    """The real path; a link loop (RuntimeError before Python 3.13, OSError after) stays as given."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def import_model(store: Store, path: str | Path) -> InstalledModel:
    """Add a .gguf from anywhere by reference, after validating its header."""
    model = describe_model(path)  # raises ModelInvalid / ModelNotFound naming the file
    resolved = str(_resolve(model.path))
    source = "starter" if starter_model() == _resolve(model.path) else "imported"
    with store.write():
        store.conn.execute(
            "INSERT INTO models (path, source, added_at, hidden) VALUES (?, ?, ?, 0) "
            "ON CONFLICT(path) DO UPDATE SET hidden = 0", (resolved, source, time.time()))
    return model


def record_download(store: Store, path: Path, *, repo_id: str, sha256: str | None) -> None:
    """Remember where a downloaded model came from."""
    with store.write():
        store.conn.execute(
            "INSERT INTO models (path, source, repo_id, sha256, added_at, hidden) VALUES (?, 'downloaded', ?, ?, ?, 0)"
            " ON CONFLICT(path) DO UPDATE SET repo_id = excluded.repo_id, sha256 = excluded.sha256, hidden = 0",
            (str(path.resolve()), repo_id, sha256, time.time()))


def remove_model(store: Store, path: str | Path, models_dir: Path) -> list[Path]:
    """Remove a model; returns the files deleted (none for imported files and the starter)."""
    target = _resolve(Path(path).expanduser())
    deleted: list[Path] = []
    inside = target.is_relative_to(models_dir.resolve())
    if inside:
        for part in split_parts(target):
            if part.exists():
                part.unlink()
                deleted.append(part)
        if not deleted:
            raise ModelNotFound(f"{target} is not installed.", path=target)
    with store.write():
        if inside:
            store.conn.execute("DELETE FROM models WHERE path = ?", (str(target),))
        elif target == starter_model():
            store.conn.execute(
                "INSERT INTO models (path, source, added_at, hidden) VALUES (?, 'starter', ?, 1) "
                "ON CONFLICT(path) DO UPDATE SET hidden = 1", (str(target), time.time()))
        else:
            cursor = store.conn.execute("DELETE FROM models WHERE path = ?", (str(target),))
            if cursor.rowcount == 0:
                raise ModelNotFound(f"{target} is not an installed model.", path=target)
    log.info("removed model %s (deleted %d files)", target, len(deleted))
    return deleted
