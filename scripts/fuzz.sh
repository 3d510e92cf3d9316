#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz) with clang + ASan + UBSan and
# runs each for a while, starting from the seed corpora in tests/fuzz/corpus.
#   scripts/fuzz.sh                      every harness, 60 s each
#   scripts/fuzz.sh --seconds 30 edn     chosen harnesses, chosen time
#   scripts/fuzz.sh --seeds              regenerate the binary seed corpora
# New inputs go to build-fuzz/corpus/<harness> (not into git); a crash is
# saved as build-fuzz/findings/<harness>-crash-* and fails the script. Turn
# each finding into a regression test (tests/fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
seeds=0
harnesses=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --seeds) seeds=1; shift ;;
    *) harnesses+=("$1"); shift ;;
  esac
done
[ ${#harnesses[@]} -gt 0 ] || harnesses=(edn query pull transact deserialize serializable store session)

command -v clang++ >/dev/null || { echo "fuzz: clang++ is missing (scripts/setup.sh installs it)" >&2; exit 1; }
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DDATALITE_FUZZ=ON -DDATALITE_TESTS=OFF -DDATALITE_BENCH=OFF "${launcher[@]}" >/dev/null
fi
cmake --build build-fuzz -j"$(nproc)" >/dev/null

if [ "$seeds" = 1 ]; then
  ./build-fuzz/fuzz_make_seeds tests/fuzz/corpus
  echo "fuzz: binary seeds written to tests/fuzz/corpus"
  exit 0
fi

mkdir -p build-fuzz/findings
total=0
failed=()
for h in "${harnesses[@]}"; do
  work="build-fuzz/corpus/$h"
  mkdir -p "$work"
  dict=()
  case "$h" in edn|query|pull|serializable) dict=(-dict=tests/fuzz/edn.dict) ;; esac
  log="build-fuzz/findings/$h.log"
  set +e
  "./build-fuzz/fuzz_$h" "$work" "tests/fuzz/corpus/$h" "${dict[@]}" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -print_final_stats=1 -artifact_prefix="build-fuzz/findings/$h-" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  total=$((total + ${runs:-0}))
  if [ $rc -ne 0 ]; then
    failed+=("$h")
    echo "fuzz: $h FAILED after ${runs:-?} executions (log: $log)"
    grep -E "ERROR|SUMMARY|invariant|Test unit written" "$log" | head -8 | sed 's/^/    /'
  else
    echo "fuzz: $h ok, ${runs} executions in ${seconds}s, coverage ${cov} edges"
  fi
done
echo "fuzz: ${total} executions in total"
[ ${#failed[@]} -eq 0 ] || { echo "fuzz: findings in ${failed[*]}" >&2; exit 1; }
