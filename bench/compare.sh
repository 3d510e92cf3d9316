#!/usr/bin/env bash
# Runs datalite's native benchmark and DataScript's (npm datascript, JS API)
# on the same workload in one go and prints the ratio per op
# (DataScript ms / datalite ms: above 1 means datalite is faster).
#   bench/compare.sh [--size N] [--repeat R] [--ops a,b,...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
(cd bench/datascript && [ -d node_modules/datascript ] || npm install --no-audit --no-fund --silent)
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DDATALITE_TESTS=OFF "${launcher[@]}" >/dev/null
cmake --build build-release -j2 --target datalite_bench >/dev/null
native=$(mktemp) js=$(mktemp)
./build-release/datalite_bench "$@" | tee "$native"
node bench/datascript/bench.mjs "$@" | tee "$js"
echo
printf '%-16s %12s %12s %10s\n' op datascript datalite ratio
awk 'NR==FNR { if ($2 ~ /^[0-9.]+$/) ds[$1] = $2; next }
     $2 ~ /^[0-9.]+$/ && ($1 in ds) { printf "%-16s %12.3f %12.3f %9.1fx\n", $1, ds[$1], $2, ds[$1] / $2 }' "$js" "$native"
rm -f "$native" "$js"
