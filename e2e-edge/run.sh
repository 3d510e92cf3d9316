#!/usr/bin/env bash
# Edge-runtime end-to-end tests: the examples in examples/cloudflare-worker
# and examples/deno, served by the real workerd and Deno (from this folder's
# npm packages) on 127.0.0.1, with the datalite package as `npm pack` makes it.
# Needs the wasm build (dist/wasm) in the repository. Prints `N passed, M failed`.
#   bash e2e-edge/run.sh            install (npm ci) and test
#   E2E_EDGE_SKIP_INSTALL=1 ...     reuse node_modules
set -uo pipefail
cd "$(dirname "$0")"

if [ ! -f ../dist/wasm/datalite.wasm ] || [ ! -f ../dist/wasm/datalite.mjs ]; then
  echo "e2e-edge: ../dist/wasm is not built (npm run build)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

if [ "${E2E_EDGE_SKIP_INSTALL:-}" != 1 ] || [ ! -x node_modules/.bin/workerd ]; then
  if ! npm ci --no-audit --no-fund --loglevel=error >npm-ci.log 2>&1; then
    cat npm-ci.log >&2
    echo "e2e-edge: npm ci failed" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
fi
for tool in workerd deno esbuild; do
  if ! node_modules/.bin/$tool --version >/dev/null 2>&1; then
    echo "e2e-edge: node_modules/.bin/$tool does not run" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
done

tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
# One test file at a time: each starts its runtime, and the machine has 2 cores.
node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" \
  tests/
status=$?

passed=$(grep -E '^# pass [0-9]+' "$tap" | tail -1 | awk '{print $3}')
failed=$(grep -E '^# fail [0-9]+' "$tap" | tail -1 | awk '{print $3}')
cancelled=$(grep -E '^# cancelled [0-9]+' "$tap" | tail -1 | awk '{print $3}')
passed=${passed:-0}
failed=$(( ${failed:-0} + ${cancelled:-0} ))  # a test whose before hook failed is "cancelled"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
exit "$status"
