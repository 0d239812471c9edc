#!/usr/bin/env bash
# Server load benchmark: starts `plateau serve` on a free loopback port, runs the load client from a
# second process at 1, 2 and 4 concurrent clients, prints a markdown table, then stops the server with
# SIGTERM (which drains).
#
#   tools/bench_server/run.sh                      # WORKERS=2 QUEUE=8 REQUESTS=24 CLIENTS="1 2 4"
#   WORKERS=1 REQUESTS=40 IMAGE=path.jpg tools/bench_server/run.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${PLATEAU_BUILD_DIR:-$root/build}"
workers="${WORKERS:-2}"
queue="${QUEUE:-8}"
requests="${REQUESTS:-24}"
clients_list="${CLIENTS:-1 2 4}"
image="${IMAGE:-$root/../shared/eval/sroie/img/000.jpg}"
threads="${THREADS:-1}"

for need in "$build/plateau" "$build/plateau_bench_server_client" "$root/models/ch_PP-OCRv4_det_infer.onnx" "$image"; do
  if [ ! -e "$need" ]; then
    echo "bench-server: $need is missing (run: make build models)" >&2
    exit 1
  fi
done

log="$(mktemp)"
"$build/plateau" serve --port 0 --workers "$workers" --queue "$queue" --threads "$threads" \
  --model_dir "$root/models" 2>"$log" &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -f "$log"' EXIT

port=""
for _ in $(seq 1 600); do
  port="$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log")"
  [ -n "$port" ] && break
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "bench-server: the server did not start:" >&2
  cat "$log" >&2
  exit 1
fi

echo "server: $workers workers x $threads thread(s), queue $queue; image $(basename "$image"); $requests requests per row"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| clients | requests | 200 | 503 | other | throughput req/s | p50 ms | p90 ms | p99 ms | max ms |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
first=1
for c in $clients_list; do
  warmup=0
  if [ $first -eq 1 ]; then warmup=2; first=0; fi
  "$build/plateau_bench_server_client" --port "$port" --image "$image" --clients "$c" --requests "$requests" \
    --warmup "$warmup"
done
echo
echo "server memory after the run (/proc/$server/status): $(grep -E '^Vm(RSS|HWM)' /proc/$server/status | awk '{printf "%s %.0f MiB  ", $1, $2 / 1024}')"
