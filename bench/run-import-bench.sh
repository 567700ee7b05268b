#!/usr/bin/env bash
# Import benchmark (GIS interop issue): a GeoPackage of 100,000 plots (plotmap's own export of
# the demo data, every field and boundary) imported into a fresh database, dry run and real,
# side by side in the same run with ogr2ogr loading the same file into a SpatiaLite database
# (no validation, no admin lookup, no history: the floor of what reading and writing cost).
# Prints seconds, plots/s and the ratios.
# Usage: bench/run-import-bench.sh [PLOTS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
plots=${1:-100000}

source bench/common.sh
bench_setup "$plots"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; plotmap $bin (Release); $(ogr2ogr --version)"
"$bin" export --db "$base" --format gpkg "$work/plots.gpkg" 2>/dev/null
echo "data: $plots plots exported from $base to a GeoPackage of $(du -m "$work/plots.gpkg" | cut -f1) MB"
echo

seconds() { # runs a command, printing its wall-clock seconds
  /usr/bin/time -f "%e" -o "$work/time" "$@" >"$work/out" 2>&1 || { cat "$work/out"; exit 1; }
  cat "$work/time"
}

fresh() { rm -f "$work"/target.sqlite*; "$bin" init --db "$work/target.sqlite" >/dev/null; }

fresh
dry=$(seconds "$bin" import --db "$work/target.sqlite" --dry-run "$work/plots.gpkg")
grep -q "would create $plots" "$work/out" || { cat "$work/out"; exit 1; }
fresh
real=$(seconds "$bin" import --db "$work/target.sqlite" "$work/plots.gpkg")
grep -q "applied" "$work/out" || { cat "$work/out"; exit 1; }
[[ $(sqlite3 "$work/target.sqlite" "SELECT count(*) FROM plots") == "$plots" ]] || { echo "plots missing"; exit 1; }
rm -f "$work/ogr.sqlite"
ogr=$(seconds ogr2ogr -f SQLite -dsco SPATIALITE=YES "$work/ogr.sqlite" "$work/plots.gpkg")

awk -v n="$plots" -v d="$dry" -v r="$real" -v o="$ogr" 'BEGIN {
  printf "%-34s %7s %10s %s\n", "", "s", "plots/s", "vs ogr2ogr"
  printf "%-34s %7.1f %10.0f %.2fx\n", "plotmap import --dry-run", d, n / d, o / d
  printf "%-34s %7.1f %10.0f %.2fx\n", "plotmap import (all or nothing)", r, n / r, o / r
  printf "%-34s %7.1f %10.0f\n", "ogr2ogr -f SQLite (SpatiaLite)", o, n / o
}'
