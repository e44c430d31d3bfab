#!/usr/bin/env bash
# A fleet-wide rollback against a fresh collector and N simulated agents
# (rollguard-fleet-sim: real gRPC streams, the real command protocol).
# Prints the time, the CLI's last lines, dropped streams and both processes'
# CPU seconds, and how long commands waited from queued (created by the
# rollout) to RUNNING (the agent's first update stored): p50, p99, max.
# INTERVAL=S streams a heartbeat and SERIES (20) samples per agent every S s
# meanwhile, as real agents do.
# Usage: scripts/fleet_rollout_bench.sh [AGENTS] [PARALLEL] [PLAYBOOK_MS] [bin-dir]
set -euo pipefail
AGENTS=${1:-5000}
PARALLEL=${2:-1000}
PLAYBOOK_MS=${3:-200}
BIN=${4:-build/bin}
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
"$BIN/rollguard-collector" --listen 127.0.0.1:0 --port-file "$WORK/port" --data-dir "$WORK/data" \
  >"$WORK/collector.log" 2>&1 &
CPID=$!; PIDS+=("$CPID")
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
ADDR="127.0.0.1:$(cat "$WORK/port")"
"$BIN/rollguard-fleet-sim" --collector "$ADDR" --agents "$AGENTS" --playbook-ms "$PLAYBOOK_MS" \
  --interval "${INTERVAL:-0}" --series-per-agent "${SERIES:-20}" >"$WORK/sim.log" 2>&1 &
SPID=$!; PIDS+=("$SPID")
for _ in $(seq 1200); do grep -q ready "$WORK/sim.log" && break; sleep 0.1; done
cpu() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }
rss() { awk '/VmRSS/ {printf "%.0f MB", $2 / 1024}' "/proc/$1/status"; }
echo "$AGENTS agents connected: collector RSS $(rss "$CPID")"
c0=$(cpu "$CPID"); s0=$(cpu "$SPID")
t0=$(date +%s%N)
"$BIN/rollguard" --collector "$ADDR" rollback full-rollback --all --yes \
  --max-parallel "$PARALLEL" --wait >"$WORK/cli.out" 2>&1 || true
t1=$(date +%s%N)
tail -2 "$WORK/cli.out"
waves=$(( (AGENTS + PARALLEL - 1) / PARALLEL ))
echo "$AGENTS hosts at --max-parallel $PARALLEL, $PLAYBOOK_MS ms playbooks:" \
  "$(( (t1 - t0) / 1000000 )) ms (ideal: $waves waves x $PLAYBOOK_MS ms)"
echo "streams dropped: $(grep -c 'stream ended' "$WORK/sim.log" || true)"
echo "CPU seconds: collector $(awk -v a="$(cpu "$CPID")" -v b="$c0" 'BEGIN {print a - b}')," \
  "simulator $(awk -v a="$(cpu "$SPID")" -v b="$s0" 'BEGIN {print a - b}')"
echo "collector RSS after the rollout: $(rss "$CPID")"
"$BIN/rollguard" --collector "$ADDR" -o json commands --limit 10000 >"$WORK/commands.json"
jq -r '[.commands[] | select(.startedMs != "0")
        | ((.startedMs | tonumber) - (.command.createdMs | tonumber))] | sort
       | "queued -> RUNNING over \(length) commands: p50 \(.[length / 2 | floor]) ms,"
         + " p99 \(.[length * 0.99 | floor]) ms, max \(.[-1]) ms"' "$WORK/commands.json"
