#!/usr/bin/env bash
# End-to-end decode benchmark behind docs/benchmarks.md: a stories110M-shaped random model and sj-7m,
# on the cpu and java backends, each run measuring the read bandwidth beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${THREADS:-2}
model=${MODEL_DIR:-/tmp/sparsej-bench}/stories110m.bin
jar=target/sparsej.jar
[ -f "$jar" ] || mvn -B -q package -DskipTests
[ -f "$model" ] || { mkdir -p "$(dirname "$model")"; java -jar "$jar" synth --shape stories110M -o "$model"; }
for m in "$model" ../shared/models/sj-7m/model.bin; do
  for backend in cpu java; do
    decode=$([ "$backend" = java ] && echo 16 || echo 128)
    echo "== $m --backend $backend -t $threads"
    java -jar "$jar" bench -m "$m" --backend "$backend" -t "$threads" --prompt-tokens 64 --decode-tokens "$decode" --repeat 3
  done
done
