#!/usr/bin/env bash
# Browser tests: a real `dispatcher serve` on a fresh database and Redis
# prefix, driven by Debian's chromium through playwright-core, checked with
# axe-core. Called by `make e2e` (and so `make test`).
#
# Settings (environment): TEST_DATABASE_URL (the server the test database is
# created on), TEST_REDIS_URL, TWILIO_DEV_AUTH_TOKEN, CHROMIUM (the browser),
# GO. Artefacts (screenshots, the server's log) go to e2e/artifacts/.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
ADMIN_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
REDIS="${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"
DEV_TOKEN="${TWILIO_DEV_AUTH_TOKEN:-dev-auth-token-not-a-secret}"
ARTIFACTS="$here/artifacts"
mkdir -p "$ARTIFACTS"

say() { printf '==> e2e: %s\n' "$*"; }

# --- what the tests need: chromium, node, the npm packages ------------------
apt_install() {
  say "installing $*"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null)
}
if [ -z "${CHROMIUM:-}" ]; then
  [ -x /usr/bin/chromium ] || apt_install chromium
  CHROMIUM=/usr/bin/chromium
fi
command -v node >/dev/null || apt_install nodejs npm
command -v npm >/dev/null || apt_install npm
if [ ! -d "$here/node_modules/playwright-core" ] || [ ! -d "$here/node_modules/axe-core" ] ||
   [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  say "npm ci"
  (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

# --- the service -------------------------------------------------------------
say "building bin/dispatcher"
"$GO" build -o bin/dispatcher ./cmd/dispatcher

suffix="$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
DB_NAME="dsp_e2e_$suffix"
DB_URL="$(node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.toString())' "$ADMIN_URL" "$DB_NAME")"
REDIS_PREFIX="dsp_e2e:$suffix:"
PORT="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
BASE="http://127.0.0.1:$PORT"
server_pid=""

cleanup() {
  status=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$server_pid" 2>/dev/null || true
  fi
  psql "$ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null 2>&1 || true
  if command -v redis-cli >/dev/null; then
    redis-cli -u "$REDIS" --scan --pattern "${REDIS_PREFIX}*" 2>/dev/null |
      xargs -r -n 500 redis-cli -u "$REDIS" DEL >/dev/null 2>&1 || true
  fi
  exit $status
}
trap cleanup EXIT INT TERM

say "database $DB_NAME, Redis prefix $REDIS_PREFIX, port $PORT"
psql "$ADMIN_URL" -qAt -c "CREATE DATABASE $DB_NAME" >/dev/null

export DATABASE_URL="$DB_URL" REDIS_URL="$REDIS" REDIS_PREFIX HTTP_ADDR="127.0.0.1:$PORT" PUBLIC_BASE_URL="$BASE"
export TWILIO_ACCOUNT_SID="" TWILIO_AUTH_TOKEN="" TWILIO_DEV_AUTH_TOKEN="$DEV_TOKEN"
export COOKIE_SECURE=false LOG_FORMAT=text
# A browser test logs in several times a minute from one address.
export LOGIN_ATTEMPTS_PER_MINUTE=100 FORM_RATE_PER_MINUTE=100

bin/dispatcher migrate
bin/dispatcher seed
printf 'e2e-password-123\n' | bin/dispatcher user add e2e --role admin

bin/dispatcher serve >"$ARTIFACTS/server.log" 2>&1 &
server_pid=$!
ready=""
for _ in $(seq 1 150); do
  if curl -fsS -o /dev/null "$BASE/readyz" 2>/dev/null; then ready=1; break; fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.2
done
if [ -z "$ready" ]; then
  say "the server did not become ready; its log:"
  tail -n 50 "$ARTIFACTS/server.log" || true
  exit 1
fi
say "server ready at $BASE"

# --- the tests ---------------------------------------------------------------
export E2E_BASE_URL="$BASE" E2E_USER=e2e E2E_PASSWORD=e2e-password-123 E2E_DEV_TOKEN="$DEV_TOKEN"
export E2E_CHROMIUM="$CHROMIUM" E2E_ARTIFACTS="$ARTIFACTS"
cd "$here"
# One file at a time: both drive the same server, and the live-queue test
# measures a latency. Node before 20.10 has no --test-concurrency.
opts=(--test --test-reporter=spec)
node --test-concurrency=1 -e 0 2>/dev/null && opts+=(--test-concurrency=1)
if node "${opts[@]}" tests/; then
  say "all browser tests passed (screenshots in e2e/artifacts/)"
else
  say "browser tests FAILED (server log and screenshots in e2e/artifacts/)"
  exit 1
fi
