#!/usr/bin/env bash
# The spine's promise at full ingest rate: kill -9 the collector in the middle
# of a rollguard-loadgen run, restart it on the same data, and count: every
# sample the collector acknowledged must be there (more may be: written, but
# killed before the ack left). Usage: scripts/kill9_at_rate.sh [build/bin]
set -euo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rollguard-kill9.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
start_collector() {
  rm -f "$WORK/port"
  "$BIN/rollguard-collector" --listen 127.0.0.1:0 --port-file "$WORK/port" --data-dir "$WORK/data" \
    --log-level warn >>"$WORK/collector.log" 2>&1 &
  CPID=$!; PIDS+=("$CPID")
  for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
  ADDR="127.0.0.1:$(cat "$WORK/port")"
}

start_collector
"$BIN/rollguard-loadgen" --collector "$ADDR" --agents 10 --series-per-agent 20 --points 50000 \
  >"$WORK/loadgen.out" 2>&1 &
LPID=$!
sleep 1
kill -KILL "$CPID"; wait "$CPID" 2>/dev/null || true
wait "$LPID" || true
ACKED=$(awk '/acknowledged samples\/s/ {next} /acknowledged/ {for (i=1;i<=NF;i++) if ($i=="acknowledged") {v=$(i+1); gsub(",","",v); print v}}' "$WORK/loadgen.out")
echo "killed with -9 after 1 s of full-rate ingest; loadgen had $ACKED samples acknowledged"

start_collector
STORED=0
for a in $(seq 0 9); do
  for m in $(seq 0 19); do
    metric="gauge_$m"; [ $(( m % 4 )) -eq 3 ] && metric=requests_total
    [ $(( m % 4 )) -eq 3 ] && [ "$m" -ne 3 ] && continue   # requests_total: all its series at once
    n=$("$BIN/rollguard" --collector "$ADDR" -o json history "loadgen-$a" "$metric" --since 30d \
        --limit 1000000 | grep -c '"timestampMs"' || true)
    STORED=$(( STORED + n ))
  done
done
echo "after restart: $STORED samples stored; acknowledged before the kill: $ACKED"
if [ "$STORED" -ge "$ACKED" ]; then echo "no acknowledged sample lost"; else echo "LOST $(( ACKED - STORED ))"; exit 1; fi
