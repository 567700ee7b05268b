#!/usr/bin/env bash
# Export and OGC API Features benchmark (GIS access issue): plotmap exports 1,000,000 plots to
# GeoJSON, GeoPackage and FlatGeobuf, side by side in the same run with ogr2ogr converting the
# same plots from the same SpatiaLite file to the same format; then OGC API /items pages of
# 1,000 features over HTTP. Prints seconds, plots/s, peak memory, sizes and the ratios.
# Usage: bench/run-export-bench.sh [PLOTS] [PAGES]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
plots=${1:-1000000}
pages=${2:-60}

source bench/common.sh
bench_setup "$plots"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; plotmap $bin (Release); $(ogr2ogr --version)"
echo "data: $plots plots in $base"
echo

# Runs a command, printing "<seconds> <peak RSS MiB>".
measure() {
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr"; exit 1; }
  awk '{printf "%s %.0f", $1, $2 / 1024}' "$work/time"
}

echo "MiB = peak resident memory; plotmap's includes the database pages it maps (shared, reclaimable file cache)"
printf "%-8s | %-28s | %-28s | %s\n" format "plotmap s (plots/s, MiB, MB)" "ogr2ogr s (plots/s, MiB, MB)" "ratio"
for format in geojson gpkg fgb; do
  case $format in
    geojson) driver=GeoJSON ;;
    gpkg) driver=GPKG ;;
    fgb) driver=FlatGeobuf ;;
  esac
  rm -f "$work"/out.*
  read -r ps pm <<<"$(measure "$bin" export --db "$base" --format "$format" "$work/out.plotmap.$format")"
  psize=$(du -m "$work/out.plotmap.$format" | cut -f1)
  rm -f "$work/out.plotmap.$format"
  # The same plots (live ones), the same polygons, their attribute columns, from the same file.
  read -r os om <<<"$(measure ogr2ogr -f "$driver" "$work/out.ogr.$format" "$base" -sql \
    "SELECT * FROM plots WHERE deleted_at IS NULL" -dialect SQLite -nln plots)"
  osize=$(du -m "$work/out.ogr.$format" | cut -f1)
  rm -f "$work/out.ogr.$format"
  awk -v f="$format" -v n="$plots" -v ps="$ps" -v pm="$pm" -v pz="$psize" -v os="$os" -v om="$om" -v oz="$osize" 'BEGIN {
    printf "%-8s | %6.1f (%7.0f/s, %4d, %5d) | %6.1f (%7.0f/s, %4d, %5d) | %.2fx\n", f, ps, n / ps, pm, pz, os, n / os, om, oz, os / ps }'
done
echo

# OGC API Features: pages of 1,000 plots (polygons with all public properties), anonymous.
start_plotmap "$bin"
max_id=$(sqlite3 "$base" "SELECT max(id) FROM plots")
url="http://127.0.0.1:$port/collections/plots/items?limit=1000"
curl -s -o /dev/null "$url" # warm
: >"$work/items"
for i in $(seq 1 "$pages"); do
  after=$(( (RANDOM * 32768 + RANDOM) % max_id ))
  curl -s -o /dev/null -w "%{time_total} %{size_download}\n" "$url&after=$after" >>"$work/items"
done
: >"$work/bbox"
for i in $(seq 1 "$pages"); do
  lon=$(awk -v r=$RANDOM 'BEGIN { printf "%.3f", 99.0 + r / 32768 * 5 }')
  lat=$(awk -v r=$RANDOM 'BEGIN { printf "%.3f", 14.0 + r / 32768 * 4 }')
  curl -s -o /dev/null -w "%{time_total} %{size_download}\n" \
    "$url&bbox=$lon,$lat,$(awk -v x="$lon" 'BEGIN{print x + 0.5}'),$(awk -v y="$lat" 'BEGIN{print y + 0.5}')" >>"$work/bbox"
done
for kind in items bbox; do
  sort -n "$work/$kind" | awk -v k="$kind" '{ t[NR] = $1 * 1000; s += $2 } END {
    printf "OGC /items %-5s limit=1000: %d pages, median %.1f ms, p95 %.1f ms, average %.0f KB\n", k, NR, t[int((NR + 1) / 2)], t[int(NR * 0.95)], s / NR / 1024 }'
done
