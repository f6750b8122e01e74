#!/usr/bin/env bash
# Re-extract the interface strings into desktop/i18n/*.ts and compile them to .qm.
# Translate new strings in the .ts (by hand or with pyside6-linguist), then run this again.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
# every module of the window, folder by folder (desktop/main, desktop/knowledge, …)
mapfile -t SOURCES < <(find desktop -name '*.py' | sort)
for lang in zh_CN; do
  "$BIN/pyside6-lupdate" -no-obsolete "${SOURCES[@]}" -ts "desktop/i18n/hearth_${lang}.ts"
  "$BIN/pyside6-lrelease" "desktop/i18n/hearth_${lang}.ts" -qm "desktop/i18n/hearth_${lang}.qm"
done
# English needs only its plural forms ("1 message" / "2 messages"); the source strings are English.
"$BIN/pyside6-lupdate" -no-obsolete -pluralonly "${SOURCES[@]}" -ts desktop/i18n/hearth_en.ts
"$BIN/pyside6-lrelease" desktop/i18n/hearth_en.ts -qm desktop/i18n/hearth_en.qm
