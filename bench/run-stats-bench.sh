#!/usr/bin/env bash
# Dashboard numbers benchmark (issue 14): over 1,000,000 plots, the stats API for the country,
# a province and a district, the monthly trend, the data-quality counts and the monthly report
# of a province (JSON and XLSX), each the median of N requests through HTTP with a signed-in
# token; side by side, the same country and district numbers made the way they would be
# without plotmap's summary tables (sqlite3 GROUP BY over the plots table, same file).
# Usage: bench/run-stats-bench.sh [PLOTS] [REQUESTS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
plots=${1:-1000000}
requests=${2:-15}

source bench/common.sh
bench_setup "$plots"
with_bench_token "$bin"
start_plotmap "$bin"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; plotmap $bin (Release)"
echo "data: $plots plots; $requests requests each, median (and slowest) milliseconds"
echo

month=$(sqlite3 "$base" "SELECT strftime('%Y-%m', 'now', '+7 hours', '-1 month')")
# Median and maximum of N timed requests (after one to warm the page cache).
timed() { # $1: label, $2: path and query
  local url="http://127.0.0.1:$port$2"
  curl -sf -o /dev/null -H "Authorization: Bearer $token" "$url" || { echo "$1: request failed: $url"; exit 1; }
  for _ in $(seq 1 "$requests"); do
    curl -s -o /dev/null -w "%{time_total}\n" -H "Authorization: Bearer $token" "$url"
  done | sort -n | awk -v label="$1" '{ t[NR] = $1 * 1000 } END { printf "%-44s %8.1f %8.1f\n", label, t[int((NR + 1) / 2)], t[NR] }'
}
# The same numbers from the plots table itself: what each call would cost without plot_totals.
scan() { # $1: label, $2: SQL
  sqlite3 "$base" "$2" >/dev/null # warm
  local s
  s=$( { /usr/bin/time -f "%e" sqlite3 "$base" "$2" >/dev/null; } 2>&1 )
  printf "%-44s %8.1f\n" "$1" "$(awk -v s="$s" 'BEGIN { print s * 1000 }')"
}

printf "%-44s %8s %8s\n" "plotmap (HTTP, signed in)" median max
timed "stats: country by province (target < 200)" "/api/v1/stats?by=adm1"
timed "stats: a province by district" "/api/v1/stats?by=adm2&parent=64"
timed "stats: a district by subdistrict (< 50)" "/api/v1/stats?by=adm3&parent=6401"
timed "stats: country, filtered (HLM, 2025)" "/api/v1/stats?by=adm1&program=HLM&budget_year=2025"
timed "trend: country, 12 months" "/api/v1/stats/trend"
timed "trend: a province, 12 months" "/api/v1/stats/trend?area=64"
timed "quality: country" "/api/v1/stats/quality"
timed "quality: a province" "/api/v1/stats/quality?area=64"
timed "quality: a district (with overlaps)" "/api/v1/stats/quality?area=6401"
timed "monthly report: a province, JSON (< 1000)" "/api/v1/reports/monthly?month=$month&area=64"
timed "monthly report: a province, XLSX" "/api/v1/reports/monthly?month=$month&area=64&format=xlsx"
timed "monthly report: a district, JSON" "/api/v1/reports/monthly?month=$month&area=6401"
echo
printf "%-44s %8s\n" "the same from the plots table (sqlite3)" ms
scan "country by province: GROUP BY over plots" \
  "SELECT adm1, stage, program, count(*), total(area_m2), count(boundary) FROM plots WHERE deleted_at IS NULL GROUP BY 1, 2, 3"
scan "a district by subdistrict: GROUP BY" \
  "SELECT adm3, stage, program, count(*), total(area_m2), count(boundary) FROM plots WHERE deleted_at IS NULL AND adm2 = '6401' GROUP BY 1, 2, 3"
