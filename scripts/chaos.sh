#!/usr/bin/env bash
# make chaos: the long versions of the fault tests in faults/ — three serve
# processes with one killed (kill -9) and restarted, Redis restarted and
# flushed, PostgreSQL cut for 10 s through a proxy and the machine's
# PostgreSQL server restarted, Twilio throttling (429), failing (500) and
# losing answers, volunteers answering twice and at once — each under 100
# requests per second for 30 s, each checking the books afterwards.
#
# Writes reports/chaos-<time>/: every test's report.json, report.md and
# latency.svg, test.log and summary.md. The exit status is the tests'.
# It restarts the local PostgreSQL: do not run it beside other tests
# (DSP_CHAOS_NO_PG_RESTART=1 leaves that one out).
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$PWD/reports/chaos-$STAMP
mkdir -p "$OUT" bin
say() { printf '==> %s\n' "$*" >&2; }

if [ -z "${DISPATCHER_BIN:-}" ]; then
  $GO build -o bin/dispatcher ./cmd/dispatcher
  DISPATCHER_BIN=$PWD/bin/dispatcher
fi
$GO build -o bin/loadgen ./cmd/loadgen

say "long fault tests (DSP_CHAOS=1), reports in $OUT"
set +e
DSP_CHAOS=1 DSP_CHAOS_REPORT=$OUT DSP_DISPATCHER_BIN=$DISPATCHER_BIN \
  $GO test -count=1 -v -parallel 2 -timeout 40m ./faults/ 2>&1 | tee "$OUT/test.log"
status=${PIPESTATUS[0]}
set -e

{
  echo "# Chaos run $STAMP"
  echo
  echo "Command: \`make chaos\` (DSP_CHAOS=1 go test -v -parallel 2 ./faults/). Test outcome:"
  echo
  grep -E '^(--- |ok |FAIL)' "$OUT/test.log" | sed 's/^/    /'
  echo
  shopt -s nullglob
  reports=("$OUT"/*/report.json)
  if [ ${#reports[@]} -gt 0 ]; then bin/loadgen summary "${reports[@]}"; fi
} >"$OUT/summary.md"
cat "$OUT/summary.md"
say "reports in $OUT"
exit "$status"
