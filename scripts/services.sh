#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on 127.0.0.1, installing (apt) and
# starting local ones when they do not, and creates the roles and databases
# that `make run` and `make test` use. Idempotent: run it as often as you like.
#
#   scripts/services.sh run    the app's role and database (DATABASE_URL)
#   scripts/services.sh test   a role that may create per-test databases
set -euo pipefail

mode=${1:-run}
PGHOST=${PGHOST_ADDR:-127.0.0.1}
PGPORT=${PGPORT_NUM:-5432}
REDIS_PORT=${REDIS_PORT_NUM:-6379}

say() { printf '==> %s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=
apt_install() {
  if ! have apt-get; then
    say "apt-get not found: install $* yourself, then run this again"; exit 1
  fi
  if [ -z "$apt_updated" ]; then sudo_ apt-get update -qq; apt_updated=1; fi
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_up() { have pg_isready && pg_isready -q -h "$PGHOST" -p "$PGPORT"; }

ensure_postgres() {
  if pg_up; then return; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    say "installing PostgreSQL"
    apt_install postgresql postgresql-client
  fi
  say "starting PostgreSQL"
  for v in $(ls /etc/postgresql); do
    # Listen on loopback only; a fresh cluster listens on localhost already.
    sudo_ pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || sudo_ pg_ctlcluster "$v" main start || true
  done
  for _ in $(seq 1 30); do pg_up && return; sleep 1; done
  say "PostgreSQL did not start on $PGHOST:$PGPORT"; exit 1
}

# psql as the database superuser: through the postgres system account (peer
# authentication on a stock Debian install), else over TCP (trust setups).
psql_super() {
  if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 && have runuser; then
    runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qAtX "$@"
  elif id postgres >/dev/null 2>&1 && have sudo && sudo -n true 2>/dev/null; then
    sudo -u postgres psql -v ON_ERROR_STOP=1 -qAtX "$@"
  else
    psql -v ON_ERROR_STOP=1 -qAtX -h "$PGHOST" -p "$PGPORT" -U postgres "$@"
  fi
}

ensure_role_db() { # role password db createdb?
  local role=$1 pw=$2 db=$3 extra=${4:-}
  psql_super -d postgres -c "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
        CREATE ROLE $role LOGIN PASSWORD '$pw' $extra;
      ELSE
        ALTER ROLE $role LOGIN PASSWORD '$pw' $extra;
      END IF; END \$\$;"
  if [ -n "$db" ] && [ -z "$(psql_super -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
    psql_super -d postgres -c "CREATE DATABASE $db OWNER $role"
  fi
}

redis_up() { have redis-cli && [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

ensure_redis() {
  if redis_up; then return; fi
  if ! have redis-server; then say "installing Redis"; apt_install redis-server redis-tools; fi
  say "starting Redis on 127.0.0.1:$REDIS_PORT"
  mkdir -p /tmp/dispatcher-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /tmp/dispatcher-redis --logfile /tmp/dispatcher-redis/redis.log
  for _ in $(seq 1 20); do redis_up && return; sleep 0.5; done
  say "Redis did not start"; exit 1
}

ensure_postgres
ensure_redis
case "$mode" in
  run)
    # The role, password and database named by DATABASE_URL (when it points
    # at this machine), so that `DATABASE_URL=... make run` works as well.
    url=${DATABASE_URL:-postgres://dispatcher:dispatcher@127.0.0.1:5432/dispatcher}
    read -r host role pw db < <(python3 - "$url" <<'PY'
import sys, urllib.parse as u
p = u.urlparse(sys.argv[1])
print(p.hostname or "", p.username or "dispatcher", p.password or "dispatcher", (p.path or "/dispatcher").lstrip("/") or "dispatcher")
PY
)
    case "$host" in
      127.0.0.1|localhost|::1|"") ensure_role_db "$role" "$pw" "$db" ;;
      *) say "DATABASE_URL points at $host: its role and database are yours to create" ;;
    esac ;;
  test) ensure_role_db dsptest dsptest "" "CREATEDB" ;;
  *) say "usage: $0 run|test"; exit 2 ;;
esac
say "PostgreSQL and Redis are ready"
