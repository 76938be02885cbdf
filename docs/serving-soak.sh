#!/usr/bin/env bash
# The soak in docs/serving.md: `sparsej serve` (sj-7m, 2 threads, 16 slots) under nice -n 19 with a fixed heap
# (-Xmx256m) and native memory tracking, loaded by `sparsej bench serve` with 16 streaming clients for SECONDS;
# every 10 s one line of RSS (kB), the server's KV bytes in use and Jetty's thread count; NMT summaries and the
# heap after a full GC at the start and the end, so RSS growth can be split into heap, native, KV pool and threads.
# Usage: docs/serving-soak.sh [SECONDS] [OUTDIR] (defaults 600 and /tmp/sparsej-soak); JAR=... runs another build
# (a copy, so that rebuilding meanwhile cannot change the running server). Build first.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TOTAL=${1:-600}
OUT=${2:-/tmp/sparsej-soak}
MODEL=${MODEL:-../shared/models/sj-7m/model.bin}
PORT=${PORT:-18081}
mkdir -p "$OUT"
exec flock /tmp/sparsej-bench.lock bash -c '
  set -euo pipefail
  model=$0 port=$1 seconds=$2 out=$3
  nice -n 19 java -Xmx256m -XX:NativeMemoryTracking=summary -jar "${JAR:-target/sparsej.jar}" serve -m "$model" \
    --port "$port" -t 2 --slots 16 --queue 64 2>"$out/serve.log" &
  server=$!
  trap "kill -TERM $server 2>/dev/null; wait $server || true" EXIT
  for i in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  snapshot() {
    jcmd "$server" GC.run >/dev/null
    jcmd "$server" VM.native_memory summary >"$out/nmt-$1.txt"
    jcmd "$server" GC.heap_info >"$out/heap-$1.txt"
  }
  snapshot start
  (
    while kill -0 "$server" 2>/dev/null; do
      rss=$(awk "/VmRSS/ {print \$2}" /proc/$server/status)
      kv=$(curl -sf "http://127.0.0.1:$port/metrics" | awk "/^sparsej_kv_cache_bytes / {print \$2}")
      threads=$(ls /proc/$server/task | wc -l)
      echo "$(date +%s) rss_kb=$rss kv_bytes=$kv threads=$threads load=$(cut -d" " -f1 /proc/loadavg)"
      sleep 10
    done
  ) >"$out/rss.log" 2>/dev/null &
  sampler=$!
  echo "load average before: $(cat /proc/loadavg)"
  nice -n 19 java -jar "${JAR:-target/sparsej.jar}" bench serve --port "$port" --clients 16 --duration "$seconds" \
    --requests 1000000 --max-tokens 64 --temp 0.8
  echo "load average after: $(cat /proc/loadavg)"
  snapshot end
  kill "$sampler" 2>/dev/null || true
' "$MODEL" "$PORT" "$SECONDS_TOTAL" "$OUT"
