#!/usr/bin/env bash
# Installs every Debian package plotmap needs to build, run and test, and nothing twice.
# Idempotent: packages already present are skipped, so a second run costs a dpkg query.
# Usage: scripts/install-deps.sh [--with-test-tools]
set -euo pipefail

# Build and run. Boost comes as libboost-dev (1.74): libgdal-dev pulls libkml-dev, which
# depends on it, so a newer libboostX-dev would conflict.
packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost-dev libsqlite3-dev sqlite3 libspatialite-dev libsqlite3-mod-spatialite spatialite-bin
  libproj-dev proj-bin proj-data libgdal-dev gdal-bin libgeos-dev
  nlohmann-json3-dev libprotozero-dev libsodium-dev libtomlplusplus-dev zlib1g-dev
)
if [[ "${1:-}" == "--with-test-tools" ]]; then
  packages+=(googletest libgtest-dev libgmock-dev geographiclib-tools)
fi

sudo_cmd=()
if (( EUID != 0 )); then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if (( ${#missing[@]} )); then
  echo "plotmap: installing Debian packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Front-end packages, once the web pages exist.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -f "$root/web/package.json" ]]; then
  if ! command -v npm >/dev/null; then
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends nodejs npm
  fi
  if [[ ! -d "$root/web/node_modules" || "$root/web/package-lock.json" -nt "$root/web/node_modules" ]]; then
    echo "plotmap: installing npm packages in web/"
    (cd "$root/web" && npm ci --no-audit --no-fund)
  fi
fi
