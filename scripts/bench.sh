#!/usr/bin/env bash
# make bench: the service under load on this machine, read against what the
# machine can do at all.
#
# 1. The raw ceiling, in the same run: pgbench with a one-row ticket INSERT
#    (8 clients, 10 s) and redis-benchmark SET/GET on the same servers.
# 2. `dispatcher serve` as one and as three processes on one PostgreSQL and
#    one Redis (a fresh database and Redis prefix per run), driven by
#    bin/loadgen at several rates, plus a pipeline run (partner requests
#    only, each one matched and offered) at 200 tickets per second.
# 3. Live consoles: BENCH_CONSOLES console streams of one centre's
#    dispatcher on one process while BENCH_CONSOLE_RATE notes a second are
#    added through the API (`loadgen consoles`): delivery time per stream,
#    notes lost, doubled or shown to the wrong centre.
# 4. Memory: BENCH_MEMORY_VOLUNTEERS volunteers and BENCH_MEMORY_TICKETS
#    open tickets written straight into a fresh database, one `serve` started
#    and left to build its geo index; its VmRSS/VmHWM and the index's Redis
#    bytes per volunteer.
# 5. Matching: the Match and GeoNear benchmarks (p99 of one match, geo hits
#    scanned, Redis bytes per volunteer).
# 6. reports/bench-<time>/ (git-ignored) gets every run's report.json,
#    report.md and latency.svg; docs/performance.md gets the tables.
#
# Settings (environment): BENCH_RATES ("100 300 1000 3000"), BENCH_DURATION
# (10s), BENCH_PROCS ("1 3"), BENCH_VOLUNTEERS (1000), BENCH_PIPELINE_RATE
# (200; 0 skips it), BENCH_DOC (docs/performance.md; empty: not written),
# TEST_DATABASE_URL (a role that may create databases), TEST_REDIS_URL,
# DISPATCHER_BIN (use this binary instead of building cmd/dispatcher);
# BENCH_ONLY ("raw load consoles memory matching": the sections to run),
# BENCH_CONSOLES (1000), BENCH_CONSOLE_RATE (20), BENCH_CONSOLE_DURATION
# (20s), BENCH_MEMORY_VOLUNTEERS (100000), BENCH_MEMORY_TICKETS (1000),
# BENCH_MATCH_VOLUNTEERS ("1000 10000 100000 1000000"), BENCH_MATCH_BENCHTIME
# (200x). Scale them down on a shared machine, e.g. BENCH_ONLY="consoles
# memory" BENCH_CONSOLES=50 BENCH_MEMORY_VOLUNTEERS=5000 BENCH_DOC=.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
ADMIN_URL=${TEST_DATABASE_URL:-postgres://dsptest:dsptest@127.0.0.1:5432/postgres?sslmode=disable}
REDIS=${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}
RATES=${BENCH_RATES:-100 300 1000 3000}
DURATION=${BENCH_DURATION:-10s}
PROCS=${BENCH_PROCS:-1 3}
VOLUNTEERS=${BENCH_VOLUNTEERS:-1000}
PIPELINE_RATE=${BENCH_PIPELINE_RATE:-200}
DOC=${BENCH_DOC-docs/performance.md}
MIX=${BENCH_MIX:-sms=0.85,voice=0.05,web=0.1}
ONLY=${BENCH_ONLY:-raw load consoles memory matching}
CONSOLES=${BENCH_CONSOLES:-1000}
CONSOLE_RATE=${BENCH_CONSOLE_RATE:-20}
CONSOLE_DURATION=${BENCH_CONSOLE_DURATION:-20s}
MEM_VOLUNTEERS=${BENCH_MEMORY_VOLUNTEERS:-100000}
MEM_TICKETS=${BENCH_MEMORY_TICKETS:-1000}
MATCH_VOLUNTEERS=${BENCH_MATCH_VOLUNTEERS:-1000 10000 100000 1000000}
MATCH_BENCHTIME=${BENCH_MATCH_BENCHTIME:-200x}
BASE_PORT=${BENCH_PORT:-18181}
FAKE=${BENCH_FAKE_TWILIO:-127.0.0.1:18199}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
LOAD_BEFORE=$(cut -d" " -f1-3 /proc/loadavg)
OUT=reports/bench-$STAMP
mkdir -p "$OUT" bin

say() { printf '==> %s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
section() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }

# Every console stream is a connection at both ends (loadgen and serve run
# under this shell): as many descriptors as the hard limit allows.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if section consoles && [ $((CONSOLES * 2 + 200)) -gt "$(ulimit -n)" ]; then
  say "BENCH_CONSOLES=$CONSOLES needs about $((CONSOLES * 2 + 200)) file descriptors; the limit is $(ulimit -n)"
fi

# Only local servers: this script creates and drops databases.
case "$ADMIN_URL$REDIS" in
*@127.0.0.1:*127.0.0.1:* | *@localhost:*localhost:*) ;;
*) say "TEST_DATABASE_URL and TEST_REDIS_URL must point at 127.0.0.1"; exit 1 ;;
esac
REDIS_HOST=127.0.0.1
REDIS_PORT=$(sed -E 's#^redis://([^@]*@)?[^:/]+:([0-9]+).*#\2#' <<<"$REDIS")

if ! have pgbench || ! have redis-benchmark; then
  say "installing pgbench and redis-benchmark (postgresql-contrib, redis-tools)"
  sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
  sudo_ apt-get update -qq
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-contrib redis-tools >/dev/null
fi

say "building bin/dispatcher and bin/loadgen"
if [ -n "${DISPATCHER_BIN:-}" ]; then
  cp "$DISPATCHER_BIN" bin/dispatcher # a binary built elsewhere (from a snapshot, say)
else
  $GO build -o bin/dispatcher ./cmd/dispatcher
fi
$GO build -o bin/loadgen ./cmd/loadgen

db_url() { sed -E "s#/[^/?]+(\?|$)#/$1\1#" <<<"$ADMIN_URL"; }
psql_admin() { psql -q -X -v ON_ERROR_STOP=1 "$ADMIN_URL" "$@"; }
new_db() { psql_admin -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null; }
drop_db() { psql_admin -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null || true; }

# --- 1. The raw ceiling -----------------------------------------------------
PG_TPS=0 PG_P99=– REDIS_SET=– REDIS_GET=–
if section raw; then
say "raw ceiling: pgbench, one-row INSERT, 8 clients, 10 s"
RAWDB=dsp_bench_${STAMP,,}_raw
RAWDB=${RAWDB//[^a-z0-9_]/_}
new_db "$RAWDB"
psql -q -X -v ON_ERROR_STOP=1 "$(db_url "$RAWDB")" -c "CREATE TABLE tickets (id bigserial PRIMARY KEY,
  code text NOT NULL, status text NOT NULL, description text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
cat >"$OUT/insert.sql" <<'SQL'
INSERT INTO tickets (code, status, description) VALUES ('AKM-' || (random() * 9999)::int, 'queued', 'Нужно проводить в поликлинику');
SQL
(cd "$OUT" && pgbench -n -c 8 -j 2 -T 10 -f insert.sql -l --log-prefix=pgbench "$(db_url "$RAWDB")" >pgbench.txt 2>&1)
drop_db "$RAWDB"
PG_TPS=$(sed -nE 's/^tps = ([0-9.]+).*/\1/p' "$OUT/pgbench.txt" | head -1 | xargs printf '%.0f')
# The per-transaction log's third column is the latency in microseconds.
PG_P99=$(cat "$OUT"/pgbench.* 2>/dev/null | awk '$3 ~ /^[0-9]+$/ {print $3}' | sort -n |
  awk '{a[NR]=$1} END {if (NR) printf "%.2f", a[int(NR*0.99)]/1000}')
rm -f "$OUT"/pgbench.[0-9]*
say "pgbench: $PG_TPS INSERT/s, p99 $PG_P99 ms"

say "raw ceiling: redis-benchmark SET/GET (50 clients, database 15)"
redis-benchmark -h "$REDIS_HOST" -p "$REDIS_PORT" --dbnum 15 -t set,get -n 200000 -c 50 --csv >"$OUT/redis-benchmark.csv" 2>/dev/null
redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" -n 15 DEL key:__rand_int__ >/dev/null || true
REDIS_SET=$(awk -F'"' '$2=="SET" {printf "%.0f", $4}' "$OUT/redis-benchmark.csv")
REDIS_GET=$(awk -F'"' '$2=="GET" {printf "%.0f", $4}' "$OUT/redis-benchmark.csv")
say "redis: SET $REDIS_SET/s, GET $REDIS_GET/s"
fi

# --- 2. The service under load ----------------------------------------------
PIDS=()
stop_serve() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}
trap stop_serve EXIT

# run NAME PROCS RATE MIX: one loadgen run against a fresh deployment.
run() {
  local name=$1 procs=$2 rate=$3 mix=$4
  if [ "$procs" -gt 8 ]; then say "at most 8 processes"; return 1; fi
  local db=dsp_bench_${STAMP,,}_${name}
  db=${db//[^a-z0-9_]/_}
  local dir=$OUT/$name
  mkdir -p "$dir"
  new_db "$db"
  export DATABASE_URL=$(db_url "$db") REDIS_URL=$REDIS REDIS_PREFIX="bench:$STAMP:$name:"
  export PUBLIC_BASE_URL=http://127.0.0.1:$BASE_PORT TWILIO_API_BASE_URL=http://$FAKE
  export TWILIO_ACCOUNT_SID=AC00000000000000000000000000000001 TWILIO_AUTH_TOKEN=0123456789abcdef0123456789abcdef
  export SMS_JOIN_WINDOW=1ms LOG_LEVEL=warn MIGRATE_ON_START=false SECRET_KEY=bench-secret-key
  bin/dispatcher migrate >/dev/null
  # The API allows 600 writes a minute per token; partners each have their
  # own, and so do the simulated ones (seeding the volunteers needs two).
  local web=${mix##*web=} ntok i
  ntok=$(awk -v r="$rate" -v w="$web" 'BEGIN {printf "%d", r*w*60/450 + 3}')
  : >"$dir/tokens"
  for ((i = 0; i < ntok; i++)); do bin/dispatcher token create "load$i" --role dispatcher >>"$dir/tokens" 2>/dev/null; done
  local targets=""
  for ((i = 0; i < procs; i++)); do
    HTTP_ADDR=127.0.0.1:$((BASE_PORT + i)) bin/dispatcher serve >"$dir/serve-$i.log" 2>&1 &
    PIDS+=($!)
    targets+="${targets:+,}http://127.0.0.1:$((BASE_PORT + i))"
  done
  for ((i = 0; i < procs; i++)); do
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:$((BASE_PORT + i))/readyz" >/dev/null && break; sleep 0.2; done
  done
  say "$name: $procs process(es), $rate/s for $DURATION, mix $mix"
  bin/loadgen -target "$targets" -public-base-url "$PUBLIC_BASE_URL" -api-token "@$dir/tokens" -fake-twilio "$FAKE" \
    -rate "$rate" -duration "$DURATION" -mix "$mix" -volunteers "$VOLUNTEERS" -finish-delay 1s -drain 30s \
    -label "$name" -out "$dir" >"$dir/loadgen.txt" 2>&1 || say "$name: the books do not balance or loadgen failed (see $dir/loadgen.txt)"
  stop_serve
  rm -f "$dir/tokens"
  drop_db "$db"
  redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --scan --pattern "bench:$STAMP:$name:*" | xargs -r -n 500 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" DEL >/dev/null || true
}

if section load; then
  for procs in $PROCS; do
    for rate in $RATES; do run "p${procs}-r${rate}" "$procs" "$rate" "$MIX"; done
  done
  if [ "$PIPELINE_RATE" != 0 ]; then
    run "pipeline-r$PIPELINE_RATE" 1 "$PIPELINE_RATE" "sms=0,voice=0,web=1"
  fi
fi

. scripts/bench_more.sh

# --- 3. The tables ----------------------------------------------------------
SUMMARY=$OUT/summary.md
{
  if section raw; then
    echo "Raw ceiling in the same run: pgbench one-row INSERT, 8 clients, 10 s: **$PG_TPS/s**, p99 $PG_P99 ms;" \
      "redis-benchmark (50 clients): SET **$REDIS_SET/s**, GET $REDIS_GET/s."
    echo
  fi
  if section load; then
    # shellcheck disable=SC2046 # one path a line, in the order the runs were made
    bin/loadgen summary -insert-rate "$PG_TPS" $(ls -d "$OUT"/p*/report.json | sort -V)
    echo
  fi
  more_summary
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), load average (1, 5, 15 min) at the start $LOAD_BEFORE."
  echo "Command: \`make bench\` (BENCH_ONLY=\"$ONLY\" BENCH_RATES=\"$RATES\" BENCH_DURATION=$DURATION BENCH_PROCS=\"$PROCS\" BENCH_VOLUNTEERS=$VOLUNTEERS BENCH_MIX=$MIX" \
    "BENCH_CONSOLES=$CONSOLES BENCH_CONSOLE_RATE=$CONSOLE_RATE BENCH_CONSOLE_DURATION=$CONSOLE_DURATION BENCH_MEMORY_VOLUNTEERS=$MEM_VOLUNTEERS" \
    "BENCH_MEMORY_TICKETS=$MEM_TICKETS BENCH_MATCH_VOLUNTEERS=\"$MATCH_VOLUNTEERS\" BENCH_MATCH_BENCHTIME=$MATCH_BENCHTIME), $STAMP."
} >"$SUMMARY"
cat "$SUMMARY"
if [ -n "$DOC" ] && [ -f "$DOC" ]; then
  # Replace the generated block between the markers, keep the prose.
  awk -v f="$SUMMARY" '
    /<!-- bench:begin -->/ {print; while ((getline l < f) > 0) print l; skip=1; next}
    /<!-- bench:end -->/ {skip=0}
    !skip {print}' "$DOC" >"$DOC.tmp" && mv "$DOC.tmp" "$DOC"
  say "updated $DOC"
fi
say "reports in $OUT"
