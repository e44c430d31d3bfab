#!/usr/bin/env bash
# Crash loop: N times, start the collector on the same data folder, stream a
# burst of samples (rollguard-loadgen, its own hosts each round) and send a
# playbook to a real rollguard-agent, then kill -9 the collector at a random
# moment (0 to KILL_WITHIN_MS=300 ms after it serves: during ingest, dispatch,
# the agent's run or the sealer's work).
# Then start it once more and count:
#   - every sample the collector acknowledged is stored, round by round (a
#     round's extra samples, stored but killed before the ack, cannot hide
#     another round's loss);
#   - the agent ran no command twice: its runs == the commands that
#     succeeded (each run is one succeeded command; a second run of one
#     command would be a run too many), and <= the commands stored;
#   - the collector opens every time and quarantined nothing (no record
#     damaged by a kill).
# Usage: scripts/kill9_loop.sh [N=100] [build/bin]
# Prints one line per round and a summary; exits 1 on any loss or double run.
set -euo pipefail
N=${1:-100}
KILL_WITHIN_MS=${KILL_WITHIN_MS:-300}
BIN=$(cd "${2:-build/bin}" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rollguard-kill9-loop.XXXXXX")
CPID=""
APID=""
cleanup() {
  for p in $CPID $APID; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# The first start picks a free port; every later start reuses it, so the
# agent finds the collector again at the same address.
PORT=0
start_collector() {
  rm -f "$WORK/port"
  "$BIN/rollguard-collector" --listen "127.0.0.1:$PORT" --port-file "$WORK/port" \
    --data-dir "$WORK/data" --log-level warn >>"$WORK/collector.log" 2>&1 &
  CPID=$!
  for _ in $(seq 200); do [ -s "$WORK/port" ] && break; sleep 0.05; done
  if [ ! -s "$WORK/port" ]; then
    echo "collector did not start; its log:"; tail -20 "$WORK/collector.log"; exit 1
  fi
  PORT=$(cat "$WORK/port")
  ADDR="127.0.0.1:$PORT"
}
cli() { "$BIN/rollguard" --collector "$ADDR" "$@"; }

start_collector
mkdir -p "$WORK/agent/root"
cat >"$WORK/agent/agent.yaml" <<EOF
host_id: kill9-agent
interval: 1s
state_dir: state
service:
  root: root
  command: [/bin/sleep, '3600']
playbooks:
  probe:
    steps:
      - run: {command: [/bin/sh, -c, 'echo run >> ran; sleep 0.2'], timeout: 10s}
EOF
"$BIN/rollguard-agent" --config "$WORK/agent/agent.yaml" --collector "$ADDR" \
  --statsd-listen off --log-level warn >"$WORK/agent.log" 2>&1 &
APID=$!

ACKED=0
declare -a ROUND_ACKED
SUBMITTED=0
MIDSTREAM=0  # rounds killed before all 80,000 samples were acknowledged
for i in $(seq 1 "$N"); do
  [ "$i" -gt 1 ] && start_collector
  "$BIN/rollguard-loadgen" --collector "$ADDR" --prefix "round$i" --agents 2 \
    --series-per-agent 4 --points 10000 --samples-per-batch 500 >"$WORK/loadgen.out" 2>&1 &
  LPID=$!
  # The rollback goes out while the samples stream: the kill may land before,
  # during or after its dispatch, or while the agent runs it.
  cli rollback probe --host kill9-agent --yes >/dev/null 2>&1 &
  RPID=$!
  sleep "$(awk -v s="$RANDOM" -v ms="$KILL_WITHIN_MS" 'BEGIN { srand(s); printf "%.3f", rand() * ms / 1000 }')"
  kill -KILL "$CPID"; wait "$CPID" 2>/dev/null || true
  wait "$LPID" || true
  if wait "$RPID"; then SUBMITTED=$((SUBMITTED + 1)); fi
  a=$(awk '/acknowledged samples\/s/ {next} /acknowledged/ {for (i=1;i<=NF;i++) if ($i=="acknowledged") {v=$(i+1); gsub(",","",v); print v}}' "$WORK/loadgen.out")
  ACKED=$((ACKED + ${a:-0}))
  ROUND_ACKED[$i]=${a:-0}
  [ "${a:-0}" -lt 80000 ] && MIDSTREAM=$((MIDSTREAM + 1))
  echo "round $i/$N: killed; round acknowledged ${a:-0} samples, $SUBMITTED rollback(s) answered so far"
done

start_collector
# Every sample acknowledged in any round.
STORED=0
SHORT_ROUNDS=0
for i in $(seq 1 "$N"); do
  round=0
  for a in 0 1; do
    for metric in gauge_0 gauge_1 gauge_2 requests_total; do
      n=$(cli -o json history "round$i-$a" "$metric" --since 30d --limit 1000000 2>/dev/null |
        grep -c '"timestampMs"' || true)
      round=$((round + n))
    done
  done
  STORED=$((STORED + round))
  if [ "$round" -lt "${ROUND_ACKED[$i]}" ]; then
    echo "round $i: LOST $((ROUND_ACKED[$i] - round)) acknowledged samples"
    SHORT_ROUNDS=$((SHORT_ROUNDS + 1))
  fi
done
QUARANTINED=$(cli -o json storage | sed -n 's/.*"quarantinedRecords": "\{0,1\}\([0-9]*\).*/\1/p')
QUARANTINED=${QUARANTINED:-0}
# Commands: wait until none is open, then compare with the agent's runs.
for _ in $(seq 120); do
  open=$(cli -o json commands --host kill9-agent --since 1d --limit 100000 |
    grep -cE '"state": "(QUEUED|SENT|RUNNING)"' || true)
  [ "$open" -eq 0 ] && break
  sleep 1
done
LISTING=$(cli -o json commands --host kill9-agent --since 1d --limit 100000)
# A rollback the collector stored but was killed before answering still runs.
COMMANDS=$(grep -c '"playbook": "probe"' <<<"$LISTING" || true)
SUCCEEDED=$(grep -c '"state": "SUCCEEDED"' <<<"$LISTING" || true)
RUNS=$(grep -c run "$WORK/agent/root/ran" 2>/dev/null || echo 0)

echo
echo "kill -9 rounds: $N ($MIDSTREAM in the middle of the round's ingest); collector opened after each: yes"
echo "samples: acknowledged $ACKED, stored $STORED; rounds short of their acks: $SHORT_ROUNDS"
echo "records quarantined as damaged: $QUARANTINED"
echo "commands: $SUBMITTED rollbacks answered, $COMMANDS stored, $SUCCEEDED succeeded, $open still open; the agent ran $RUNS"
status=0
if [ "$SHORT_ROUNDS" -gt 0 ]; then echo "acknowledged samples LOST in $SHORT_ROUNDS round(s)"; status=1; fi
if [ "$RUNS" -gt "$COMMANDS" ] || [ "$RUNS" -ne "$SUCCEEDED" ]; then
  echo "runs do not match: $RUNS runs, $SUCCEEDED succeeded of $COMMANDS stored (a command ran twice, or a run went unrecorded)"
  status=1
fi
if [ "$QUARANTINED" -ne 0 ]; then echo "$QUARANTINED record(s) damaged by the kills"; status=1; fi
[ "$status" -eq 0 ] && echo "no acknowledged sample lost, no command run twice"
exit "$status"
