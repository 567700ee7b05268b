#!/usr/bin/env bash
# The field app's start-up on a throttled phone (bench/app-shell.mjs): Chromium with
# Lighthouse's Slow 4G and 4x CPU throttling, against plotmap (Release) serving the demo
# database on loopback. Prints cold and warm start times and the bytes transferred.
# Usage: bench/run-app-bench.sh [RUNS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
runs=${1:-5}

source bench/common.sh
scripts/install-deps.sh --with-test-tools >/dev/null
npm --prefix web run build --silent
bench_setup 2000
with_bench_token "$bin"
start_plotmap "$bin"
echo "machine: $(nproc) cores; plotmap $bin (Release); $(/usr/bin/chromium --version 2>/dev/null)"
node bench/app-shell.mjs "http://127.0.0.1:$port" bench bench-password "$runs"
