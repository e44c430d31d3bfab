#!/usr/bin/env bash
# A reconnect storm: AGENTS simulated agents (rollguard-fleet-sim --reconnect:
# backoff from 0.5 s doubling to 30 s, with jitter, as the real agent) stream
# to a collector, which is killed with -9 and started again on the same port
# and data. Prints how long until every agent was back, and the peak accept
# rate against the mean (from the collector's "agent connected" log lines).
# TLS=1: mutual TLS throughout (rollguard pki init; every simulated agent has
# its own certificate), as a real fleet runs.
# Usage: scripts/reconnect_storm_bench.sh [AGENTS] [bin-dir]
set -euo pipefail
AGENTS=${1:-10000}
BIN=${2:-build/bin}
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; if [ -n "${KEEP:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
COLLECTOR_TLS=() SIM_TLS=()
if [ -n "${TLS:-}" ]; then
  "$BIN/rollguard" pki init --dir "$WORK/pki" >/dev/null
  COLLECTOR_TLS=(--tls-cert "$WORK/pki/collector.crt" --tls-key "$WORK/pki/collector.key"
                 --tls-client-ca "$WORK/pki/ca.crt")
  SIM_TLS=(--tls-pki "$WORK/pki")
fi
start_collector() {  # $1: listen address, $2: log
  "$BIN/rollguard-collector" --listen "$1" --port-file "$WORK/port" --data-dir "$WORK/data" \
    "${COLLECTOR_TLS[@]}" >"$2" 2>&1 &
  CPID=$!; PIDS+=("$CPID")
}
start_collector 127.0.0.1:0 "$WORK/first.log"
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
ADDR="127.0.0.1:$(cat "$WORK/port")"
"$BIN/rollguard-fleet-sim" --collector "$ADDR" --agents "$AGENTS" --reconnect "${SIM_TLS[@]}" \
  >"$WORK/sim.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 1200); do grep -q ready "$WORK/sim.log" && break; sleep 0.1; done
echo "$AGENTS agents connected; killing the collector (-9) and starting it again"
kill -9 "$CPID"; wait "$CPID" 2>/dev/null || true
t0=$(date +%s%N)
start_collector "$ADDR" "$WORK/second.log"
back=0
for _ in $(seq 1200); do
  back=$(grep -c "agent connected" "$WORK/second.log" || true)
  [ "$back" -ge "$AGENTS" ] && break
  sleep 0.1
done
t1=$(date +%s%N)
if [ "$back" -ge "$AGENTS" ]; then
  echo "all $back back within $(( (t1 - t0) / 1000000 )) ms of the restart"
else
  echo "only $back of $AGENTS back within $(( (t1 - t0) / 1000000 )) ms of the restart"
fi
last=$(grep "agent connected" "$WORK/second.log" | tail -1 | cut -c12-23)
echo "last reconnect at $last (collector log time); restart at $(date -u -d "@$((t0 / 1000000000))" +%T)"
# Accepts per second, from the log's timestamps (YYYY-MM-DDTHH:MM:SS.mmmZ).
grep "agent connected" "$WORK/second.log" | cut -c12-19 | sort | uniq -c |
  awk '{n++; s += $1; if ($1 > m) m = $1} END {printf "accepts per second: peak %d, mean %.0f over %d s (peak/mean %.1f)\n", m, s / n, n, m / (s / n)}'
