#!/usr/bin/env bash
# Bake benchmark (issue 16): a z0-14 pyramid of the plots tileset, side by side in the same run:
# `plotmap tiles` into one PMTiles archive against GDAL's MVT writer (`ogr2ogr -f MVT`) writing
# the same zooms and extent from the same plots (the same two layers: polygons from zoom 13, and
# points at every zoom; GDAL has no clusters, so it writes every point until its per-tile limits).
# Then `plotmap tiles --update` after EDITS stage changes made through the API to plots of one
# district, against the full bake. Prints seconds, tiles, bytes and the ratios.
# Usage: bench/run-bake-bench.sh [PLOTS] [MAXZOOM] [EDITS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
plots=${1:-100000}
maxzoom=${2:-14}
edits=${3:-1000}

source bench/common.sh
bench_setup "$plots"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; plotmap $bin (Release); $(ogr2ogr --version)"
echo "data: $plots plots in $base; zooms 0-$maxzoom"
echo
with_bench_token "$bin" # $base is now a copy with an admin and a token, for the edits below

# Runs a command, printing "<seconds> <peak RSS MiB>".
measure() {
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/stdout" 2>"$work/stderr" || { cat "$work/stdout" "$work/stderr"; exit 1; }
  awk '{printf "%s %.0f", $1, $2 / 1024}' "$work/time"
}

# GDAL's input, made before the clock starts: the live plots' boundaries and locations with the
# attributes the tiles carry, as two layers of one GeoPackage in WGS 84 (what plotmap reads from).
columns="id, stage, review_state, code, program, round(area_m2, 1) AS area_m2, round(area_m2 / 1600.0, 2) AS area_rai, adm1, adm2, adm3, budget_year"
ogr2ogr -f GPKG "$work/source.gpkg" "$base" -dialect SQLite -nln plots \
  -sql "SELECT $columns, boundary FROM plots WHERE deleted_at IS NULL AND boundary IS NOT NULL"
ogr2ogr -f GPKG -update "$work/source.gpkg" "$base" -dialect SQLite -nln pins \
  -sql "SELECT $columns, location FROM plots WHERE deleted_at IS NULL AND location IS NOT NULL"

read -r ps pm <<<"$(measure "$bin" tiles --db "$base" --tileset plots --maxzoom "$maxzoom" "$work/plots.pmtiles")"
ptiles=$(grep -oE 'wrote [0-9]+ tiles' "$work/stdout" | grep -oE '[0-9]+')
pbytes=$(stat -c %s "$work/plots.pmtiles")
tail -n1 "$work/stdout"

conf="{\"plots\":{\"minzoom\":13,\"maxzoom\":$maxzoom},\"pins\":{\"minzoom\":0,\"maxzoom\":$maxzoom}}"
read -r gs gm <<<"$(measure ogr2ogr -f MVT "$work/gdal" "$work/source.gpkg" -dsco MINZOOM=0 -dsco MAXZOOM="$maxzoom" \
  -dsco CONF="$conf" -dsco COMPRESS=YES)"
gtiles=$(find "$work/gdal" -name '*.pbf' | wc -l)
gbytes=$(find "$work/gdal" -name '*.pbf' -printf '%s\n' | awk '{s += $1} END {print s}')
gdisk=$(du -sb "$work/gdal" | cut -f1)

printf "%-10s | %8s | %8s | %12s | %8s | %s\n" writer seconds "peak MiB" "tiles" "tiles/s" "bytes (tile files; on disk with metadata)"
awk -v s="$ps" -v m="$pm" -v t="$ptiles" -v b="$pbytes" 'BEGIN { printf "%-10s | %8.1f | %8d | %12d | %8.0f | %d (one file)\n", "plotmap", s, m, t, t / s, b }'
awk -v s="$gs" -v m="$gm" -v t="$gtiles" -v b="$gbytes" -v d="$gdisk" 'BEGIN { printf "%-10s | %8.1f | %8d | %12d | %8.0f | %d (%d)\n", "ogr2ogr", s, m, t, t / s, b, d }'
awk -v ps="$ps" -v gs="$gs" -v pb="$pbytes" -v gb="$gdisk" 'BEGIN { printf "plotmap is %.1fx faster; its archive is %.2f of GDAL'"'"'s directory\n", gs / ps, pb / gb }'

# An update after $edits edits in the district with the most plots, through the API (each in
# the plot history), against the full bake above.
district=$(sqlite3 "$base" "SELECT adm2 FROM plots WHERE deleted_at IS NULL GROUP BY adm2 ORDER BY count(*) DESC LIMIT 1")
serve_plotmap "$bin" "$base" PLOTMAP_SERVER_REQUESTS_PER_S=0
made=0
while IFS='|' read -r id version stage; do
  next=complete
  [[ "$stage" == complete ]] && next=digging
  status=$(curl -s -o /dev/null -w '%{http_code}' -X PATCH "http://127.0.0.1:$port/api/v1/plots/$id" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -H "If-Match: \"$version\"" -d "{\"stage\":\"$next\"}")
  [[ "$status" == 200 ]] && made=$((made + 1))
done < <(sqlite3 "$base" "SELECT id, version, stage FROM plots WHERE adm2 = '$district' AND deleted_at IS NULL ORDER BY id LIMIT $edits")
kill "$plotmap_pid" && wait "$plotmap_pid" 2>/dev/null || true
plotmap_pid=""
read -r us um <<<"$(measure "$bin" tiles --db "$base" --update "$work/plots.pmtiles")"
cat "$work/stdout"
awk -v n="$made" -v d="$district" -v ps="$ps" -v us="$us" 'BEGIN { printf "update after %d edits in district %s: %.2f s against %.1f s for the full bake: %.0fx faster\n", n, d, us, ps, ps / us }'
