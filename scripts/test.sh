#!/usr/bin/env bash
# Sets up the machine and runs every test:
#   1. the Catch2 suites of each engine layer (CTest), optimized build
#   2. the same under ASan + UBSan
#   3. every libFuzzer harness briefly (clang + ASan + UBSan; tests/fuzz)
#   4. the Catch2 suites compiled to wasm32 and run under Node
#   5. the wasm package: Node tests (node --test) incl. the TypeScript check
#      and the bad-input suite
#   6. the packed tarball, installed into a scratch project
#   7. browser tests (Playwright + Chromium) against the web demo
#   8. edge runtimes: the examples in real workerd and Deno
# Skips: DATALITE_SKIP_ASAN=1, DATALITE_SKIP_FUZZ=1, DATALITE_SKIP_E2E=1,
# DATALITE_SKIP_EDGE=1; DATALITE_FUZZ_SECONDS (default 30) per harness.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
summary=()

bash scripts/build.sh build RelWithDebInfo
ctest --test-dir build --output-on-failure -j2
summary+=("native ctest: passed")

if [ "${DATALITE_SKIP_ASAN:-0}" != "1" ]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DDATALITE_SANITIZE=ON -DDATALITE_BENCH=OFF \
    "${launcher[@]}" >/dev/null
  cmake --build build-asan -j2
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j2
  summary+=("asan+ubsan ctest: passed")
fi

if [ "${DATALITE_SKIP_FUZZ:-0}" != "1" ]; then
  bash scripts/fuzz.sh --seconds "${DATALITE_FUZZ_SECONDS:-30}"
  summary+=("fuzz harnesses (libFuzzer, ${DATALITE_FUZZ_SECONDS:-30} s each): passed")
fi

DATALITE_WASM_TESTS=1 bash scripts/build-wasm.sh
ctest --test-dir build-wasm --output-on-failure -j2
summary+=("wasm32 ctest (Catch2 under node): passed")
[ -d node_modules ] || npm ci --no-audit --no-fund
[ -d bench/datascript/node_modules ] || (cd bench/datascript && npm ci --no-audit --no-fund)
node --test tests/js/
summary+=("node tests: passed")

bash scripts/pack-check.sh
summary+=("npm pack check: passed")

if [ "${DATALITE_SKIP_E2E:-0}" != "1" ]; then
  bash e2e/run.sh
  summary+=("browser e2e: passed")
fi

if [ "${DATALITE_SKIP_EDGE:-0}" != "1" ]; then
  bash e2e-edge/run.sh
  summary+=("edge e2e (workerd, Deno): passed")
fi

printf '%s\n' "${summary[@]}"
echo "${#summary[@]} passed, 0 failed"
