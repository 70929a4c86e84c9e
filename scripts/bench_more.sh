# Sourced by scripts/bench.sh after the load runs: the live consoles, the
# memory of one process with a city's volunteers, and the matching
# benchmarks. It uses bench.sh's settings and helpers (section, new_db,
# drop_db, db_url, PIDS, stop_serve) and adds more_summary, which prints
# the tables of the sections that ran.
# shellcheck shell=bash

# serve_env DB PREFIX: the environment of a `dispatcher serve` of this run.
serve_env() {
  export DATABASE_URL=$(db_url "$1") REDIS_URL=$REDIS REDIS_PREFIX=$2
  export PUBLIC_BASE_URL=http://127.0.0.1:$BASE_PORT TWILIO_API_BASE_URL=http://$FAKE
  export TWILIO_ACCOUNT_SID=AC00000000000000000000000000000001 TWILIO_AUTH_TOKEN=0123456789abcdef0123456789abcdef
  export SMS_JOIN_WINDOW=1ms LOG_LEVEL=warn MIGRATE_ON_START=false SECRET_KEY=bench-secret-key
  export METRICS_TOKEN=bench-metrics-$STAMP
}

# start_one DIR: one `serve` on BASE_PORT, ready; its pid in SERVE_PID.
start_one() {
  HTTP_ADDR=127.0.0.1:$BASE_PORT bin/dispatcher serve >"$1/serve.log" 2>&1 &
  SERVE_PID=$!
  PIDS+=("$SERVE_PID")
  for _ in $(seq 150); do curl -fs "http://127.0.0.1:$BASE_PORT/readyz" >/dev/null && return 0; sleep 0.2; done
  say "serve did not become ready (see $1/serve.log)"
  return 1
}

redis_() { redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" "$@"; }
forget_prefix() { redis_ --scan --pattern "$1*" | xargs -r -n 500 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" DEL >/dev/null || true; }
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# --- 3. Live consoles --------------------------------------------------------
# One process, one centre's dispatcher with CONSOLES streams open; notes go
# to tickets of that centre and of another, so that the streams must get
# some and must not get the others.
run_consoles() {
  local name=consoles-c$CONSOLES dir db centre ntok i
  dir=$OUT/$name
  db=dsp_bench_${STAMP,,}_consoles
  db=${db//[^a-z0-9_]/_}
  mkdir -p "$dir"
  new_db "$db"
  serve_env "$db" "bench:$STAMP:consoles:"
  bin/dispatcher migrate >/dev/null
  centre=$(psql -qtAX "$DATABASE_URL" -c "SELECT id FROM centres WHERE key = 'astana-saryarka'")
  printf 'bench-console-%s\n' "$STAMP" >"$dir/password"
  bin/dispatcher user add benchconsole --role dispatcher --centre "$centre" <"$dir/password" >/dev/null
  # 600 API writes a minute per token: the notes, and the tickets first.
  ntok=$(awk -v r="$CONSOLE_RATE" 'BEGIN {printf "%d", r*60/450 + 2}')
  : >"$dir/tokens"
  for ((i = 0; i < ntok; i++)); do bin/dispatcher token create "console$i" --role dispatcher >>"$dir/tokens" 2>/dev/null; done
  if start_one "$dir"; then
    say "$name: $CONSOLES console streams, $CONSOLE_RATE notes/s for $CONSOLE_DURATION"
    bin/loadgen consoles -target "http://127.0.0.1:$BASE_PORT" -api-token "@$dir/tokens" -user benchconsole \
      -password-file "$dir/password" -centre "$centre" -consoles "$CONSOLES" -console-rate "$CONSOLE_RATE" \
      -duration "$CONSOLE_DURATION" -label "$name" -out "$dir" >"$dir/loadgen.txt" 2>&1 ||
      say "$name: a stream lost, doubled or leaked a note, or loadgen failed (see $dir/loadgen.txt)"
    echo "$(status_kb "$SERVE_PID" VmRSS) $(status_kb "$SERVE_PID" VmHWM)" >"$dir/serve-kb"
  fi
  stop_serve
  rm -f "$dir/tokens" "$dir/password"
  drop_db "$db"
  forget_prefix "bench:$STAMP:consoles:"
}

# --- 4. Memory ---------------------------------------------------------------
# The volunteers and tickets go straight into PostgreSQL (one INSERT ...
# SELECT each: seconds, not the API's minutes), spread 15 km around the
# centre of Astana; the tickets are queued and due in an hour, so they sit
# in the queue rather than send offers. The process then starts on an empty
# Redis prefix, and its reconciler builds the geo index from PostgreSQL.
run_memory() {
  local dir=$OUT/memory db prefix before after geo keys deploy rss hwm heap zc
  db=dsp_bench_${STAMP,,}_memory
  db=${db//[^a-z0-9_]/_}
  prefix="bench:$STAMP:memory:"
  mkdir -p "$dir"
  new_db "$db"
  serve_env "$db" "$prefix"
  bin/dispatcher migrate >/dev/null
  say "memory: $MEM_VOLUNTEERS volunteers and $MEM_TICKETS open tickets into PostgreSQL"
  psql -q -X -v ON_ERROR_STOP=1 "$DATABASE_URL" >/dev/null <<SQL
INSERT INTO volunteers (phone, name, languages, skills, lat, lon, max_tasks)
SELECT '+7706' || lpad(g::text, 7, '0'), 'Волонтёр ' || g,
       (ARRAY['{kk,ru}', '{ru}', '{kk,ru,en}'])[g % 3 + 1]::text[],
       (ARRAY['{}', '{car}', '{wheelchair}', '{car,wheelchair}'])[g % 4 + 1]::text[],
       51.1694 + r * cos(a) / 111.0, 71.4491 + r * sin(a) / 69.8, 2
FROM (SELECT g, 15 * sqrt(random()) AS r, 2 * pi() * random() AS a FROM generate_series(1, $MEM_VOLUNTEERS) g) s;
INSERT INTO clients (phone, name) SELECT '+7707' || lpad(g::text, 7, '0'), 'Клиент ' || g FROM generate_series(1, $MEM_TICKETS) g;
INSERT INTO tickets (code, channel, category, description, lang, lat, lon, status, client_id, due_at)
SELECT 'MEM-' || c.id, 'web', 'shopping', 'Проверка памяти', 'ru', 51.1694 + (random() - 0.5) * 0.2,
       71.4491 + (random() - 0.5) * 0.3, 'queued', c.id, now() + interval '1 hour'
FROM clients c;
SQL
  before=$(redis_ INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory" {print $2}')
  if start_one "$dir"; then
    # The reconciler marks the index built once it has renamed it into place.
    for _ in $(seq 600); do
      [ "$(redis_ EXISTS "${prefix}{geo}:built")" = 1 ] && break
      sleep 0.5
    done
    sleep 3 # let the start-up garbage be collected, as in a process that has run a while
    zc=$(redis_ ZCARD "${prefix}{geo}:volunteers")
    geo=$(redis_ MEMORY USAGE "${prefix}{geo}:volunteers" SAMPLES 0)
    deploy=0
    for keys in $(redis_ --scan --pattern "$prefix*"); do
      deploy=$((deploy + $(redis_ MEMORY USAGE "$keys" SAMPLES 0)))
    done
    after=$(redis_ INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory" {print $2}')
    rss=$(status_kb "$SERVE_PID" VmRSS)
    hwm=$(status_kb "$SERVE_PID" VmHWM)
    heap=$(curl -fs -H "Authorization: Bearer $METRICS_TOKEN" "http://127.0.0.1:$BASE_PORT/metrics" | awk '$1 == "go_memstats_heap_inuse_bytes" {printf "%.0f", $2}')
    cat >"$dir/memory.json" <<JSON
{"volunteers": $MEM_VOLUNTEERS, "open_tickets": $MEM_TICKETS, "indexed": ${zc:-0},
 "vmrss_kb": ${rss:-0}, "vmhwm_kb": ${hwm:-0}, "go_heap_inuse_bytes": ${heap:-0},
 "redis_geo_key_bytes": ${geo:-0}, "redis_deployment_bytes": $deploy,
 "redis_used_memory_before": ${before:-0}, "redis_used_memory_after": ${after:-0}}
JSON
    say "memory: VmRSS ${rss} kB, VmHWM ${hwm} kB; geo index ${geo} B for ${zc} volunteers"
  fi
  stop_serve
  drop_db "$db"
  forget_prefix "$prefix"
}

# --- 5. Matching -------------------------------------------------------------
run_matching() {
  local dir=$OUT/matching re
  mkdir -p "$dir"
  re=$(tr -s ' ' '|' <<<"$MATCH_VOLUNTEERS")
  say "matching: BenchmarkMatch and BenchmarkGeoNear, volunteers $MATCH_VOLUNTEERS, $MATCH_BENCHTIME"
  TEST_DATABASE_URL=$ADMIN_URL TEST_REDIS_URL=$REDIS $GO test ./internal/integration -run '^$' \
    -bench "^BenchmarkMatch\$/^volunteers=($re)\$" -benchtime "$MATCH_BENCHTIME" -timeout 60m >"$dir/match.txt" 2>&1 ||
    say "matching: BenchmarkMatch failed (see $dir/match.txt)"
  TEST_DATABASE_URL=$ADMIN_URL TEST_REDIS_URL=$REDIS $GO test ./storage/redis -run '^$' \
    -bench "^BenchmarkGeoNear\$/^volunteers=($re)\$" -benchtime "$MATCH_BENCHTIME" -timeout 60m >"$dir/geo.txt" 2>&1 ||
    say "matching: BenchmarkGeoNear failed (see $dir/geo.txt)"
}

if section consoles && [ "$CONSOLES" != 0 ]; then run_consoles; fi
if section memory && [ "$MEM_VOLUNTEERS" != 0 ]; then run_memory; fi
if section matching; then run_matching; fi

# more_summary prints the tables of the sections above that ran.
more_summary() {
  local f
  if ls "$OUT"/consoles-*/report.json >/dev/null 2>&1; then
    echo "Live consoles (one process; one centre's dispatcher; delivery = note sent through the API → event read off the stream):"
    echo
    # shellcheck disable=SC2046
    bin/loadgen summary -consoles $(ls -d "$OUT"/consoles-*/report.json)
    for f in "$OUT"/consoles-*/serve-kb; do
      [ -f "$f" ] && read -r rss hwm <"$f" && echo && echo "The serve process after the run: VmRSS $((rss / 1024)) MB, VmHWM $((hwm / 1024)) MB."
    done
    echo
  fi
  if [ -f "$OUT/memory/memory.json" ]; then
    awk '
      {gsub(/[{}",:]/, " "); for (i = 1; i < NF; i += 2) v[$i] = $(i + 1)} # "key": number, one or more a line
      END {
        n = v["indexed"] > 0 ? v["indexed"] : 1
        print "Memory: one `serve` with " v["volunteers"] " volunteers (" v["indexed"] " in the geo index) and " v["open_tickets"] " open tickets:"
        print ""
        print "| measure | value | target |"
        print "|---|---:|---|"
        printf "| resident (VmRSS) after the index build | %.1f MB | < 300 MB |\n", v["vmrss_kb"] / 1024
        printf "| peak resident (VmHWM) | %.1f MB | < 300 MB |\n", v["vmhwm_kb"] / 1024
        printf "| Go heap in use | %.1f MB | |\n", v["go_heap_inuse_bytes"] / 1048576
        printf "| Redis: geo index (MEMORY USAGE) per volunteer | %.0f B | ≤ 400 B |\n", v["redis_geo_key_bytes"] / n
        printf "| Redis: every key of the deployment per volunteer | %.0f B | |\n", v["redis_deployment_bytes"] / n
        printf "| Redis: INFO used_memory delta per volunteer (shared server: noisy) | %.0f B | |\n", (v["redis_used_memory_after"] - v["redis_used_memory_before"]) / n
        print ""
      }' "$OUT/memory/memory.json"
  fi
  if [ -f "$OUT/matching/match.txt" ]; then
    echo "Matching (\`go test -bench Match ./internal/integration/\`: Engine.Suggest, one at a time; \`-bench GeoNear ./storage/redis/\`):"
    echo
    echo "| volunteers | match mean ms | match p99 ms | matches/s (one worker) | geo hits scanned | candidates | target p99 |"
    echo "|---:|---:|---:|---:|---:|---:|---|"
    awk '/^BenchmarkMatch\/volunteers=/ {
        split($1, a, "="); n = a[2]; sub(/-[0-9]+$/, "", n)
        for (i = 2; i < NF; i++) m[$(i + 1)] = $i
        printf "| %s | %.2f | %.2f | %.0f | %.0f | %.0f | %s |\n", n, m["ns/op"] / 1e6, m["p99-ms"], 1e9 / m["ns/op"], m["scanned/op"], m["candidates/op"], (n + 0 > 100000 ? "< 2 ms" : "< 1 ms")
      }' "$OUT/matching/match.txt"
    echo
    echo "| geo index | radius | GEOSEARCH µs/op | Redis B/volunteer |"
    echo "|---:|---:|---:|---:|"
    awk '/^BenchmarkGeoNear\/volunteers=/ {
        split($1, p, "/"); n = p[2]; r = p[3]; sub(/volunteers=/, "", n); sub(/radius=/, "", r); sub(/-[0-9]+$/, "", r)
        for (i = 2; i < NF; i++) m[$(i + 1)] = $i
        printf "| %s | %s | %.0f | %.0f |\n", n, r, m["ns/op"] / 1e3, m["B/volunteer"]
      }' "$OUT/matching/geo.txt"
    echo
  fi
}
