#!/usr/bin/env bash
# Installs every Debian package plotmap needs to build, run and test, and nothing twice.
# Idempotent: packages already present are skipped, so a second run costs a dpkg query.
# Usage: scripts/install-deps.sh [--with-test-tools | --with-bench-tools]
set -euo pipefail

# Build and run. Boost comes as libboost-dev (1.74): libgdal-dev pulls libkml-dev, which
# depends on it, so a newer libboostX-dev would conflict.
packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost-dev libsqlite3-dev sqlite3 libpq-dev libspatialite-dev libsqlite3-mod-spatialite spatialite-bin
  libproj-dev proj-bin proj-data libgdal-dev gdal-bin libgeos-dev libvips-dev
  nlohmann-json3-dev libprotozero-dev libflatbuffers-dev libsodium-dev libtomlplusplus-dev zlib1g-dev
  libfreetype-dev fonts-noto-core
)
if [[ "${1:-}" == "--with-test-tools" ]]; then
  # GoogleTest; GeographicLib's Planimeter (independent geodesic areas); Chromium for the
  # browser tests (driven by playwright-core, never a downloaded browser).
  packages+=(googletest libgtest-dev libgmock-dev geographiclib-tools chromium)
  # QGIS as GIS offices run it (Debian's 3.22), headless from Python, for the OGC API test.
  packages+=(python3-qgis qgis-providers)
  # clang with its sanitizer and libFuzzer runtimes for the sanitizer build (build/sanitize).
  packages+=(clang libclang-rt-14-dev)
  # PostgreSQL + PostGIS: the test setup starts a throwaway cluster (tests/support/postgres.sh)
  # and runs the data, server and end-to-end tests on it as well; nginx for the
  # several-servers test.
  packages+=(postgresql-15 postgresql-15-postgis-3 nginx-light)
fi
if [[ "${1:-}" == "--with-bench-tools" ]]; then
  # The peers the benchmarks in bench/ run side by side with plotmap.
  packages+=(postgresql postgresql-15-postgis-3 nginx-light wrk sqlite3 curl time libvips-tools)
fi
# The web pages' npm packages need node and npm.
command -v node >/dev/null || packages+=(nodejs)

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

# Front-end packages (MapLibre GL JS for the pages; decoders and playwright-core for tests).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if ! command -v npm >/dev/null; then
  # Debian's nodejs leaves npm to its own package; NodeSource's includes it.
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends npm
fi
if [[ ! -f "$root/web/node_modules/.package-lock.json" || "$root/web/package-lock.json" -nt "$root/web/node_modules/.package-lock.json" ]]; then
  echo "plotmap: installing npm packages in web/"
  (cd "$root/web" && npm ci --no-audit --no-fund --loglevel=error)
fi
