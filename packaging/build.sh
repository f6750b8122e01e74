#!/usr/bin/env bash
# Build the one-folder Hearth app with PyInstaller: dist/Hearth (+ a .tar.gz next to it).
#
#   bash packaging/build.sh
#
# Uses .venv (make it with scripts/install.sh first); installs the `package` extra
# (PyInstaller) into it when missing. Models are not bundled.
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

tarball="dist/Hearth-${version}-linux-${arch}.tar.gz"
tar czf "$tarball" -C dist Hearth
echo "build.sh: dist/Hearth $(du -sh dist/Hearth | cut -f1), $tarball $(du -h "$tarball" | cut -f1)"

# ---- Linux desktop packaging (.desktop, AppDir/AppImage): owned by packaging/linux/package.sh ----
if [ "${HEARTH_SKIP_DESKTOP_PACKAGE:-0}" != "1" ] && [ -f packaging/linux/package.sh ]; then
    bash packaging/linux/package.sh dist/Hearth dist
fi
