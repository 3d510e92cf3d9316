#!/usr/bin/env bash
# Sets up the machine, builds the npm package (the wasm engine) and runs the
# Node demo through the public API.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh wasm
bash scripts/build-wasm.sh >/dev/null
node examples/demo.mjs
