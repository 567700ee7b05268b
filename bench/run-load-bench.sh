#!/usr/bin/env bash
# Sustained mixed load: tiles, OGC API items, plot searches and creates together for several
# minutes against 1,000,000 plots (bench/data/, made once), then an overload burst that the
# server must shed with 503 + Retry-After. Prints requests/s, p50/p99 per route, 5xx, lost
# writes and the server's RSS at start and end. Loopback only, bounded in time.
# Usage: bench/run-load-bench.sh [SECONDS] [PLOTS] [CLIENTS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
seconds=${1:-180}
plots=${2:-1000000}
clients=${3:-32}

source bench/common.sh
bench_setup "$plots" bench_load
with_bench_token "$bin"
start_plotmap "$bin" PLOTMAP_SERVER_REQUESTS_PER_S=0 PLOTMAP_SERVER_MAX_QUEUED_REQUESTS=128
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; server: $bin (Release), 4 workers, queue limit 128"
build/bench/bench/bench_load --port "$port" --pid "$plotmap_pid" --db "$work/bench.sqlite" --token "$token" \
  --seconds "$seconds" --clients "$clients"
