#!/usr/bin/env bash
# A throwaway PostgreSQL 15 + PostGIS cluster for the tests, on loopback only.
#   postgres.sh start DIR   initdb in DIR/data, a free port on 127.0.0.1, writes DIR/url
#   postgres.sh stop DIR    stops it and removes DIR
# Run by ctest as the `postgres` fixture's set-up and clean-up (tests/CMakeLists.txt).
# Trust authentication is safe here: the cluster listens on 127.0.0.1 only, no socket file
# outside DIR, and lives as long as the test run.
set -euo pipefail
action=${1:?start or stop}
dir=${2:?a folder}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$pgbin/initdb" ]] || { echo "postgres.sh: PostgreSQL is not installed (scripts/install-deps.sh --with-test-tools)" >&2; exit 1; }

as_owner=()
if (( EUID == 0 )); then as_owner=(runuser -u postgres --); fi

case "$action" in
start)
  if [[ -f "$dir/url" ]] && "${as_owner[@]}" "$pgbin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    exit 0 # already running (a re-run of ctest)
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  (( EUID == 0 )) && chown postgres "$dir"
  "${as_owner[@]}" "$pgbin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # Durability of the throwaway cluster itself is not under test (fsync off); plotmap's
  # transactions are. Enough connections for the tests running in parallel.
  "${as_owner[@]}" "$pgbin/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/data/server.log" -o \
    "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=256MB -c jit=off" \
    start >/dev/null
  echo "postgresql://postgres@127.0.0.1:$port/postgres" > "$dir/url.tmp"
  mv "$dir/url.tmp" "$dir/url"
  echo "PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"
  ;;
stop)
  if [[ -d "$dir/data" ]]; then
    "${as_owner[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "postgres.sh: start or stop, not $action" >&2
  exit 2
  ;;
esac
