#!/usr/bin/env bash
# HA failover time: one etcd, two collectors (lease ttl 10 s, the default),
# an agent streaming to both. kill -9 the leader, then try a rollback through
# the CLI (given both collectors) every 100 ms: the time from the kill to the
# first rollback the new leader takes and dispatches. Five rounds; the killed
# member comes back as follower for the next. Target (issue #18): < 2 x ttl.
# Usage: scripts/ha_failover_bench.sh [build/bin] [rounds]
set -euo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
ROUNDS=${2:-5}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rollguard-ha-bench.XXXXXX")
declare -A PID
cleanup() {
  for p in "${PID[@]}"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

CP=$(free_port); PP=$(free_port)
etcd --name bench --data-dir "$WORK/etcd" --log-level warn \
  --listen-client-urls "http://127.0.0.1:$CP" --advertise-client-urls "http://127.0.0.1:$CP" \
  --listen-peer-urls "http://127.0.0.1:$PP" --initial-advertise-peer-urls "http://127.0.0.1:$PP" \
  --initial-cluster "bench=http://127.0.0.1:$PP" >"$WORK/etcd.log" 2>&1 &
PID[etcd]=$!
for _ in $(seq 100); do
  curl -s -X POST "http://127.0.0.1:$CP/v3/kv/range" -d '{"key":"AA=="}' | grep -q header && break
  sleep 0.1
done

declare -A PORT
start_member() {  # NAME: fixed port after the first start, so the CLI list stays valid
  local name=$1
  printf 'ha:\n  etcd: [http://127.0.0.1:%s]\n  member: %s\n' "$CP" "$name" >"$WORK/$name.yaml"
  rm -f "$WORK/$name.port"
  "$BIN/rollguard-collector" --config "$WORK/$name.yaml" --listen "127.0.0.1:${PORT[$name]:-0}" \
    --http-listen off --port-file "$WORK/$name.port" --data-dir "$WORK/$name-data" \
    --log-level warn >>"$WORK/$name.log" 2>&1 &
  PID[$name]=$!
  for _ in $(seq 100); do [ -s "$WORK/$name.port" ] && break; sleep 0.1; done
  PORT[$name]=$(cat "$WORK/$name.port")
}
start_member a
for _ in $(seq 100); do
  "$BIN/rollguard" --collector "127.0.0.1:${PORT[a]}" ha status 2>/dev/null | grep -q "leader a" && break
  sleep 0.1
done
start_member b
BOTH="127.0.0.1:${PORT[a]},127.0.0.1:${PORT[b]}"

mkdir -p "$WORK/root"
cat >"$WORK/agent.yaml" <<YAML
collector: $BOTH
host_id: ha-bench
interval: 500ms
service:
  root: $WORK/root
  command: [/bin/sleep, '600']
state_dir: $WORK/state
playbooks:
  full-rollback:
    steps:
      - run: {command: [/bin/true], timeout: 10s}
YAML
"$BIN/rollguard-agent" --config "$WORK/agent.yaml" --log-level warn >"$WORK/agent.log" 2>&1 &
PID[agent]=$!
for _ in $(seq 100); do
  "$BIN/rollguard" --collector "$BOTH" hosts 2>/dev/null | grep -q ha-bench && break
  sleep 0.1
done

leader() { "$BIN/rollguard" --collector "$BOTH" ha status -o json 2>/dev/null |
  python3 -c 'import json,sys; print(json.load(sys.stdin).get("leader",""))'; }
: >"$WORK/times"
for round in $(seq "$ROUNDS"); do
  L=$(leader)
  t0=$(date +%s.%N)
  kill -KILL "${PID[$L]}"; wait "${PID[$L]}" 2>/dev/null || true
  until "$BIN/rollguard" --collector "$BOTH" --timeout 2s rollback full-rollback --host ha-bench \
    --yes >/dev/null 2>&1; do
    sleep 0.1
  done
  t1=$(date +%s.%N)
  s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
  echo "$s" >>"$WORK/times"
  echo "round $round: leader $L killed -> $(leader) took a rollback and dispatched it after $s s"
  start_member "$L"  # back as follower
  sleep 2
done
echo "failover (ttl 10 s): median $(sort -n "$WORK/times" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') s" \
  "over $ROUNDS rounds (min $(sort -n "$WORK/times" | head -1), max $(sort -n "$WORK/times" | tail -1))"
