#!/usr/bin/env bash
# Durable storage through the npm package (single-threaded wasm build):
# bulk load of 1M datoms into the file store, small-transaction throughput
# and bytes written per backend and durability mode, open + point query of
# the stored db; native SQLite and DataScript bulk loads for contrast (when
# installed). Arguments go to storage-bench.mjs:
#   bench/js/storage.sh [--people N] [--repeat R] [--small-people N] [--min-txs N] [--min-ms MS]
#                       [--burst N] [--sections bulk,tx,open,compare] [--dir DIR] [--keep] [--json out.json] [--no-reserve]
# dist/wasm must already be built. Results: docs/storage-bench.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
if [ ! -d "$root/bench/datascript/node_modules/datascript" ]; then
  (cd "$root/bench/datascript" && npm ci --no-audit --no-fund --silent) ||
    echo "bench/js: DataScript could not be installed: running without it" >&2
fi
if [ ! -d "$root/bench/js/node_modules/better-sqlite3" ]; then
  (cd "$root/bench/js" && npm ci --no-audit --no-fund --silent) ||
    echo "bench/js: npm ci failed (better-sqlite3 could not be built): running without SQLite" >&2
fi
[ -f "$root/dist/wasm/datalite.wasm" ] ||
  echo "bench/js: dist/wasm/datalite.wasm is missing: build the wasm modules first (scripts/build-wasm.sh)" >&2
exec node "$root/bench/js/storage-bench.mjs" "$@"
