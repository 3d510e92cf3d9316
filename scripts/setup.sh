#!/usr/bin/env bash
# Installs what building and testing datalite needs on Debian 12 (as root, or
# with sudo). Safe to run repeatedly: installs only what is missing.
set -euo pipefail

packages=(cmake g++ ninja-build catch2 ccache)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
