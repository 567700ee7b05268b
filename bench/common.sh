# Shared by the bench/run-*.sh scripts (sourced, not run).

# The million-plot (or $1-plot) demo database both benchmarks start from, made once in
# bench/data/ and brought to the current schema. Sets $base.
demo_database() { # $1: plots, $2: plotmap binary
  mkdir -p "$root/bench/data"
  base="$root/bench/data/plots-$1.sqlite"
  if [[ ! -f "$base" ]]; then
    "$2" init --db "$base.tmp"
    "$2" demo --db "$base.tmp" --plots "$1"
    mv "$base.tmp" "$base"
  fi
  "$2" init --db "$base" >/dev/null
  sqlite3 "$base" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
}

# Starts `plotmap serve` on a copy of $base in $work, on a free port, with extra environment
# (NAME=VALUE ...). Sets $plotmap_pid and $port.
start_plotmap() { # $1: plotmap binary, rest: environment
  local bin=$1
  shift
  cp "$base" "$work/bench.sqlite"
  env PLOTMAP_SERVER_ACCESS_LOG=false "$@" "$bin" serve --db "$work/bench.sqlite" --listen 127.0.0.1:0 \
    >"$work/plotmap.log" 2>&1 &
  plotmap_pid=$!
  port=""
  for _ in $(seq 1 300); do
    port=$(grep -oE '127\.0\.0\.1:[0-9]+' "$work/plotmap.log" | head -n1 | cut -d: -f2 || true)
    [[ -n "$port" ]] && return 0
    sleep 0.1
  done
  cat "$work/plotmap.log"
  exit 1
}

# Copies $base to $work/seed.sqlite with an admin who has a read-write API token, and makes
# that copy the new $base (what start_plotmap serves). Sets $token.
with_bench_token() { # $1: plotmap binary
  cp "$base" "$work/seed.sqlite"
  echo 'bench-password' | "$1" user add --db "$work/seed.sqlite" --username bench --role admin --password-stdin >/dev/null
  token=$("$1" token create --db "$work/seed.sqlite" --username bench --write --name bench 2>/dev/null | tail -n1)
  base="$work/seed.sqlite"
}

# What every bench/run-*.sh does first: install the peers, build build/bench (Release) with
# plotmap and the given targets, make (once) the demo database of $1 plots, and a scratch
# folder removed on exit with the server it started. Sets $bin, $base and $work.
bench_setup() { # $1: plots, rest: extra build targets
  local plots=$1
  shift
  scripts/install-deps.sh --with-bench-tools
  cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DPLOTMAP_BUILD_TESTS=OFF -DPLOTMAP_BUILD_BENCH=ON >/dev/null
  cmake --build build/bench --target plotmap "$@"
  bin=build/bench/app/plotmap
  demo_database "$plots" "$bin"
  work=$(mktemp -d)
  plotmap_pid=""
  trap '[[ -n "$plotmap_pid" ]] && kill "$plotmap_pid" 2>/dev/null; rm -rf "$work"' EXIT
}
