#!/usr/bin/env bash
# rollguard against VictoriaMetrics on identical samples, same machine, one run:
# ingest rate and on-disk bytes per sample. Loadgen writes the samples once
# (Prometheus text with timestamps); rollguard gets them over real gRPC agent
# streams (acknowledged = durable), VictoriaMetrics through its import API.
# Usage: scripts/bench_vs_vm.sh [build/bin] [points-per-series]
set -euo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
POINTS=${2:-300}
HOSTS=1000
SERIES=20
N=$(( HOSTS * SERIES * POINTS ))
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rollguard-vs-vm.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
now_ms() { date +%s%3N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

echo "== the same $N samples ($HOSTS hosts x $SERIES series x $POINTS points), Prometheus text"
"$BIN/rollguard-loadgen" --agents $HOSTS --series-per-agent $SERIES --points "$POINTS" \
  --write-prometheus "$WORK/samples.prom"

echo "== rollguard: rollguard-loadgen --input (one gRPC stream per host)"
"$BIN/rollguard-collector" --listen 127.0.0.1:0 --port-file "$WORK/port" --data-dir "$WORK/rg" \
  --log-level warn >"$WORK/collector.log" 2>&1 &
CPID=$!; PIDS+=("$CPID")
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
"$BIN/rollguard-loadgen" --collector "127.0.0.1:$(cat "$WORK/port")" --input "$WORK/samples.prom" \
  | tee "$WORK/rg.out"
RG_RATE=$(awk '/acknowledged samples\/s/ {print $3}' "$WORK/rg.out")
echo "collector peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$CPID/status)"
kill -TERM "$CPID"; wait "$CPID" || true   # a clean stop seals the heads and flushes
RG_BYTES=$(find "$WORK/rg" -name '*.sst' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
echo "rollguard on disk (SST files after a clean stop): $RG_BYTES bytes"

echo "== VictoriaMetrics $(/usr/bin/victoria-metrics -version 2>&1 | head -1): /api/v1/import/prometheus"
VMPORT=$(free_port)
/usr/bin/victoria-metrics -storageDataPath "$WORK/vm" -httpListenAddr "127.0.0.1:$VMPORT" \
  -retentionPeriod 100y -loggerLevel ERROR >"$WORK/vm.log" 2>&1 &
VPID=$!; PIDS+=("$VPID")
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$VMPORT/health" >/dev/null 2>&1 && break; sleep 0.1; done
rows() {
  curl -fsS "http://127.0.0.1:$VMPORT/metrics" | awk '/^vm_rows_added_to_storage_total / {print $2}'
}
t0=$(now_ms)
curl -fsS --data-binary @"$WORK/samples.prom" "http://127.0.0.1:$VMPORT/api/v1/import/prometheus"
# Imported means in its storage (it buffers for up to a second after the request).
for _ in $(seq 600); do
  r=$(rows); [ "${r%.*}" -ge "$N" ] 2>/dev/null && break; sleep 0.05
done
t1=$(now_ms)
VM_RATE=$(( N * 1000 / (t1 - t0) ))
echo "VictoriaMetrics: $(rows) rows in $(( t1 - t0 )) ms: $VM_RATE samples/s"
curl -fsS "http://127.0.0.1:$VMPORT/internal/force_flush" >/dev/null
curl -fsS "http://127.0.0.1:$VMPORT/internal/force_merge" >/dev/null
sleep 5
VM_BYTES=$(du -sb "$WORK/vm/data" | cut -f1)
VM_ALL=$(du -sb "$WORK/vm" | cut -f1)

echo "== side by side ($N samples)"
awk -v rr="$RG_RATE" -v vr="$VM_RATE" -v rb="$RG_BYTES" -v vb="$VM_BYTES" -v va="$VM_ALL" -v n="$N" 'BEGIN {
  printf "ingest samples/s:  rollguard %.0f  VictoriaMetrics %.0f  ratio %.2f\n", rr, vr, rr / vr
  printf "bytes/sample:      rollguard %.2f  VictoriaMetrics %.2f (data/; %.2f with its index)\n", rb / n, vb / n, va / n
}'
