#!/usr/bin/env bash
# Sets up the machine and runs every test: the Catch2 suites of each layer
# (via CTest), once in an optimized build and once under ASan + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh build RelWithDebInfo
ctest --test-dir build --output-on-failure -j2
if [ "${DATALITE_SKIP_ASAN:-0}" != "1" ]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DDATALITE_SANITIZE=ON -DDATALITE_BENCH=OFF \
    "${launcher[@]}" >/dev/null
  cmake --build build-asan -j2
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j2
fi
