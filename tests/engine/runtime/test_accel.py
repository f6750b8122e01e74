"""The installer's accelerator choice (engine/runtime/accel.py) with fake nvidia-smi/nvcc/glslc on PATH."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.runtime import accel

ROOT = Path(__file__).resolve().parents[3]
H200 = "NVIDIA H200, 9.0, 143771 MiB, 143000 MiB"


def _tool(folder: Path, name: str, body: str) -> None:
    script = folder / name
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)


@pytest.fixture()
def fake_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder as the whole PATH; the usual CUDA install folders hidden."""
    monkeypatch.setattr(accel, "CUDA_HOMES", ())
    return tmp_path


def _plan(folder: Path, *, system: str = "Linux", machine: str = "x86_64", **env: str) -> accel.BuildPlan:
    env = {"PATH": str(folder), **env}
    return accel.plan(env, system=system, machine=machine, which=lambda n: shutil.which(n, path=env["PATH"]))


def test_nvidia_gpu_with_nvcc_builds_cuda_for_its_architecture(fake_path: Path) -> None:
    _tool(fake_path, "nvidia-smi", f'echo "{H200}"')
    _tool(fake_path, "nvcc", "exit 0")
    chosen = _plan(fake_path)
    assert chosen.accel == "cuda"
    assert chosen.cmake_args == ["-DGGML_CUDA=on", "-DCMAKE_CUDA_ARCHITECTURES=90"]
    assert chosen.env == {"CUDACXX": str(fake_path / "nvcc")}
    assert "NVIDIA H200 (compute 9.0)" in chosen.message() and "CUDA" in chosen.message()


def test_two_gpus_of_different_generations_build_both_architectures(fake_path: Path) -> None:
    _tool(fake_path, "nvidia-smi", 'printf "NVIDIA GeForce RTX 3090, 8.6, 24576 MiB, 23000 MiB\\n'
                                   'Tesla T4, 7.5, 15360 MiB, 15000 MiB\\nTesla T4, 7.5, 15360 MiB, 15000 MiB\\n"')
    _tool(fake_path, "nvcc", "exit 0")
    assert _plan(fake_path).cmake_args == ["-DGGML_CUDA=on", "-DCMAKE_CUDA_ARCHITECTURES=86;75"]


def test_nvidia_gpu_without_toolkit_builds_cpu_and_says_what_to_install(fake_path: Path) -> None:
    _tool(fake_path, "nvidia-smi", f'echo "{H200}"')
    chosen = _plan(fake_path)
    assert (chosen.accel, chosen.cmake_args) == ("cpu", [])
    assert "NVIDIA H200" in chosen.reason and "nvcc" in chosen.reason


def test_nvcc_is_found_in_cuda_home_when_path_lacks_it(fake_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    home = tmp_path_factory.mktemp("cuda")
    (home / "bin").mkdir()
    _tool(home / "bin", "nvcc", "exit 0")
    _tool(fake_path, "nvidia-smi", f'echo "{H200}"')
    chosen = _plan(fake_path, CUDA_HOME=str(home))
    assert chosen.accel == "cuda" and chosen.env["CUDACXX"] == str(home / "bin" / "nvcc")


def test_broken_driver_falls_back_to_cpu(fake_path: Path) -> None:
    _tool(fake_path, "nvidia-smi", 'echo "NVIDIA-SMI has failed because it could not communicate with the driver"; exit 9')
    _tool(fake_path, "nvcc", "exit 0")
    chosen = _plan(fake_path)
    assert chosen.accel == "cpu" and "exited with 9" in chosen.reason


def test_apple_silicon_builds_metal(fake_path: Path) -> None:
    chosen = _plan(fake_path, system="Darwin", machine="arm64")
    assert (chosen.accel, chosen.cmake_args) == ("metal", ["-DGGML_METAL=on"])
    assert _plan(fake_path, system="Darwin", machine="x86_64").accel == "cpu"   # an Intel Mac


def test_vulkan_only_when_asked_and_glslc_present(fake_path: Path) -> None:
    _tool(fake_path, "glslc", "exit 0")
    assert _plan(fake_path).accel == "cpu"   # never chosen by itself
    assert _plan(fake_path, HEARTH_GPU="vulkan").cmake_args == ["-DGGML_VULKAN=on"]
    (fake_path / "glslc").unlink()
    with pytest.raises(accel.AccelError, match="Vulkan SDK"):
        _plan(fake_path, HEARTH_GPU="vulkan")


def test_override_wins_and_bad_values_are_refused(fake_path: Path) -> None:
    _tool(fake_path, "nvidia-smi", f'echo "{H200}"')
    _tool(fake_path, "nvcc", "exit 0")
    assert _plan(fake_path, HEARTH_GPU="cpu").accel == "cpu"
    assert _plan(fake_path, HEARTH_GPU="CUDA").accel == "cuda"
    with pytest.raises(accel.AccelError, match="not one of cpu, cuda, metal, vulkan"):
        _plan(fake_path, HEARTH_GPU="rocm")
    with pytest.raises(accel.AccelError, match="only on macOS"):
        _plan(fake_path, HEARTH_GPU="metal")
    (fake_path / "nvcc").unlink()
    with pytest.raises(accel.AccelError, match="CUDA toolkit"):
        _plan(fake_path, HEARTH_GPU="cuda")


def test_cpu_machine_runs_no_program(fake_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the CPU path must not start a program")
    monkeypatch.setattr(accel.subprocess, "run", refuse)
    chosen = _plan(fake_path)
    assert (chosen.accel, chosen.cmake_args) == ("cpu", []) and "no nvidia-smi" in chosen.reason


def _script(folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The module run as install.sh runs it: the system Python, before any virtual environment."""
    return subprocess.run([sys.executable, "-S", str(ROOT / "engine" / "runtime" / "accel.py")],
                          env={"PATH": str(folder), **env}, capture_output=True, text=True, timeout=30, cwd="/")


def test_script_prints_build_settings_and_one_line_why(fake_path: Path) -> None:
    _tool(fake_path, "nvidia-smi", f'echo "{H200}"')
    _tool(fake_path, "nvcc", "exit 0")
    done = _script(fake_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["HEARTH_ACCEL=cuda", "CMAKE_ARGS=-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=90",
                                        f"CUDACXX={fake_path / 'nvcc'}"]
    assert done.stderr.count("\n") == 1 and "building llama.cpp for CUDA" in done.stderr
    refused = _script(fake_path, HEARTH_GPU="tpu")
    assert refused.returncode == 2 and "HEARTH_GPU='tpu'" in refused.stderr and refused.stdout == ""


def test_script_on_a_cpu_machine_is_quick(tmp_path: Path) -> None:
    started = time.perf_counter()
    done = _script(tmp_path)
    assert done.returncode == 0 and done.stdout.splitlines() == ["HEARTH_ACCEL=cpu", "CMAKE_ARGS="]
    assert time.perf_counter() - started < 5


def test_install_sh_reads_the_build_settings(fake_path: Path) -> None:
    """The lines of scripts/install.sh that run accel.py and read its answer, run as the installer runs them."""
    script = (ROOT / "scripts" / "install.sh").read_text()
    start, end = script.index("accel_out=$("), script.index('done <<< "$accel_out"') + len('done <<< "$accel_out"')
    _tool(fake_path, "nvidia-smi", f'echo "{H200}"')
    _tool(fake_path, "nvcc", "exit 0")
    python = Path(sys.executable).parent
    shell = f'set -euo pipefail\n{script[start:end]}\necho "$HEARTH_ACCEL|$ACCEL_CMAKE|$ACCEL_CUDACXX"\n'
    env = {"PATH": f"{fake_path}:{python}:/usr/bin:/bin"}
    done = subprocess.run(["bash", "-c", shell], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"cuda|-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=90|{fake_path / 'nvcc'}"
    assert "building llama.cpp for CUDA" in done.stderr
    refused = subprocess.run(["bash", "-c", shell], cwd=ROOT, env={**env, "HEARTH_GPU": "rocm"},
                             capture_output=True, text=True, timeout=30)
    assert refused.returncode == 2 and "not one of" in refused.stderr and refused.stdout == ""
