#!/usr/bin/env bash
# Builds the wasm modules into dist/ (single-threaded + the two -pthread
# variants) with Debian's Emscripten.
#   scripts/build-wasm.sh            release build (-O3)
#   DATALITE_WASM_FAST=1 scripts/build-wasm.sh   -O1 link for quick iteration
#   DATALITE_WASM_TESTS=1 scripts/build-wasm.sh  also the Catch2 suites as wasm
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs   # em++ needs Debian's acorn for -O2+ links
dir=${DATALITE_WASM_BUILD_DIR:-build-wasm}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# Always set the link flags: the cache would keep a previous fast build's -O1.
linkflags=(-DCMAKE_EXE_LINKER_FLAGS=)
[ "${DATALITE_WASM_FAST:-0}" = "1" ] && linkflags=(-DCMAKE_EXE_LINKER_FLAGS=-O1)
# DATALITE_WASM_TESTS=1 also builds the Catch2 suites as wasm (ctest --test-dir build-wasm).
tests=OFF
[ "${DATALITE_WASM_TESTS:-0}" = "1" ] && tests=ON
mkdir -p "$dir"
if ! emcmake cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDATALITE_WASM_TESTS=$tests \
  -DCMAKE_CROSSCOMPILING_EMULATOR=/usr/bin/node "${launcher[@]}" "${linkflags[@]}" >"$dir/configure.log" 2>&1; then
  cat "$dir/configure.log" >&2
  exit 1
fi
cmake --build "$dir" -j2
# The threaded Node glue and its pthread worker script are CommonJS inside an
# ESM package.
echo '{ "type": "commonjs" }' > dist/wasm-mt/package.json
ls -l dist/wasm/*.wasm dist/wasm-mt/*.wasm dist/wasm-mt-web/*.wasm | awk '{print "wasm: " $5 " bytes  " $9}'
