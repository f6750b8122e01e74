#!/usr/bin/env bash
# Install Hearth for the current user from the unpacked Linux tarball (no root needed).
#
#   ./install.sh              install into ${PREFIX:-~/.local}
#   ./install.sh --uninstall  remove what install.sh put there
#
# Layout under PREFIX:
#   lib/hearth/                                 the application folder (replaced on reinstall)
#   bin/hearth                                  symlink to lib/hearth/hearth
#   share/applications/hearth.desktop           menu entry (Exec is the absolute path of bin/hearth)
#   share/icons/hicolor/NxN/apps/hearth.png     icons, 16..512 px
set -euo pipefail

src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"    # the unpacked tarball
prefix="${PREFIX:-$HOME/.local}"
lib="$prefix/lib/hearth"
bin="$prefix/bin/hearth"
apps="$prefix/share/applications"
icon_root="$prefix/share/icons/hicolor"

# refresh_caches: tell the desktop about the new/removed entry; harmless if the tools are absent.
refresh_caches() {
  if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database -q "$apps" 2>/dev/null || true; fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1; then gtk-update-icon-cache -q -t "$icon_root" 2>/dev/null || true; fi
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$lib"
  # Only remove the command if it is our symlink (never a file someone else put there).
  if [ -L "$bin" ]; then rm -f "$bin"; fi
  rm -f "$apps/hearth.desktop"
  find "$icon_root" -path '*/apps/hearth.png' -delete 2>/dev/null || true
  refresh_caches
  echo "Hearth was removed from $prefix (your chats and models in your data folder are kept)."
  exit 0
fi
if [ -n "${1:-}" ]; then echo "usage: $0 [--uninstall]" >&2; exit 2; fi

[ -x "$src/app/hearth" ] || { echo "install.sh: $src/app/hearth not found; run me from the unpacked tarball" >&2; exit 1; }

# 1. The application folder: copy to a temporary name, then swap, so a failed copy keeps the old install.
mkdir -p "$prefix/lib"
rm -rf "$lib.new"
cp -a "$src/app" "$lib.new"
rm -rf "$lib"
mv "$lib.new" "$lib"

# 2. The command: a symlink (PyInstaller's launcher resolves it to find its _internal folder).
mkdir -p "$prefix/bin"
ln -sfn "$lib/hearth" "$bin"

# 3. Icons into the hicolor theme, one per size the tarball carries.
for png in "$src"/icons/hearth-*.png; do
  n="$(basename "$png" .png)"; n="${n#hearth-}"
  install -Dm644 "$png" "$icon_root/${n}x${n}/apps/hearth.png"
done

# 4. The menu entry: Exec points at the absolute path, since ~/.local/bin is often not on the
#    PATH a desktop session uses. Quoted per the Desktop Entry spec in case the path has spaces.
mkdir -p "$apps"
sed "s|^Exec=.*|Exec=\"$bin\"|" "$src/hearth.desktop" > "$apps/hearth.desktop"
chmod 644 "$apps/hearth.desktop"
refresh_caches

echo "Hearth $(cat "$src/VERSION" 2>/dev/null || echo) is installed:"
echo "  app:        $lib"
echo "  command:    $bin"
echo "  menu entry: $apps/hearth.desktop"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "Note: $prefix/bin is not on your PATH; start Hearth from the menu or run $bin" ;;
esac
