#!/usr/bin/env bash
# The main job end to end on loopback, unattended: a collector, an agent
# watching a stand-in bot process, then `rollguard hosts` and `rollguard
# history` showing live data. Stops everything it started (by PID) and exits 0
# only if what it showed worked.
set -euo pipefail

BIN=$(cd "${1:-build/bin}" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rollguard-demo.XXXXXX")
PIDS=()

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf '\n\033[31mdemo FAILED: %s\033[0m\n' "$*" >&2; exit 1; }

cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ $rc -ne 0 ]; then
    echo "--- collector log ---"; tail -n 20 "$WORK/collector.log" 2>/dev/null || true
    echo "--- agent log ---"; tail -n 20 "$WORK/agent.log" 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT INT TERM

say "Working in $WORK"

say "Starting a stand-in bot process (a real process with a pidfile)"
sleep 600 &
BOT_PID=$!
PIDS+=("$BOT_PID")
echo "$BOT_PID" > "$WORK/bot.pid"
echo "bot pid $BOT_PID"

say "Alert rules: the runbook's thresholds, with bot_down after 2 s (not 30 s) for the demo"
sed 's/severity: critical, for: 30s}/severity: critical, for: 2s}/' \
  "$(dirname "$0")/../deploy/config/rules.yaml" >"$WORK/rules.yaml"
grep bot_down "$WORK/rules.yaml" | sed 's/^ *//'

say "Starting rollguard-collector on 127.0.0.1 (a free port), data in $WORK/data"
"$BIN/rollguard-collector" --listen 127.0.0.1:0 --port-file "$WORK/port" \
  --data-dir "$WORK/data" --rules "$WORK/rules.yaml" >"$WORK/collector.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
[ -s "$WORK/port" ] || fail "collector did not start"
export ROLLGUARD_COLLECTOR="127.0.0.1:$(cat "$WORK/port")"
echo "collector at $ROLLGUARD_COLLECTOR"

say "Starting rollguard-agent as host demo-bot-1, sampling every second"
cat >"$WORK/agent.yaml" <<YAML
collector: $ROLLGUARD_COLLECTOR
host_id: demo-bot-1
interval: 1s
labels: {env: demo, role: sportsbot}
bot:
  pidfile: bot.pid
YAML
"$BIN/rollguard-agent" --config "$WORK/agent.yaml" --statsd-listen off >"$WORK/agent.log" 2>&1 &
PIDS+=("$!")

say "Waiting for a few samples to arrive"
for _ in $(seq 100); do
  n=$("$BIN/rollguard" -o json history demo-bot-1 cpu_usage --since 5m 2>/dev/null \
      | grep -c '"timestampMs"' || true)
  [ "${n:-0}" -ge 3 ] && break
  sleep 0.2
done
[ "${n:-0}" -ge 3 ] || fail "no cpu_usage history arrived"

say "rollguard hosts"
"$BIN/rollguard" hosts | tee "$WORK/hosts.txt"
grep -q "demo-bot-1 .*connected" "$WORK/hosts.txt" || fail "host not shown as connected"
grep -q " up " "$WORK/hosts.txt" || fail "bot not shown as up"

say "rollguard history demo-bot-1 cpu_usage --since 5m"
"$BIN/rollguard" history demo-bot-1 cpu_usage --since 5m

say "rollguard history demo-bot-1 bot_memory_mb --since 5m -o json (for scripts)"
"$BIN/rollguard" -o json history demo-bot-1 bot_memory_mb --since 5m --limit 2

say "Stopping the bot: bot_up drops to 0 within an interval"
kill -TERM "$BOT_PID"; wait "$BOT_PID" 2>/dev/null || true
for _ in $(seq 50); do
  "$BIN/rollguard" hosts | grep -q "DOWN" && break
  sleep 0.2
done
"$BIN/rollguard" hosts | tee "$WORK/hosts.txt"
grep -q "DOWN" "$WORK/hosts.txt" || fail "bot not shown as down after it stopped"

say "The bot_down alert fires 2 s later (the collector's log receiver notifies)"
for _ in $(seq 50); do
  "$BIN/rollguard" alerts | grep -q "bot_down .*firing" && break
  sleep 0.2
done
"$BIN/rollguard" alerts | tee "$WORK/alerts.txt"
grep -q "bot_down .*critical .*firing" "$WORK/alerts.txt" || fail "bot_down did not fire"
grep "alert: \[FIRING\]" "$WORK/collector.log" | sed 's/^/collector log: /'

say "The runbook's scenario 1 as a playbook, on the demo bot (deploy/examples/sportsbot)"
cp -r "$(dirname "$0")/../deploy/examples/sportsbot" "$WORK/sportsbot"
SB="$WORK/sportsbot"
"$BIN/rollguard-agent" run start --config "$SB/agent.yaml" || fail "the demo bot did not start"
BOTPID=$(cat "$SB/run/bot.pid"); PIDS+=("$BOTPID")
echo "# a bad deploy lands on the bot" >> "$SB/bot_structure.py"
"$BIN/rollguard-agent" run full-rollback --config "$SB/agent.yaml" | tee "$WORK/rollback.txt"
grep -q "full-rollback succeeded" "$WORK/rollback.txt" || fail "full-rollback did not succeed"
grep -q '"SOCCER": {"active": false}' "$SB/run/state.json" || fail "soccer still active"
PIDS+=("$(cat "$SB/run/bot.pid")")
"$BIN/rollguard-agent" run emergency-stop --config "$SB/agent.yaml" >/dev/null

say "Demo passed: agent -> collector -> RocksDB -> rules -> CLI, and a verified local rollback"
