#!/usr/bin/env bash
# Photo benchmark (photos issue): phone-sized JPEGs (12 megapixels, 3-5 MB, each different)
# uploaded to a running plotmap over HTTP at 1, 2 and 4 concurrent uploads, from the request
# to the stored upload, its display size (1600 px), thumbnail (320 px) and stripped original,
# fsynced, and the row committed. Side by side in the same run: libvips' own vipsthumbnail
# making the same two sizes from the same files with as many processes (no HTTP, no hashing,
# no fsync, no database: the floor). Prints photos/s, MB/s, the ratio, and plotmap's peak
# anonymous memory above its idle level per concurrent upload.
# Usage: bench/run-photo-bench.sh [PHOTOS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
photos=${1:-24}

source bench/common.sh
bench_setup 2000
with_bench_token "$bin"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; plotmap $bin (Release); libvips $(vips --version)"

# Distinct photos: noise over a gradient, so JPEG cannot squeeze them below a phone's sizes.
mkdir -p "$work/photos"
for i in $(seq 1 "$photos"); do
  sigma=$((10 + i % 7))
  vips gaussnoise "$work/n.v" 4000 3000 --mean 128 --sigma "$sigma" --seed "$i"
  vips xyz "$work/xy.v" 4000 3000
  vips extract_band "$work/xy.v" "$work/x.v" 0
  vips linear "$work/x.v" "$work/g.v" 0.03 40
  vips add "$work/n.v" "$work/g.v" "$work/a.v"
  vips bandjoin "$work/a.v $work/n.v $work/g.v" "$work/rgb.v"
  vips cast "$work/rgb.v" "$work/rgb8.v" uchar
  vips jpegsave "$work/rgb8.v" "$work/photos/p$i.jpg" --Q 88
done
rm -f "$work"/*.v
total_mb=$(du -cm "$work"/photos/*.jpg | tail -n1 | cut -f1)
echo "data: $photos JPEGs of 4000 x 3000, $total_mb MB in all ($(du -m "$work/photos/p1.jpg" | cut -f1)-$(du -m "$work"/photos/*.jpg | sort -n | tail -n1 | cut -f1) MB each)"
echo

# Peak anonymous memory (KiB) of $1 while it lives, sampled every 20 ms into $2.
sample_memory() {
  local pid=$1 out=$2 peak=0
  while kill -0 "$pid" 2>/dev/null; do
    local now
    now=$(awk '/RssAnon/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    ((now > peak)) && peak=$now && echo "$peak" >"$out"
    sleep 0.02
  done
}

upload() { # $1: photo number
  local uid
  uid=$(printf '00000000-0000-4000-8000-%012d' "$1")
  curl -s -o /dev/null -w "%{http_code}\n" -H "Authorization: Bearer $token" \
    -F "meta={\"uid\":\"$uid\",\"location\":[100.5,13.7]};type=application/json" \
    -F "file=@$work/photos/p$1.jpg;type=image/jpeg" "http://127.0.0.1:$port/api/v1/plots/1/photos"
}
export -f upload
export work token

printf "%-11s | %-26s | %-22s | %-6s | %s\n" concurrent "plotmap s (photos/s, MB/s)" "vipsthumbnail s (/s)" ratio "plotmap memory per upload"
for concurrency in 1 2 4; do
  start_plotmap "$bin" "PLOTMAP_PHOTOS_PROCESSING_SLOTS=$concurrency"
  export port
  idle=$(awk '/RssAnon/{print $2}' "/proc/$plotmap_pid/status")
  echo 0 >"$work/peak"
  sample_memory "$plotmap_pid" "$work/peak" &
  sampler=$!
  start=$(date +%s.%N)
  seq 1 "$photos" | xargs -P "$concurrency" -I{} bash -c 'upload {}' >"$work/codes"
  end=$(date +%s.%N)
  kill "$plotmap_pid"
  wait "$plotmap_pid" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  plotmap_pid=""
  if [[ $(grep -c '^201$' "$work/codes") != "$photos" ]]; then
    echo "uploads failed: $(sort "$work/codes" | uniq -c | tr '\n' ' ')"
    cat "$work/plotmap.log"
    exit 1
  fi
  peak=$(cat "$work/peak")
  rm -rf "$work/bench.sqlite.photos"

  mkdir -p "$work/thumbs"
  vstart=$(date +%s.%N)
  seq 1 "$photos" | xargs -P "$concurrency" -I{} sh -c \
    "vipsthumbnail '$work/photos/p{}.jpg' --size 1600 -o '$work/thumbs/d{}.jpg[Q=82,strip]' &&
     vipsthumbnail '$work/photos/p{}.jpg' --size 320 -o '$work/thumbs/t{}.jpg[Q=75,strip]'"
  vend=$(date +%s.%N)
  rm -rf "$work/thumbs"

  awk -v c="$concurrency" -v n="$photos" -v mb="$total_mb" -v s="$start" -v e="$end" -v vs="$vstart" -v ve="$vend" \
    -v idle="$idle" -v peak="$peak" 'BEGIN {
      p = e - s; v = ve - vs
      printf "%-11d | %6.2f (%5.2f/s, %5.1f MB/s) | %6.2f (%5.2f/s)       | %.2fx  | %.0f MiB (peak %.0f MiB above idle)\n",
        c, p, n / p, mb / p, v, n / v, v / p, (peak - idle) / 1024 / c, (peak - idle) / 1024 }'
done
echo
echo "ratio = vipsthumbnail time / plotmap time (1.00x: plotmap's whole upload path costs what making the two sizes alone does)"
