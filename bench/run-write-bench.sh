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

scripts/install-deps.sh
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DPLOTMAP_BUILD_TESTS=OFF -DPLOTMAP_BUILD_BENCH=ON >/dev/null
cmake --build build/bench --target plotmap bench_plot_writes
bin=build/bench/app/plotmap

mkdir -p bench/data
base="bench/data/plots-$plots.sqlite"
if [[ ! -f "$base" ]]; then
  "$bin" init --db "$base.tmp"
  "$bin" demo --db "$base.tmp" --plots "$plots"
  sqlite3 "$base.tmp" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
  mv "$base.tmp" "$base"
fi
# Work on a copy so every run starts from the same database.
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
cp "$base" "$work/bench.sqlite"
PLOTMAP_SERVER_ACCESS_LOG=false "$bin" serve --db "$work/bench.sqlite" --listen 127.0.0.1:0 >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  port=$(grep -oE '127\.0\.0\.1:[0-9]+' "$work/server.log" | head -n1 | cut -d: -f2 || true)
  [[ -n "$port" ]] && break
  sleep 0.1
done
[[ -n "$port" ]] || { cat "$work/server.log"; exit 1; }
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; server: $bin (Release)"
build/bench/bench/bench_plot_writes --port "$port" --db "$work/bench.sqlite" --creates "$creates" --clients 8
