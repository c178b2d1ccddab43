#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on 127.0.0.1 for the tests: starts them if they are down, installs
# Debian's packages if they are missing. Says what it did. Used by `make test` and .ci/run.
set -euo pipefail

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
REDIS_PORT=${REDIS_PORT:-6379}
apt_updated=""

say() { echo "ensure-services: $*"; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then say "cannot install $* without root; install it and rerun"; exit 1; fi
  if [ -z "$apt_updated" ]; then apt-get update -qq; apt_updated=1; fi
  say "installing Debian packages: $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_ready() { pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; }

ensure_postgres() {
  if ! command -v pg_isready >/dev/null || ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql postgresql-contrib
  fi
  if pg_ready; then say "PostgreSQL answers on $PGHOST:$PGPORT"; return; fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  say "PostgreSQL $version is down: starting it"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  pg_ready || { say "PostgreSQL did not come up"; exit 1; }
  # Trust auth on loopback for user postgres is what the tests expect (as on the developers' machines).
  if ! psql -h "$PGHOST" -p "$PGPORT" -U postgres -Atc 'select 1' >/dev/null 2>&1; then
    say "PostgreSQL refuses user postgres on $PGHOST without a password: set trust auth for 127.0.0.1"
    exit 1
  fi
}

redis_ready() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

ensure_redis() {
  command -v redis-server >/dev/null || apt_install redis-server
  if redis_ready; then say "Redis answers on 127.0.0.1:$REDIS_PORT"; return; fi
  say "Redis is down: starting it"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis_ready && break; sleep 0.5; done
  redis_ready || { say "Redis did not come up"; exit 1; }
}

# The gateway of the Procfile topology (make up, the topology tests and the benchmarks).
ensure_nginx() {
  if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then say "nginx is installed"; return; fi
  apt_install nginx-light
}

ensure_postgres
ensure_redis
ensure_nginx
