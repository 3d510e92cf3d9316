#!/usr/bin/env bash
# Sets up the machine, builds the engine and runs the demo program.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh build RelWithDebInfo >/dev/null
./build/demo
