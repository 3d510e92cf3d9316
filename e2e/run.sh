#!/usr/bin/env bash
# Runs the browser tests: the web demo and the package in Debian's Chromium.
#   bash e2e/run.sh [playwright test args...]
# Ends with a line "N passed, M failed" and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM_PATH:-}" ]; then
  echo "e2e: /usr/bin/chromium is missing (apt-get install -y chromium)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
if [ ! -f ../dist/wasm/datalite.mjs ] || [ ! -f ../dist/wasm-mt-web/datalite-mt.mjs ]; then
  echo "e2e: dist/ has no wasm build yet; building it (scripts/build-wasm.sh)" >&2
  bash ../scripts/build-wasm.sh || { echo "0 passed, 1 failed"; exit 1; }
fi
if [ ! -d node_modules/@playwright/test ]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund || { echo "0 passed, 1 failed"; exit 1; }
fi

json=$(mktemp -t datalite-e2e-XXXXXX.json)
trap 'rm -f "$json"' EXIT
E2E_JSON="$json" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npx --no-install playwright test "$@"
status=$?

# Count from the JSON report: a test passed if its final result passed
# (or was "flaky"), failed otherwise; skipped ones are reported apart.
node --input-type=module - "$json" "$status" <<'JS'
import { readFileSync } from "node:fs";
const [file, status] = process.argv.slice(2);
let passed = 0, failed = 0, skipped = 0;
try {
  const report = JSON.parse(readFileSync(file, "utf8"));
  const walk = (suite) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests ?? []) {
        if (t.status === "skipped") skipped++;
        else if (t.status === "expected" || t.status === "flaky") passed++;
        else failed++;
      }
    }
    for (const s of suite.suites ?? []) walk(s);
  };
  for (const s of report.suites ?? []) walk(s);
  failed += (report.errors ?? []).length;
} catch (err) {
  console.error(`e2e: no readable JSON report (${err.message})`);
}
if (status !== "0" && failed === 0) failed = 1;  // playwright itself failed (config, web server...)
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
JS
exit $status
