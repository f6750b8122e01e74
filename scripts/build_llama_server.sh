#!/usr/bin/env bash
# Builds llama.cpp's `llama-server` offline, for the remote-backend tests (issue 14), from the llama.cpp
# sources vendored in the llama-cpp-python sdist that Hearth installs, and caches it outside the repo:
#   ~/.cache/hearth/llama-server/<version>/llama-server   (HEARTH_LLAMA_SERVER_CACHE overrides the root)
# The sdist comes from build/gpu_check/dl/ (scripts/gpu_check.sh prepare), the cache, or `pip download`.
# Prints the binary's path on the last line; a second run finds the cached binary and builds nothing.
# CPU flags: a portable AVX2 build with AMX left out (GGML_NATIVE=OFF), so llama.cpp's AMX repacking crash
# (llama.cpp issue 20824, which the engine avoids with use_extra_bufts=false) cannot happen here either;
# the tests also start the server with --no-repack. Only the llama-server target, -j2 (HEARTH_BUILD_JOBS).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${HEARTH_PYTHON:-$ROOT/.venv/bin/python}
VERSION=$("$PY" -c 'import importlib.metadata as m; print(m.version("llama_cpp_python"))')
CACHE=${HEARTH_LLAMA_SERVER_CACHE:-$HOME/.cache/hearth/llama-server}/$VERSION
JOBS=${HEARTH_BUILD_JOBS:-2}
BIN=$CACHE/llama-server
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"   # two test sessions at once: one builds, the other waits
flock 9
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi
started=$SECONDS
sdist=""
for candidate in "$ROOT/build/gpu_check/dl/llama_cpp_python-$VERSION.tar.gz" \
                 "$CACHE/llama_cpp_python-$VERSION.tar.gz"; do
  [ -f "$candidate" ] && { sdist=$candidate; break; }
done
if [ -z "$sdist" ]; then
  echo "[build_llama_server] downloading the llama-cpp-python $VERSION sdist" >&2
  "$PY" -m pip download -q --no-deps --no-binary :all: -d "$CACHE" "llama-cpp-python==$VERSION" >&2
  sdist=$CACHE/llama_cpp_python-$VERSION.tar.gz
fi
work=$CACHE/work
rm -rf "$work" && mkdir -p "$work"
tar -xzf "$sdist" -C "$work"
src=$work/llama_cpp_python-$VERSION/vendor/llama.cpp
echo "[build_llama_server] configuring llama.cpp from $sdist" >&2
# the UI flags: without them the configure step tries to download a web UI (no network in tests)
cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
  -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON \
  -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
  -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF \
  >"$CACHE/cmake.log" 2>&1 || { tail -40 "$CACHE/cmake.log" >&2; exit 1; }
echo "[build_llama_server] building llama-server with -j$JOBS" >&2
cmake --build "$work/build" -j "$JOBS" --target llama-server >"$CACHE/build.log" 2>&1 \
  || { tail -60 "$CACHE/build.log" >&2; exit 1; }
cp "$work/build/bin/llama-server" "$BIN.tmp" && mv "$BIN.tmp" "$BIN"
echo "{\"version\": \"$VERSION\", \"build_seconds\": $((SECONDS - started))}" >"$CACHE/build.json"
rm -rf "$work"
echo "[build_llama_server] built in $((SECONDS - started)) s" >&2
echo "$BIN"
