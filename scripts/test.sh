#!/usr/bin/env bash
# The README's second command: install what is missing, then
#   1. build everything with warnings as errors (gcc, build/test) and run every test: unit,
#      end-to-end against the real binary, and the browser tests in headless Chromium;
#   2. build everything again with AddressSanitizer + UndefinedBehaviorSanitizer (clang,
#      build/sanitize) and run the unit and end-to-end tests under them, then each libFuzzer
#      target over its seed corpus for PLOTMAP_FUZZ_SECONDS (default 20) seconds.
# Extra arguments go to both ctest runs (e.g. -L geo, or -R serve_test).
# PLOTMAP_SKIP_SANITIZE=1 runs the first part only (a quicker loop while developing).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
jobs=$(nproc)
# ccache hits across checkouts (CI builds a fresh clone in another folder): paths under the
# checkout are hashed relative to it, and the working directory is left out of the hash.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
# This script's own options, read and then taken out of the environment: the binary under test
# warns about every PLOTMAP_* variable that is not one of its settings, and the CLI tests check
# its exact output.
skip_sanitize="${PLOTMAP_SKIP_SANITIZE:-0}"
fuzz_seconds="${PLOTMAP_FUZZ_SECONDS:-20}"
unset PLOTMAP_SKIP_SANITIZE PLOTMAP_FUZZ_SECONDS

scripts/install-deps.sh --with-test-tools
npm --prefix web run build --silent # the field app the browser tests drive
cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPLOTMAP_WERROR=ON -DPLOTMAP_BUILD_TESTS=ON >/dev/null
cmake --build build/test
(cd build/test && ctest --output-on-failure -j "$jobs" "$@")

if [[ "$skip_sanitize" == "1" ]]; then exit 0; fi
# -O1 keeps the sanitized tests quick; every report is fatal (-fno-sanitize-recover).
CC=clang CXX=clang++ cmake -S . -B build/sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DPLOTMAP_WERROR=ON -DPLOTMAP_BUILD_TESTS=ON -DPLOTMAP_BUILD_FUZZ=ON \
  -DPLOTMAP_FUZZ_SECONDS="$fuzz_seconds" >/dev/null
cmake --build build/sanitize
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export LSAN_OPTIONS="suppressions=$root/tests/sanitizer/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# The PostgreSQL runs of the suites (label postgresql) are left to the gcc build; the drivers
# themselves run on both backends here too (data tests backends/database.*).
(cd build/sanitize && ctest --output-on-failure -j "$jobs" -LE "web|postgresql" "$@")
