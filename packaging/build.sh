#!/usr/bin/env bash
# Build the one-folder Hearth app with PyInstaller: dist/Hearth (+ a .tar.gz next to it).
#
#   bash packaging/build.sh
#
# Uses .venv (make it with scripts/install.sh first); installs the `package` extra
# (PyInstaller) into it when missing. Models are not bundled.
#
# The app carries the llama.cpp that .venv has. The default artifact is the CPU build (runs anywhere).
# A CUDA variant for NVIDIA GPUs: build llama.cpp for CUDA first, then package as usual; the tarball is
# then named ...-cuda.tar.gz and bundles the CUDA runtime libraries llama.cpp links (cudart, cuBLAS:
# several hundred MB more). Users need only the NVIDIA driver, not the toolkit.
#
#   HEARTH_GPU=cuda bash scripts/install.sh && bash packaging/build.sh
#
# `dist/Hearth/hearth --self-test --model PATH` reports the backend it loaded ("backend": "CUDA").
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
py="${HEARTH_PYTHON:-$root/.venv/bin/python}"
[ -x "$py" ] || { echo "build.sh: no virtual environment at .venv (run scripts/install.sh first)" >&2; exit 1; }

if ! "$py" -c "import PyInstaller" 2>/dev/null; then
    "$py" -m pip install -e '.[package]'
fi

version="$("$py" packaging/version.py)"
arch="$(uname -m)"
start=$SECONDS
"$py" -m PyInstaller --noconfirm --clean --log-level WARN packaging/hearth.spec
echo "build.sh: PyInstaller took $((SECONDS - start)) s"

# a llama.cpp built for CUDA ships libggml-cuda beside libllama: name the variant in the artifact
llama_lib="$("$py" -c 'import importlib.util, os; print(os.path.join(os.path.dirname(importlib.util.find_spec("llama_cpp").origin), "lib"))')"
variant=""
if compgen -G "$llama_lib/libggml-cuda*" >/dev/null; then
    variant="-cuda"
    echo "build.sh: llama.cpp is built for CUDA: the CUDA variant"
else
    echo "build.sh: llama.cpp is built for the CPU: the default artifact"
fi
tarball="dist/Hearth-${version}-linux-${arch}${variant}.tar.gz"
tar czf "$tarball" -C dist Hearth
echo "build.sh: dist/Hearth $(du -sh dist/Hearth | cut -f1), $tarball $(du -h "$tarball" | cut -f1)"

# ---- Linux desktop packaging (.desktop, AppDir/AppImage): owned by packaging/linux/package.sh ----
if [ "${HEARTH_SKIP_DESKTOP_PACKAGE:-0}" != "1" ] && [ -f packaging/linux/package.sh ]; then
    bash packaging/linux/package.sh dist/Hearth dist
fi
