#!/usr/bin/env bash
# Remote write end to end (#17): agents stream to a real collector over gRPC
# as fast as it takes them, while the collector sends every stored sample to
# a remote-write receiver. Reports ingest rate, how long after ingest the
# receiver had everything, and the largest backlog (stored, not yet sent). The receiver is a small
# Python server that accepts and discards (so the figure is rollguard's, not
# a TSDB's; bench.sh measures a real VictoriaMetrics separately).
# Usage: scripts/remote_write_e2e_bench.sh [build/bin] [AGENTS] [POINTS]
set -euo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
AGENTS=${2:-100}
POINTS=${3:-2000}
SERIES=20
TOTAL=$((AGENTS * SERIES * POINTS))
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rollguard-rw-e2e.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

SINK_PORT=$(free_port)
cat >"$WORK/sink.py" <<'PY'
import http.server, sys, threading
count = {"requests": 0, "bytes": 0}
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        self.rfile.read(n)
        with lock:
            count["requests"] += 1
            count["bytes"] += n
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$WORK/sink.py" "$SINK_PORT" &
PIDS+=($!)

HTTP_PORT=$(free_port)
cat >"$WORK/collector.yaml" <<YAML
remote_write:
  - name: sink
    url: http://127.0.0.1:$SINK_PORT/api/v1/write
YAML
"$BIN/rollguard-collector" --config "$WORK/collector.yaml" --listen 127.0.0.1:0 \
  --port-file "$WORK/port" --http-listen "127.0.0.1:$HTTP_PORT" --data-dir "$WORK/data" \
  --log-level warn >"$WORK/collector.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
metric() {  # NAME{target="sink"} value, 0 when absent
  curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | awk -v n="$1" '$1 ~ "^"n"[{ ]" || $1 == n {v=$2} END {printf "%d\n", v+0}'
}
# Stored but not yet sent, in samples (loadgen's timestamps are hours old,
# so the lag gauge, which is about sample time, says little here).
backlog() {
  curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | awk '
    $1 == "rollguard_samples_ingested_total" {i=$2}
    $1 ~ /^rollguard_remote_write_samples_sent_total/ {s=$2}
    END {printf "%d\n", i - s}'
}

echo "== $AGENTS agents x $SERIES series x $POINTS points = $TOTAL samples, remote write to a discarding receiver"
t0=$(date +%s%N)
(
  while :; do
    backlog >>"$WORK/backlog"
    sleep 0.25
  done
) &
POLL=$!
PIDS+=($POLL)
"$BIN/rollguard-loadgen" --collector "127.0.0.1:$(cat "$WORK/port")" --agents "$AGENTS" \
  --series-per-agent "$SERIES" --points "$POINTS" --samples-per-batch 1000 | tail -1
t_ingest=$(( ($(date +%s%N) - t0) / 1000000 ))
sent=0
for _ in $(seq 1200); do
  sent=$(metric rollguard_remote_write_samples_sent_total)
  [ "$sent" -ge "$TOTAL" ] && break
  sleep 0.1
done
t_sent=$(( ($(date +%s%N) - t0) / 1000000 ))
kill "$POLL" 2>/dev/null || true
max_backlog=$(sort -g "$WORK/backlog" | tail -1)
echo "ingested: $TOTAL samples in ${t_ingest} ms ($(( TOTAL * 1000 / (t_ingest > 0 ? t_ingest : 1) )) samples/s, loadgen's own timing above)"
echo "remote write: $sent of $TOTAL sent; the last one ${t_sent} ms after the start ($(( t_sent - t_ingest )) ms after ingest ended)"
echo "remote write: $(( $sent * 1000 / (t_sent > 0 ? t_sent : 1) )) samples/s over the whole run; largest backlog seen ${max_backlog} samples"
echo "failed requests: $(metric rollguard_remote_write_requests_failed_total), dropped: $(metric rollguard_remote_write_samples_dropped_total)"
