#!/usr/bin/env bash
# Plot-create benchmark (plot registry issue): creates per second with boundaries, one client
# and several, against a database already holding 1,000,000 plots (made once with
# `plotmap demo` and kept in bench/data/, ~2-3 minutes the first time).
# Usage: bench/run-write-bench.sh [PLOTS] [CREATES]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
plots=${1:-1000000}
creates=${2:-2000}

source bench/common.sh
bench_setup "$plots" bench_plot_writes
with_bench_token "$bin"
start_plotmap "$bin" PLOTMAP_SERVER_REQUESTS_PER_S=0
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; server: $bin (Release)"
build/bench/bench/bench_plot_writes --port "$port" --db "$work/bench.sqlite" --creates "$creates" --clients 8 --token "$token"
