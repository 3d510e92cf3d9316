#!/usr/bin/env bash
# Builds in Release and runs the native benchmark (see BENCHMARKS.md).
#   scripts/bench.sh [bench options, e.g. --size 20000 --repeat 5]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DDATALITE_TESTS=OFF "${launcher[@]}" >/dev/null
cmake --build build-release -j2 --target datalite_bench >/dev/null
./build-release/datalite_bench "$@"
