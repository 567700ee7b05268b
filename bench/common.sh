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
  serve_plotmap "$bin" "$work/bench.sqlite" "$@"
}

# Starts `plotmap serve --db DB` (a file or a postgresql:// URL) on a free port, with extra
# environment (NAME=VALUE ...), logging to $work/plotmap-N.log. Sets $plotmap_pid and $port.
serve_plotmap() { # $1: plotmap binary, $2: database, rest: environment
  local bin=$1 db=$2 log
  shift 2
  log=$(mktemp "$work/plotmap-XXXX.log")
  env PLOTMAP_SERVER_ACCESS_LOG=false "$@" "$bin" serve --db "$db" --listen 127.0.0.1:0 >"$log" 2>&1 &
  plotmap_pid=$!
  port=""
  for _ in $(seq 1 600); do
    port=$(grep -oE '127\.0\.0\.1:[0-9]+' "$log" | head -n1 | cut -d: -f2 || true)
    [[ -n "$port" ]] && return 0
    sleep 0.1
  done
  cat "$log"
  exit 1
}

# The benchmarks' own PostgreSQL + PostGIS cluster in bench/data/postgis-$1 (made once, kept),
# on port 55432, with database `bench`: the same plots as $base in a table `plots` with
# EPSG:3857 columns precomputed and GiST indexes, for PostGIS's own ST_AsMVT. Sets $pg (a
# libpq connection string), $pgurl (the server's URL without a database), $pgbin, $pgdata.
start_bench_postgis() { # $1: plots
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  pgdata="$root/bench/data/postgis-$1"
  pgport=55432
  local fresh=0
  if [[ ! -d "$pgdata" ]]; then
    mkdir -p "$pgdata" && chown postgres "$pgdata"
    runuser -u postgres -- "$pgbin/initdb" -D "$pgdata" -A trust -U postgres >/dev/null
    fresh=1
  fi
  chown -R postgres "$pgdata"
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -w -l "$pgdata/server.log" \
    -o "-p $pgport -k /tmp -c listen_addresses=127.0.0.1 -c shared_buffers=2GB -c work_mem=64MB -c jit=off -c max_connections=200" \
    start >/dev/null
  pg="host=127.0.0.1 port=$pgport user=postgres dbname=bench"
  pgurl="postgresql://postgres@127.0.0.1:$pgport"
  [[ $fresh == 1 ]] || return 0
  echo "loading the plots into PostGIS (once)..."
  runuser -u postgres -- "$pgbin/createdb" -h 127.0.0.1 -p $pgport bench
  psql "$pg" -q -c "CREATE EXTENSION postgis"
  PG_USE_COPY=YES ogr2ogr -f PostgreSQL "PG:$pg" "$base" -nln plots -lco GEOMETRY_NAME=boundary -lco FID=id -lco SPATIAL_INDEX=NONE \
    -sql "SELECT id, code, program, stage, area_m2, adm1, adm2, adm3, budget_year, boundary FROM plots WHERE deleted_at IS NULL"
  PG_USE_COPY=YES ogr2ogr -f PostgreSQL "PG:$pg" "$base" -nln locations -lco GEOMETRY_NAME=location -lco FID=id -lco SPATIAL_INDEX=NONE \
    -sql "SELECT id, location FROM plots WHERE deleted_at IS NULL"
  psql "$pg" -q <<'SQL'
ALTER TABLE plots ADD COLUMN geom3857 geometry(MultiPolygon, 3857), ADD COLUMN loc3857 geometry(Point, 3857);
UPDATE plots p SET geom3857 = ST_Transform(p.boundary, 3857), loc3857 = ST_Transform(l.location, 3857)
  FROM locations l WHERE l.id = p.id;
CREATE INDEX plots_geom3857 ON plots USING gist (geom3857);
CREATE INDEX plots_loc3857 ON plots USING gist (loc3857);
VACUUM ANALYZE plots;
SQL
}

stop_bench_postgis() {
  [[ -n "${pgdata:-}" ]] && runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -m fast stop >/dev/null 2>&1 || true
}

# Copies $base to $work/seed.sqlite (brought to the binary's schema version: the file may
# have been made by an older plotmap) with an admin who has a read-write API token, and makes
# that copy the new $base (what start_plotmap serves). Sets $token.
with_bench_token() { # $1: plotmap binary
  cp "$base" "$work/seed.sqlite"
  "$1" init --db "$work/seed.sqlite" >/dev/null
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
