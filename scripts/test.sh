#!/usr/bin/env bash
# The README's second command: install what is missing, build everything with warnings as
# errors, and run every test (unit, end-to-end against the real binary). Extra arguments go
# to ctest (e.g. -L geo, or -R serve_test).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

scripts/install-deps.sh --with-test-tools
cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPLOTMAP_WERROR=ON -DPLOTMAP_BUILD_TESTS=ON >/dev/null
cmake --build build/test
cd build/test
ctest --output-on-failure -j "$(nproc)" "$@"
