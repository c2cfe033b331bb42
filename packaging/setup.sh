#!/bin/bash
# Installs what is missing (Debian 12, as root) and builds arsync into build/.
# Sourced by packaging/demo.sh and packaging/test.sh; safe to run again.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"

PACKAGES=(build-essential cmake pkg-config libpoco-dev libssl-dev libpugixml-dev
          nlohmann-json3-dev libsqlitecpp-dev libsqlite3-dev libgtest-dev libgmock-dev
          libjemalloc-dev libcli11-dev python3 python3-aiosmtpd openssl ca-certificates)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

echo "== building in $BUILD_DIR"
# Release: -O2 without debug information (see CMakeLists.txt); BUILD_TYPE=RelWithDebInfo for gdb.
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" -DARSYNC_WERROR=ON ${CMAKE_EXTRA_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
