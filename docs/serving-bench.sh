#!/usr/bin/env bash
# Reproduces the server table in docs/serving.md: starts `sparsej serve` on 127.0.0.1 (sj-7m, 2 threads, 16 slots),
# loads it from a second process with `sparsej bench serve` at 1, 4 and 16 concurrent streaming clients, then
# stops the server with SIGTERM. Holds /tmp/sparsej-bench.lock for the whole run so no other timing overlaps.
# Usage: docs/serving-bench.sh [SECONDS_PER_LEVEL] [CLIENTS] (defaults 20 and 1,4,16); MODEL=... PORT=... override.
# Soak: docs/serving-bench.sh 600 16. Build first: mvn -B package -DskipTests.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_LEVEL=${1:-20}
CLIENTS=${2:-1,4,16}
MODEL=${MODEL:-../shared/models/sj-7m/model.bin}
PORT=${PORT:-18080}
exec flock /tmp/sparsej-bench.lock bash -c '
  set -euo pipefail
  java -jar target/sparsej.jar serve -m "$0" --port "$1" -t 2 --slots 16 --queue 64 2>/tmp/sparsej-serve.log &
  server=$!
  trap "kill -TERM $server 2>/dev/null; wait $server || true" EXIT
  for i in $(seq 1 200); do
    curl -sf "http://127.0.0.1:$1/health" >/dev/null && break
    sleep 0.1
  done
  echo "load average before: $(cat /proc/loadavg)"
  java -jar target/sparsej.jar bench serve --port "$1" --clients "$2" --duration "$3" --requests 100000 \
    --max-tokens 64 --temp 0.8
  echo "load average after: $(cat /proc/loadavg)"
' "$MODEL" "$PORT" "$CLIENTS" "$SECONDS_PER_LEVEL"
