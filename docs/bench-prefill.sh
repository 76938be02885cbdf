#!/usr/bin/env bash
# Prefill (pp64, pp512) and decode of SparseJ against llama.cpp on the same GGUF files, stories110M shape, 2 threads,
# engines alternating, each round under one `flock /tmp/sparsej-bench.lock` (docs/benchmarks.md, "Prefill").
# Usage: docs/bench-prefill.sh DIR LLAMA_BIN_DIR ROUNDS [BASE_JAR]
#   DIR holds s110-f32.gguf (sparsej synth --shape stories110M, then convert --to gguf), s110-q8_0.gguf and
#   s110-q4_0.gguf (sparsej convert -m s110-f32.gguf --to gguf --type q8_0|q4_0); BASE_JAR: an older sparsej.jar
#   timed beside this one on Q8_0. Run from the repository root after `mvn -B package -DskipTests`.
set -euo pipefail
dir=$1 llama=$2 rounds=${3:-2} base=${4:-}
jar=target/sparsej.jar

sj() {  # jar, java option (or -), model, prompt tokens
  local opt=$2
  [ "$opt" = - ] && opt=
  echo "== sparsej $(basename "$1") $opt $(basename "$3") pp$4; load $(cut -d' ' -f1-3 /proc/loadavg)"
  java $opt -jar "$1" bench -m "$3" --backend cpu -t 2 --prompt-tokens "$4" --decode-tokens 16 --repeat 2 \
      --bandwidth-mb 256 2>&1 | grep -E '^(prefill|decode|machine|backend):'
}

round() {
  echo "### round $1, load $(cat /proc/loadavg)"
  for p in 64 512; do
    sj "$jar" - "$dir/s110-f32.gguf" "$p"
    sj "$jar" -Dsparsej.sgemm.min-batch=8 "$dir/s110-f32.gguf" "$p"
    sj "$jar" - "$dir/s110-q8_0.gguf" "$p"
    [ -n "$base" ] && sj "$base" - "$dir/s110-q8_0.gguf" "$p"
    sj "$jar" - "$dir/s110-q4_0.gguf" "$p"
  done
  for m in f32 q8_0 q4_0; do
    echo "== llama-bench s110-$m; load $(cut -d' ' -f1-3 /proc/loadavg)"
    LD_LIBRARY_PATH="$llama" "$llama/llama-bench" -m "$dir/s110-$m.gguf" -p 64,512 -n 16 -t 2 -r 2 -o md 2>/dev/null \
        | grep -E '^\| (llama|model)'
  done
  echo "load after round $1: $(cat /proc/loadavg)"
}

if [ "${BENCH_PREFILL_ROUND:-}" ]; then
  round "$BENCH_PREFILL_ROUND"
  exit
fi
for r in $(seq 1 "$rounds"); do
  BENCH_PREFILL_ROUND=$r flock /tmp/sparsej-bench.lock "$0" "$@"
done
