#!/usr/bin/env bash
# Tile benchmark (vector tiles issue), all peers in one run on this machine, same plots:
#  1. uncached: plotmap (tile cache off) over HTTP vs PostGIS ST_AsMVT over 2 connections,
#     per zoom 6-16: p50/p95 latency, tiles/s, tile size; the ratio of tiles/s.
#  2. cached: wrk (keep-alive, 64 connections) against plotmap's cache vs nginx serving the
#     very same tile bytes from disk.
#  3. peak RSS of the plotmap server.
# The 1,000,000-plot database and the PostGIS copy are made once and kept in bench/data/.
# Usage: bench/run-tile-bench.sh [PLOTS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
plots=${1:-1000000}

scripts/install-deps.sh --with-bench-tools
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DPLOTMAP_BUILD_TESTS=OFF -DPLOTMAP_BUILD_BENCH=ON >/dev/null
cmake --build build/bench --target plotmap bench_tiles
bin=$root/build/bench/app/plotmap

source bench/common.sh
demo_database "$plots" "$bin"

work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  stop_bench_postgis
  rm -rf "$work"
}
trap cleanup EXIT
start_bench_postgis "$plots"

peak_rss() { awk '/VmHWM/ {printf "%.0f MiB", $2 / 1024}' "/proc/$1/status"; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; plotmap $("$bin" --version | cut -d' ' -f2) Release;" \
  "PostGIS $(psql "$pg" -Atc 'SELECT postgis_lib_version()'); $plots plots"
echo
start_plotmap "$bin" PLOTMAP_TILES_CACHE_BYTES=0
pids+=("$plotmap_pid")
build/bench/bench/bench_tiles --db "$base" --port "$port" --pg "$pg" --dump "$work/tiles"
echo "plotmap peak RSS (cache off): $(peak_rss "$plotmap_pid")"
kill "$plotmap_pid"; wait "$plotmap_pid" 2>/dev/null || true

echo
echo "cached tiles: wrk -t2 -c64 -d15s over $(wc -l <"$work/tiles/urls.txt") tile URLs, the same bytes"
start_plotmap "$bin" PLOTMAP_TILES_CACHE_BYTES=268435456
pids+=("$plotmap_pid")
while read -r url; do curl -s -o /dev/null "http://127.0.0.1:$port$url"; done <"$work/tiles/urls.txt"
plotmap_rps=$(URLS="$work/tiles/urls.txt" wrk -t2 -c64 -d15s -s bench/urls.lua "http://127.0.0.1:$port" | awk '/Requests\/sec/ {print $2}')
echo "plotmap (cache):       $plotmap_rps requests/s; peak RSS $(peak_rss "$plotmap_pid")"
kill "$plotmap_pid"; wait "$plotmap_pid" 2>/dev/null || true

mkdir -p "$work/nginx/logs"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 100000;
  types { application/vnd.mapbox-vector-tile mvt; }
  server {
    listen 127.0.0.1:18089;
    location /tiles/plots/ { alias $work/tiles/; }
  }
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -g 'daemon off; user root;' &
pids+=("$!")
sleep 0.5
nginx_rps=$(URLS="$work/tiles/urls.txt" wrk -t2 -c64 -d15s -s bench/urls.lua "http://127.0.0.1:18089" | awk '/Requests\/sec/ {print $2}')
echo "nginx (static files):  $nginx_rps requests/s"
awk -v a="$plotmap_rps" -v b="$nginx_rps" 'BEGIN {printf "plotmap / nginx:       %.0f%%\n", 100 * a / b}'
