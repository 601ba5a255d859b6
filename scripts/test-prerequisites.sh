#!/usr/bin/env bash
# Installs and starts what the whole test suite needs, when it is missing (Debian/Ubuntu, apt-get):
#   - redis-server >= 7 (the tests start private servers with it), unless REDIS_URL is set and
#     no redis-server is on PATH;
#   - openssl (the TLS tests make their CA and certificates with it);
#   - Debian's Chromium at /usr/bin/chromium (the dashboard's browser test);
#   - PostgreSQL on 127.0.0.1:5432, started, where user postgres connects without a password
#     (one "trust" line for 127.0.0.1 in pg_hba.conf), unless STREAMSTORE_PG_URL is set.
# Prints nothing when everything is there; `--versions` prints what the tests will use.
# Installing needs root or sudo without a password; otherwise it says which command to run and
# exits 1. Used by `pnpm test:all` (the README's test line) and by .ci/run.
set -euo pipefail

show_versions=false
[ "${1:-}" = "--versions" ] && show_versions=true

SEE='see "Running the tests" in the README'
say() { printf '[streamstore] %s\n' "$*" >&2; }
fail() {
  say "$*"
  exit 1
}

# Runs a command as root: directly when root, else through sudo when it asks for no password.
is_root() { [ "$(id -u)" -eq 0 ]; }
can_sudo() { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }
as_root() { if is_root; then "$@"; else sudo -n "$@"; fi; }

apt_install() {
  local command="sudo apt-get update && sudo apt-get install -y $*"
  is_root && command="apt-get update && apt-get install -y $*"
  command -v apt-get >/dev/null 2>&1 ||
    fail "the tests need these missing packages: $*. This machine has no apt-get: install them with its package manager (or set REDIS_URL / STREAMSTORE_PG_URL), then run the tests again ($SEE)."
  is_root || can_sudo ||
    fail "the tests need these missing packages: $*. Installing them needs root: run \`$command\`, then run the tests again ($SEE)."
  say "installing what the tests need with apt-get: $*"
  local log
  log=$(mktemp)
  if ! { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    fail "apt-get could not install $* (its output is above): run \`$command\` to retry ($SEE)."
  fi
  rm -f "$log"
}

# A redis-server on PATH is what the tests use, even with REDIS_URL set: it must be 7 or later.
has_redis_server() { command -v redis-server >/dev/null 2>&1; }
redis_version() { redis-server --version | sed -E 's/.*v=([0-9.]+).*/\1/'; }
redis_ok() { [ "$(redis_version | cut -d. -f1)" -ge 7 ] 2>/dev/null; }
pg_ready() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; }
# The newest Debian cluster named main (/etc/postgresql/<version>/main): its version.
pg_cluster() {
  find /etc/postgresql -mindepth 2 -maxdepth 2 -type d -name main -printf '%P\n' 2>/dev/null |
    sed 's,/main$,,' | sort -V | tail -1
}
pg_connects() { psql -w -h 127.0.0.1 -U postgres -d postgres -Atc "SELECT 1" >/dev/null 2>&1; }

# 1. What is missing, installed with one apt-get.
missing=()
if has_redis_server; then
  redis_ok || missing+=(redis-server)
elif [ -z "${REDIS_URL:-}" ]; then
  missing+=(redis-server)
fi
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ -z "${STREAMSTORE_PG_URL:-}" ] && ! pg_ready && [ -z "$(pg_cluster)" ]; then
  missing+=(postgresql)
fi
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

if has_redis_server && ! redis_ok; then
  fail "the tests need redis-server >= 7 and the one on PATH is $(redis_version): install Redis 7 or later (packages.redis.io has Debian packages), or take it off PATH and set REDIS_URL to a Redis >= 7 ($SEE)."
fi

# 2. PostgreSQL running on 127.0.0.1:5432, user postgres without a password.
if [ -z "${STREAMSTORE_PG_URL:-}" ]; then
  if ! pg_ready; then
    cluster=$(pg_cluster)
    is_root || can_sudo ||
      fail "PostgreSQL $cluster is installed but not running on 127.0.0.1:5432: run \`sudo pg_ctlcluster $cluster main start\` (or set STREAMSTORE_PG_URL), then run the tests again ($SEE)."
    # pg_ctlcluster returns once the server accepts connections.
    as_root pg_ctlcluster --skip-systemctl-redirect "$cluster" main start
  fi
  if ! pg_connects; then
    line="host all postgres 127.0.0.1/32 trust"
    is_root || can_sudo ||
      fail "PostgreSQL asks user postgres for a password on 127.0.0.1: as root, add the line \"$line\" at the top of its pg_hba.conf and reload it (or set STREAMSTORE_PG_URL with a password), then run the tests again ($SEE)."
    hba=$(as_root su postgres -c "psql -Atc 'SHOW hba_file'")
    if ! as_root grep -qxF "$line" "$hba"; then
      say "letting user postgres connect from 127.0.0.1 without a password (trust, in $hba)"
      as_root sed -i "1i $line" "$hba"
      as_root su postgres -c "psql -Atc 'SELECT pg_reload_conf()'" >/dev/null
    fi
    pg_connects ||
      fail "user postgres still cannot connect to PostgreSQL on 127.0.0.1:5432 without a password (is \"$line\" shadowed in $hba?): fix it or set STREAMSTORE_PG_URL ($SEE)."
  fi
fi

if $show_versions; then
  if command -v redis-server >/dev/null 2>&1; then redis-server --version; else echo "Redis: REDIS_URL (no redis-server on PATH)"; fi
  openssl version
  /usr/bin/chromium --version 2>/dev/null
  if [ -n "${STREAMSTORE_PG_URL:-}" ]; then
    echo "PostgreSQL: STREAMSTORE_PG_URL"
  else
    echo "PostgreSQL $(psql -w -h 127.0.0.1 -U postgres -d postgres -Atc 'SHOW server_version')"
  fi
fi
