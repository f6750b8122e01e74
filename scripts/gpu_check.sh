#!/usr/bin/env bash
# The GPU check (issue 19): llama.cpp built for CUDA from llama-cpp-python's vendored sources, a random-weight
# 1.5 B llama model, `hearth bench engine` (python -m engine.bench.engine) with full offload and with the
# offload planner's choice, llama-bench from the same build with the same layers; JSON under $OUT.
#
#   scripts/gpu_check.sh prepare   here, with network: build/gpu_check/carry/ = llama-cpp-python's sdist
#                                  stripped of .git, docs, vocab GGUFs and the web UI; the wheels the GPU
#                                  machine lacks; SmolLM2's tokenizer as a vocab-only GGUF (32 MB in all)
#   scripts/gpu_check.sh build     on the GPU machine: llama.cpp with -DGGML_CUDA=on
#                                  -DCMAKE_CUDA_ARCHITECTURES=90, -j16 (libllama + llama-bench), the wheels
#   scripts/gpu_check.sh bench     on the GPU machine: the model, the benchmarks, $OUT/*.json
#   scripts/gpu_check.sh run       build, then bench
#   scripts/gpu_check.sh dry-run   here, no GPU: build and bench exactly as above but for the CPU, with
#                                  the tiny random model and 2 jobs (GPU_CHECK_ACCEL=cpu GPU_CHECK_SIZE=tiny)
#
# The device tool's invocation, after `scripts/gpu_check.sh prepare` here; make the second call at once (a
# warm machine keeps build/gpu_work, ignored and not carried, but is given back after a short idle time;
# `bench` rebuilds when the build is gone):
#   run(command="bash scripts/gpu_check.sh build", carry=["build/gpu_check/carry"], timeout_s=560)
#   run(command="bash scripts/gpu_check.sh bench", carry=["build/gpu_check/carry"], timeout_s=420)
# (H100 and H200 are both sm_90: either kind does.) Facts of that machine: 16 cores, nvcc 13, CMake and
# ninja, python3 3.12 with numpy; no network; 64 MiB carried per call; 15 minutes of device time in all.
# Dry run here (2 busy cores): the CPU build took 554 s, the tiny model's benchmarks about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CARRY=$ROOT/build/gpu_check/carry
WORK=${GPU_CHECK_WORK:-$ROOT/build/gpu_work}
GIVEN_OUT=${OUT:-}           # the device tool's $OUT: what comes back
OUT=${OUT:-$WORK/out}
ACCEL=${GPU_CHECK_ACCEL:-cuda}
SIZE=${GPU_CHECK_SIZE:-1.5b}
JOBS=${GPU_CHECK_JOBS:-16}
LLAMA_CPP_PYTHON=0.3.36   # the version pyproject.toml's floor pins; the engine is tested with it
PY=${GPU_CHECK_PYTHON:-python3}   # the machine's Python (3.12 with numpy there)
step() { echo "[gpu_check $(date +%T)] $*"; }

prepare() {
  rm -rf "$CARRY" && mkdir -p "$CARRY/wheels" "$ROOT/build/gpu_check/dl"
  step "llama-cpp-python $LLAMA_CPP_PYTHON sdist"
  .venv/bin/python -m pip download -q --no-deps --no-binary :all: -d "$ROOT/build/gpu_check/dl" \
    "llama-cpp-python==$LLAMA_CPP_PYTHON"
  local tmp; tmp=$(mktemp -d)
  tar -xzf "$ROOT/build/gpu_check/dl/llama_cpp_python-$LLAMA_CPP_PYTHON.tar.gz" -C "$tmp"
  local src=$tmp/llama_cpp_python-$LLAMA_CPP_PYTHON
  # what no build needs: history, documentation, the tokenizer test vocabularies, the web UI
  find "$src" -name .git -prune -exec rm -rf {} +
  rm -rf "$src/docs" "$src/vendor/llama.cpp/docs" "$src/vendor/llama.cpp/tools/ui" \
         "$src/vendor/llama.cpp/tools/server/public" "$src/vendor/llama.cpp/media"
  rm -f "$src"/vendor/llama.cpp/models/ggml-vocab-*
  tar -czf "$CARRY/llama-cpp-python.tar.gz" -C "$tmp" "llama_cpp_python-$LLAMA_CPP_PYTHON"
  rm -rf "$tmp"
  step "wheels for Python 3.12 (numpy, which the machine has, left out)"
  .venv/bin/python -m pip download -q -d "$CARRY/wheels" --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
    --platform manylinux_2_17_x86_64 --platform linux_x86_64 \
    "huggingface-hub>=2.4,<3" "sqlite-utils>=3.38" "jinja2>=3.1.6" "platformdirs>=4" "gguf>=0.17" \
    "markdown-it-py>=3" "pygments>=2.17" "pypdf>=6.16.1" "cryptography>=42" "pillow>=12.3.0" "filelock>=3.12" \
    "charset-normalizer>=3.3" "opencc>=1.1.9" "snowballstemmer>=2.2" diskcache typing-extensions
  rm -f "$CARRY"/wheels/numpy-* "$CARRY"/wheels/pip-* "$CARRY"/wheels/hf_xet-*
  step "SmolLM2's tokenizer, vocabulary only"
  .venv/bin/python -m tests.model_files >/dev/null
  .venv/bin/python -m tests.random_llama "$CARRY/vocab.gguf" --vocab-only \
    --vocab "$HOME/.cache/hearth/test-models/SmolLM2-135M-Instruct.Q4_1.gguf"
  du -sh "$CARRY"
}

build() {
  mkdir -p "$WORK" "$OUT"
  local src=$WORK/llama_cpp_python-$LLAMA_CPP_PYTHON
  [ -d "$src" ] || tar -xzf "$CARRY/llama-cpp-python.tar.gz" -C "$WORK"
  local flags=()
  case "$ACCEL" in
    cuda) flags=(-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=90) ;;
    cpu) flags=() ;;
    *) echo "GPU_CHECK_ACCEL=$ACCEL: cuda or cpu" >&2; exit 2 ;;
  esac
  step "llama.cpp for $ACCEL: ${flags[*]:-no extra flags}, -j$JOBS"
  local started=$SECONDS
  # the same vendored tree llama-cpp-python builds; shared libraries for its ctypes bindings, llama-bench
  # beside them. No extra buffer types are needed off: the engine turns them off per load (AMX crash).
  cmake -S "$src/vendor/llama.cpp" -B "$WORK/llama-build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DBUILD_SHARED_LIBS=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TOOLS=ON "${flags[@]}" >"$OUT/cmake.log" 2>&1 \
    || { tail -40 "$OUT/cmake.log"; exit 1; }
  cmake --build "$WORK/llama-build" -j "$JOBS" --target llama mtmd llama-bench >"$OUT/build.log" 2>&1 \
    || { tail -60 "$OUT/build.log"; exit 1; }
  echo "{\"accel\": \"$ACCEL\", \"build_seconds\": $((SECONDS - started))}" >"$OUT/build.json"
  # the Python bindings from the same sdist, with the libraries just built (no second compile)
  rm -rf "$WORK/pkg" && mkdir -p "$WORK/pkg"
  cp -a "$src/llama_cpp" "$WORK/pkg/"
  mkdir -p "$WORK/pkg/llama_cpp/lib"
  find "$WORK/llama-build/bin" -maxdepth 1 -name 'lib*.so*' -exec cp -a {} "$WORK/pkg/llama_cpp/lib/" \;
  # the wheels unpacked beside them (a wheel is a zip): no venv or pip needed; numpy is the machine's own
  rm -rf "$WORK/site" && mkdir -p "$WORK/site"
  for wheel in "$CARRY"/wheels/*.whl; do python3 -m zipfile -e "$wheel" "$WORK/site"; done
  step "built in $((SECONDS - started)) s"
}

bench() {
  mkdir -p "$OUT"
  [ -d "$WORK/pkg/llama_cpp/lib" ] || build   # a fresh machine: the build of an earlier call is gone
  # the dry run's Python (3.11, the dev venv) has the packages; the unpacked 3.12 wheels are for the GPU machine
  local site=$WORK/site; [ "${GPU_CHECK_SITE:-yes}" = no ] && site=""
  export PYTHONPATH=$WORK/pkg:${site:+$site:}$ROOT HEARTH_HOME=$WORK/home
  local model=$WORK/random-llama-$SIZE.gguf bin=$WORK/llama-build/bin/llama-bench
  local threads; threads=$(nproc)
  [ "$SIZE" = tiny ] && threads=2
  (command -v nvidia-smi >/dev/null && nvidia-smi || echo "no nvidia-smi") >"$OUT/nvidia-smi.txt" 2>&1
  python3 engine/runtime/accel.py >"$OUT/accel.txt" 2>&1 || true   # what install.sh would build here
  [ -f "$model" ] || { step "random llama ($SIZE, q4_0)"; "$PY" -m tests.random_llama "$model" \
                         --vocab "$CARRY/vocab.gguf" --size "$SIZE" --type q4_0 | tee "$OUT/model.txt"; }
  step "offload plan and the forced fallback"
  "$PY" -m tests.gpu_check_steps plan "$model" "$OUT/plan.json" >/dev/null
  HEARTH_FAULT_GPU_OOM=${GPU_CHECK_FAULT:-load:8} "$PY" -m tests.gpu_check_steps fallback "$model" "$OUT/fallback.json" >/dev/null
  step "hearth bench engine, every layer on the GPU, with llama-bench"
  "$PY" -m engine.bench.engine "$model" "$OUT/bench_full.json" --gpu-layers -1 --threads "$threads" \
    --llama-bench "$bin"
  step "hearth bench engine, the planner's choice"
  "$PY" -m engine.bench.engine "$model" "$OUT/bench_auto.json" --gpu-layers auto --threads "$threads"
  "$PY" -m tests.gpu_check_steps summary "$OUT"
}

case "${1:-}" in
  prepare) prepare ;;
  build) build ;;
  bench) bench ;;
  run) build; bench ;;
  dry-run) GPU_CHECK_ACCEL=cpu GPU_CHECK_SIZE=tiny GPU_CHECK_JOBS=2 GPU_CHECK_WORK=$ROOT/build/gpu_dry \
             GPU_CHECK_PYTHON=$ROOT/.venv/bin/python GPU_CHECK_SITE=no GPU_CHECK_FAULT=load:1 \
             OUT=${GIVEN_OUT:-$ROOT/build/gpu_dry/out} bash "$0" run ;;
  *) sed -n '2,26p' "$0"; exit 2 ;;
esac
