#!/usr/bin/env bash
# The README's first command: install what is missing, build (Release, and the field app's
# pages), create the database
# with the Thai boundaries and demo plots if there is none, and serve on
# http://localhost:8080. Extra arguments go to `plotmap serve` (e.g. --listen 127.0.0.1:9000).
# PLOTMAP_DATABASE_PATH chooses the database file (default plotmap.sqlite here).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1 # ccache hits across checkouts

scripts/install-deps.sh
npm --prefix web run build --silent # the field app (/app/): Vite, into web/dist/app
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DPLOTMAP_BUILD_TESTS=OFF >/dev/null
cmake --build build/release --target plotmap

plotmap=build/release/app/plotmap
db=${PLOTMAP_DATABASE_PATH:-plotmap.sqlite}
if [[ ! -f "$db" ]]; then
  "$plotmap" init --db "$db"
  "$plotmap" demo --db "$db"
  # A demo admin, so that every page can be tried at once. The password is generated here,
  # printed once and kept (readable by you only) beside the database.
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 20)
  echo "$password" | "$plotmap" user add --db "$db" --username admin --role admin --password-stdin
  (umask 077 && printf 'username: admin\npassword: %s\n' "$password" > "$db.admin-password.txt")
  echo "plotmap: demo admin created: username admin, password $password (also in $db.admin-password.txt)"
  echo "plotmap: sign in at http://localhost:8080/admin (accounts) or http://localhost:8080/app/ (the field app)"
fi
exec "$plotmap" serve --db "$db" --config config/plotmap.toml "$@"
