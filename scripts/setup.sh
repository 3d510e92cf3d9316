#!/usr/bin/env bash
# Installs what building and testing datalite needs on Debian 12 (as root, or
# with sudo). Safe to run repeatedly: installs only what is missing.
#   scripts/setup.sh           everything (native + wasm toolchains, chromium for e2e)
#   scripts/setup.sh native    only the native toolchain
set -euo pipefail

packages=(cmake g++ ninja-build catch2 ccache clang libclang-rt-14-dev)
if [ "${1:-all}" != "native" ]; then
  packages+=(emscripten nodejs npm)
  [ "${1:-all}" = "all" ] && packages+=(chromium)
fi
missing=()
for p in "${packages[@]}"; do
  case "$p" in
    # node and npm may come from elsewhere than apt (e.g. nodesource): keep those.
    nodejs) command -v node >/dev/null && continue ;;
    npm) command -v npm >/dev/null && continue ;;
  esac
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
