#!/usr/bin/env bash
# Package the PyInstaller one-folder build (dist/Hearth) for Linux desktops.
#
#   packaging/linux/package.sh [DIST_APP_DIR] [OUT_DIR]
#       DIST_APP_DIR  the one-folder build holding the `hearth` executable (default: dist/Hearth)
#       OUT_DIR       where the results go (default: the parent of DIST_APP_DIR)
#
# Environment (all optional):
#   HEARTH_VERSION  version string (default: [project].version from pyproject.toml)
#   APPIMAGETOOL    path of appimagetool (default: whatever `appimagetool` is on PATH)
#   APPIMAGE_RUNTIME_FILE  a local AppImage runtime for appimagetool (--runtime-file), so it
#                   need not download one (newer appimagetool releases fetch it otherwise)
#
# Produces in OUT_DIR:
#   Hearth.AppDir/                              always: a standard AppDir (AppRun, .desktop, icons)
#   Hearth-<ver>-<arch>.AppImage                only when appimagetool is available
#   Hearth-<ver>-linux-<arch>-install.tar.gz    always: the app + install.sh for ~/.local
#   *.sha256                                    a checksum next to each archive
# packaging/build.sh calls this script at its end when it exists.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"   # packaging/linux
root="$(cd "$here/../.." && pwd)"                       # repository root
icons="$root/packaging/icons"

app_dir="${1:-$root/dist/Hearth}"
[ -d "$app_dir" ] || { echo "package.sh: no app folder at $app_dir (run packaging/build.sh first)" >&2; exit 1; }
app_dir="$(cd "$app_dir" && pwd)"
out_dir="${2:-$(dirname "$app_dir")}"
mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"
[ -x "$app_dir/hearth" ] || { echo "package.sh: $app_dir/hearth is missing or not executable" >&2; exit 1; }

# Version: from the environment, else pyproject.toml (tomllib on Python 3.11+, else a plain sed).
version="${HEARTH_VERSION:-}"
if [ -z "$version" ]; then
  version="$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' \
               "$root/pyproject.toml" 2>/dev/null \
             || sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$root/pyproject.toml" | head -n 1)"
fi
[ -n "$version" ] || { echo "package.sh: could not read the version from pyproject.toml" >&2; exit 1; }
arch="$(uname -m)"   # x86_64 / aarch64: the names AppImage and most distros use
echo "package.sh: Hearth $version ($arch) from $app_dir"

# The icon set comes from packaging/icons (make_icons.py); regenerate it if a checkout lacks the PNGs.
if [ ! -f "$icons/hearth-256.png" ]; then
  echo "package.sh: icons missing, drawing them with packaging/icons/make_icons.py"
  QT_QPA_PLATFORM=offscreen "${PYTHON:-python3}" "$icons/make_icons.py"
fi
icon_sizes=(16 24 32 48 64 128 256 512)

# copy_icons DEST_SHARE: install hicolor theme icons under DEST_SHARE/icons/hicolor/NxN/apps/hearth.png
copy_icons() {
  local share="$1" n
  for n in "${icon_sizes[@]}"; do
    install -Dm644 "$icons/hearth-$n.png" "$share/icons/hicolor/${n}x${n}/apps/hearth.png"
  done
}

# ---------------------------------------------------------------------------------------------
# 1. AppDir (https://docs.appimage.org/reference/appdir.html):
#    AppRun + hearth.desktop + hearth.png at the top, the app itself under usr/lib/hearth.
# ---------------------------------------------------------------------------------------------
appdir="$out_dir/Hearth.AppDir"
rm -rf "$appdir"
mkdir -p "$appdir/usr/lib" "$appdir/usr/bin" "$appdir/usr/share/applications"
cp -a "$app_dir" "$appdir/usr/lib/hearth"                  # -a keeps symlinks and modes
ln -s ../lib/hearth/hearth "$appdir/usr/bin/hearth"        # relative link: works wherever it is mounted
install -m644 "$here/hearth.desktop" "$appdir/hearth.desktop"
install -m644 "$here/hearth.desktop" "$appdir/usr/share/applications/hearth.desktop"
install -m644 "$icons/hearth-256.png" "$appdir/hearth.png"
ln -s hearth.png "$appdir/.DirIcon"                        # the thumbnail file managers show
copy_icons "$appdir/usr/share"
# AppRun: the AppImage runtime executes it; it starts the real binary from wherever the image is mounted.
cat > "$appdir/AppRun" <<'APPRUN'
#!/bin/sh
# Start Hearth from the mounted AppImage (or an unpacked AppDir).
HERE="$(dirname "$(readlink -f "$0")")"
exec "$HERE/usr/lib/hearth/hearth" "$@"
APPRUN
chmod 755 "$appdir/AppRun"
echo "package.sh: AppDir ready: $appdir"

# ---------------------------------------------------------------------------------------------
# 2. AppImage, only if appimagetool is here (it cannot be fetched by this script on purpose:
#    builds must not download tools). APPIMAGE_EXTRACT_AND_RUN lets the tool (itself an
#    AppImage) run without FUSE, e.g. in containers and CI.
# ---------------------------------------------------------------------------------------------
appimagetool="${APPIMAGETOOL:-$(command -v appimagetool || true)}"
appimage="$out_dir/Hearth-$version-$arch.AppImage"
appimage_note=""
if [ -n "$appimagetool" ] && [ -x "$appimagetool" ]; then
  rm -f "$appimage"
  tool_args=(--no-appstream)
  if [ -n "${APPIMAGE_RUNTIME_FILE:-}" ]; then tool_args+=(--runtime-file "$APPIMAGE_RUNTIME_FILE"); fi
  ARCH="$arch" APPIMAGE_EXTRACT_AND_RUN=1 "$appimagetool" "${tool_args[@]}" "$appdir" "$appimage"
  (cd "$out_dir" && sha256sum "$(basename "$appimage")" > "$(basename "$appimage").sha256")
  echo "package.sh: AppImage: $appimage"
else
  appimage_note="AppImage step SKIPPED: appimagetool was not found (not on PATH and APPIMAGETOOL unset). \
Install it from https://github.com/AppImage/appimagetool/releases (or set APPIMAGETOOL=/path/to/it) and \
rerun this script; the AppDir above is ready for it."
fi

# ---------------------------------------------------------------------------------------------
# 3. Tarball with install.sh: unpack anywhere, run ./install.sh, Hearth lands in ~/.local.
# ---------------------------------------------------------------------------------------------
stage_name="Hearth-$version-linux-$arch"
tarball="$out_dir/$stage_name-install.tar.gz"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$stage_name"
cp -a "$app_dir" "$stage/$stage_name/app"
install -m644 "$here/hearth.desktop" "$stage/$stage_name/hearth.desktop"
mkdir -p "$stage/$stage_name/icons"
for n in "${icon_sizes[@]}"; do install -m644 "$icons/hearth-$n.png" "$stage/$stage_name/icons/"; done
install -m755 "$here/install.sh" "$stage/$stage_name/install.sh"
printf '%s\n' "$version" > "$stage/$stage_name/VERSION"
cat > "$stage/$stage_name/README.txt" <<README
Hearth $version for Linux ($arch)

Install for your user (no root needed):   ./install.sh
  - the app goes to ~/.local/lib/hearth, the command to ~/.local/bin/hearth,
    a menu entry to ~/.local/share/applications and icons to ~/.local/share/icons.
  - PREFIX=/some/dir ./install.sh installs under another prefix instead of ~/.local.
Uninstall:                                ./install.sh --uninstall
Run without installing:                   ./app/hearth
README
# --owner/--group keep the archive free of this machine's user names.
tar -C "$stage" --owner=0 --group=0 -czf "$tarball" "$stage_name"
(cd "$out_dir" && sha256sum "$(basename "$tarball")" > "$(basename "$tarball").sha256")
echo "package.sh: tarball: $tarball"

if [ -n "$appimage_note" ]; then
  echo
  echo "package.sh: NOTE: $appimage_note"
fi
