#!/usr/bin/env bash
# Measures the figures recorded in docs/PERFORMANCE.md. Loopback only; every
# process it starts is stopped by PID. Usage: scripts/bench.sh [build/bin]
set -euo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
TESTS=$(cd "$BIN/../tests" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rollguard-bench.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== micro-benchmarks"
"$TESTS/agent_bench" --benchmark_min_time=0.5
"$TESTS/storage_bench" --benchmark_min_time=0.5
"$TESTS/rule_engine_bench" --benchmark_min_time=0.5
"$TESTS/remediation_bench"

echo "== collector ingest: rollguard-loadgen, 10 agents x 20 series x 5000 points"
"$BIN/rollguard-collector" --listen 127.0.0.1:0 --port-file "$WORK/port" \
  --data-dir "$WORK/data" --log-level warn >"$WORK/collector.log" 2>&1 &
CPID=$!; PIDS+=("$CPID")
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
ADDR="127.0.0.1:$(cat "$WORK/port")"
"$BIN/rollguard-loadgen" --collector "$ADDR" --agents 10 --series-per-agent 20 --points 5000
echo "collector peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$CPID/status)"
echo "data dir after ingest: $(du -sb "$WORK/data" | cut -f1) bytes for 1000000 samples"

echo "== ingest over mTLS vs plaintext: collectors on cpu 1, rollguard-loadgen on cpu 0, 9 pairs"
"$BIN/rollguard" pki init --dir "$WORK/pki" >/dev/null
start_pinned_collector() {  # NAME, then extra collector flags
  local name=$1; shift
  taskset -c 1 "$BIN/rollguard-collector" --listen 127.0.0.1:0 --port-file "$WORK/$name.port" \
    --data-dir "$WORK/$name" --log-level warn "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 100); do [ -s "$WORK/$name.port" ] && break; sleep 0.1; done
}
start_pinned_collector plain
start_pinned_collector tls --tls-cert "$WORK/pki/collector.crt" --tls-key "$WORK/pki/collector.key" \
  --tls-client-ca "$WORK/pki/ca.crt"
run_loadgen() {  # NAME, then extra loadgen flags; prints acknowledged samples/s
  local name=$1; shift
  taskset -c 0 "$BIN/rollguard-loadgen" --collector "127.0.0.1:$(cat "$WORK/$name.port")" \
    --agents 20 --series-per-agent 20 --points 20000 "$@" | awk '/samples\/s/ {print $NF}'
}
run_loadgen plain >/dev/null; run_loadgen tls --tls-pki "$WORK/pki" >/dev/null  # warm-up pair
: >"$WORK/ratios"
for i in $(seq 9); do
  p=$(run_loadgen plain); t=$(run_loadgen tls --tls-pki "$WORK/pki")
  r=$(awk -v a="$t" -v b="$p" 'BEGIN {printf "%.3f", a / b}'); echo "$r" >>"$WORK/ratios"
  echo "pair $i: plaintext $p samples/s, mTLS $t samples/s, mTLS/plaintext $r"
done
echo "median mTLS/plaintext over 9 pairs: $(sort -n "$WORK/ratios" | sed -n 5p)"

echo "== agent: RSS and CPU over 30 intervals of 1 s"
"$BIN/rollguard-agent" --collector "$ADDR" --host-id bench --interval 1s --log-level warn \
  >"$WORK/agent.log" 2>&1 &
APID=$!; PIDS+=("$APID")
sleep 2
t0=$(awk '{print $14 + $15}' /proc/$APID/stat)
sleep 30
t1=$(awk '{print $14 + $15}' /proc/$APID/stat)
hz=$(getconf CLK_TCK)
echo "agent CPU: $(( (t1 - t0) * 1000 / hz )) ms over 30 intervals"
mem() { grep -E "VmRSS|RssAnon|RssFile" "/proc/$1/status" | tr -s ' \t' ' ' | tr '\n' ' '; }
echo "agent memory: $(mem "$APID")"
# Side by side: node_exporter (Debian's, setup.sh --bench), scraped every second.
prometheus-node-exporter --web.listen-address=127.0.0.1:19100 >/dev/null 2>&1 &
NPID=$!; PIDS+=("$NPID"); sleep 1
for _ in $(seq 30); do curl -s 127.0.0.1:19100/metrics >/dev/null || true; sleep 1; done
echo "node_exporter memory: $(mem "$NPID")"

echo "== agent StatsD ingest: bursts from a separate process (rollguard-statsd-load)"
SPORT=18125
"$BIN/rollguard-agent" --collector "$ADDR" --host-id statsd-bench --interval 1s \
  --statsd-listen 127.0.0.1:$SPORT --log-level warn >"$WORK/agent-statsd.log" 2>&1 &
SPID=$!; PIDS+=("$SPID")
sleep 1.5
latest() {  # latest value of a metric of host statsd-bench
  "$BIN/rollguard" --collector "$ADDR" -o json history statsd-bench "$1" --limit 1 \
    | awk -F': ' '/"value"/ {gsub(/[ ,]/, "", $2); print $2}'
}
for rate in 250000 1000000; do
  l0=$(latest agent_statsd_lines); d0=$(latest agent_statsd_socket_drops)
  c0=$(awk '{print $14 + $15}' /proc/$SPID/stat)
  "$BIN/rollguard-statsd-load" --target 127.0.0.1:$SPORT --generate 2000000 --rate $rate
  c1=$(awk '{print $14 + $15}' /proc/$SPID/stat)
  sleep 2.5
  l1=$(latest agent_statsd_lines); d1=$(latest agent_statsd_socket_drops)
  echo "at $rate lines/s: received $(( ${l1%.*} - ${l0%.*} )) of 2000000 lines," \
       "socket drops $(( ${d1%.*} - ${d0%.*} )) datagrams," \
       "agent CPU $(( (c1 - c0) * 1000 / $(getconf CLK_TCK) )) ms"
done
echo "agent RSS after the bursts: $(awk '/VmRSS/ {print $2, $3}' /proc/$SPID/status)"

echo "== rollback of the demo bot from the CLI until verified (full-rollback, 1 host)"
cp -r "$(dirname "$0")/../deploy/examples/sportsbot" "$WORK/bot"
"$BIN/rollguard-agent" --config "$WORK/bot/agent.yaml" --collector "$ADDR" \
  --statsd-listen 127.0.0.1:0 --log-level warn >"$WORK/agent-bot.log" 2>&1 &
BPID=$!; PIDS+=("$BPID")
sleep 1.5
"$BIN/rollguard" --collector "$ADDR" rollback start --host sportsbot-demo --wait >/dev/null
for i in 1 2 3; do
  t0=$(date +%s%N)
  "$BIN/rollguard" --collector "$ADDR" rollback full-rollback --host sportsbot-demo --wait \
    >"$WORK/rollback.out"
  t1=$(date +%s%N)
  grep -q "checks passed" "$WORK/rollback.out"
  echo "run $i: rollguard rollback -> bot in safe mode and verified: $(( (t1 - t0) / 1000000 )) ms"
done
"$BIN/rollguard-agent" run emergency-stop --config "$WORK/bot/agent.yaml" >/dev/null

echo "== fleet rollout: 50 simulated agents (rollguard-fleet-sim, 1.6 s per playbook), --max-parallel 10"
"$BIN/rollguard-fleet-sim" --collector "$ADDR" --agents 50 --playbook-ms 1600 \
  >"$WORK/fleet.log" 2>&1 &
FPID=$!; PIDS+=("$FPID")
for _ in $(seq 100); do grep -q ready "$WORK/fleet.log" && break; sleep 0.1; done
t0=$(date +%s%N)
"$BIN/rollguard" --collector "$ADDR" rollback full-rollback --selector role=sim \
  --max-parallel 10 --yes --wait >"$WORK/fleet-rollout.out"
t1=$(date +%s%N)
tail -1 "$WORK/fleet-rollout.out"
echo "50 hosts at --max-parallel 10: $(( (t1 - t0) / 1000000 )) ms (ideal: 5 waves x 1600 ms = 8000 ms)"

echo "== fleet rollback at scale: 5,000 simulated agents, --max-parallel 1000, 200 ms playbooks"
bash "$(dirname "$0")/fleet_rollout_bench.sh" 5000 1000 200 "$BIN"

echo "== reconnect storm: 10,000 simulated agents, the collector killed (-9) and restarted"
bash "$(dirname "$0")/reconnect_storm_bench.sh" 10000 "$BIN"

echo "== 1 million active series (100 agents x 10,000 series), a fresh collector each"
for points in 5 40; do
  rm -rf "$WORK/million" "$WORK/million.port"
  "$BIN/rollguard-collector" --listen 127.0.0.1:0 --port-file "$WORK/million.port" \
    --data-dir "$WORK/million" --log-level warn >"$WORK/million.log" 2>&1 &
  MPID=$!; PIDS+=("$MPID")
  for _ in $(seq 100); do [ -s "$WORK/million.port" ] && break; sleep 0.1; done
  "$BIN/rollguard-loadgen" --collector "127.0.0.1:$(cat "$WORK/million.port")" --agents 100 \
    --series-per-agent 10000 --points "$points" --samples-per-batch 10000 | tail -1
  echo "$points points a series: collector peak RSS $(awk '/VmHWM/ {print $2, $3}' /proc/$MPID/status)"
  t0=$(date +%s%N)
  kill -TERM "$MPID"; wait "$MPID" || true
  echo "clean stop (seals every head): $(( ($(date +%s%N) - t0) / 1000000 )) ms"
done

echo "== against VictoriaMetrics on the same samples (scripts/bench_vs_vm.sh)"
bash "$(dirname "$0")/bench_vs_vm.sh" "$BIN" 300

echo "== remote write: draining 1.2 M samples from the log to a loopback receiver, then to VictoriaMetrics"
"$TESTS/remote_write_bench"
VMPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
victoria-metrics -storageDataPath="$WORK/vm-rw" -httpListenAddr="127.0.0.1:$VMPORT" >"$WORK/vm-rw.log" 2>&1 &
PIDS+=($!)
sleep 2
RW_BENCH_URL="http://127.0.0.1:$VMPORT/api/v1/write" "$TESTS/remote_write_bench" --benchmark_filter=Drain

echo "== remote write end to end: gRPC ingest and remote write at once (scripts/remote_write_e2e_bench.sh)"
bash "$(dirname "$0")/remote_write_e2e_bench.sh" "$BIN" 100 2000

echo "== web console: the fleet page of 1,000 hosts in Debian's chromium (tests/e2e/console_browser_test.cc)"
"$TESTS/console_browser_test" 2>&1 | grep -E "fleet_render_ms|fleet_timings|FAIL|PASSED|FAILED"

echo "== HA failover: kill -9 the leader, time until the follower dispatches (scripts/ha_failover_bench.sh)"
bash "$(dirname "$0")/ha_failover_bench.sh" "$BIN" 5
