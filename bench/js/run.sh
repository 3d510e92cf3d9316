#!/usr/bin/env bash
# DataScript (npm datascript) vs datalite (the wasm package in dist/) -- and
# native SQLite (better-sqlite3) when it installs -- on the workload of
# shared/bench/WORKLOADS.md, in one Node process. Arguments go to bench.mjs:
#   bench/js/run.sh [--size N] [--repeat R] [--warmup-ms M] [--sample-ms M] [--ops a,b]
#                   [--threads] [--json out.json] [--serialize-size N] [--op-budget-s S]
#                   [--systems datascript,datalite,sqlite] [--split] [--no-preflight] [--gc]
# The wasm modules must already be built (dist/wasm, dist/wasm-mt).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
if [ ! -d "$root/bench/datascript/node_modules/datascript" ]; then
  (cd "$root/bench/datascript" && npm ci --no-audit --no-fund --silent)
fi
# better-sqlite3 has no prebuilt binary offline: npm builds it from source
# (node-gyp, g++, the Node headers). Without it the bench runs without SQLite.
if [ ! -d "$root/bench/js/node_modules/better-sqlite3" ]; then
  (cd "$root/bench/js" && npm ci --no-audit --no-fund --silent) ||
    echo "bench/js: npm ci failed (better-sqlite3 could not be built): running without SQLite" >&2
fi
for f in "$root/dist/wasm/datalite.wasm" "$root/dist/wasm-mt/datalite-mt.wasm"; do
  [ -f "$f" ] || echo "bench/js: $f is missing: build the wasm modules first (scripts/build-wasm.sh)" >&2
done
# DataScript holds the 300k-people serialize db (2.9M datoms) and its JSON at once.
exec node --max-old-space-size=8192 "$root/bench/js/bench.mjs" "$@"
