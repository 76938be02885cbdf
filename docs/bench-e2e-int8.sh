#!/usr/bin/env bash
# End-to-end decode/prefill/RSS of sparse INT8 against dense F32 on a synth (RANDOM weights) model,
# pruned by magnitude, W8A8 by round-to-nearest (convert --int8 w8a8, no calibration).
# Usage: docs/bench-e2e-int8.sh [stories110M|tinyllama-1.1b] [ROUNDS]   (models under $MODEL_DIR, default /tmp/e2e-<shape>)
set -euo pipefail
SHAPE=${1:-stories110M}; ROUNDS=${2:-2}
J="java -jar ${SPARSEJ_JAR:-target/sparsej.jar}"; D=${MODEL_DIR:-/tmp/e2e-$SHAPE}; mkdir -p "$D"
ENGINES=${ENGINES:-"dense.bin w8 p0.5-w8 p0.7-w8 p24-w8 p0.7"}
want() { [[ " $ENGINES " == *" $1"* ]]; }  # builds only what the engines compared need
[ -f "$D/dense.bin" ] || $J synth --shape "$SHAPE" -o "$D/dense.bin"
for s in 0.5 0.7; do want "p$s" && { [ -d "$D/p$s" ] || $J prune -m "$D/dense.bin" --method magnitude --sparsity $s -t 2 -o "$D/p$s"; }; done
want p24 && { [ -d "$D/p24" ] || $J prune -m "$D/dense.bin" --method magnitude --sparsity 0.5 --pattern 2:4 -t 2 -o "$D/p24"; }
want w8 && { [ -d "$D/w8" ] || $J convert -m "$D/dense.bin" --to hf --int8 w8a8 -o "$D/w8"; }
# The classifier INT8 too (ENGINES="w8 w8-head" compares them).
want w8-head && { [ -d "$D/w8-head" ] || $J convert -m "$D/dense.bin" --to hf --int8 w8a8 --int8-lm-head -o "$D/w8-head"; }
for p in p0.5 p0.7 p24; do want "$p-w8" && { [ -d "$D/$p-w8" ] || $J convert -m "$D/$p" --to hf --int8 w8a8 --sparse-bitmask -o "$D/$p-w8"; }; done
for r in $(seq 1 "$ROUNDS"); do
  echo "== round $r loadavg before: $(cat /proc/loadavg)"
  for e in $ENGINES; do
    echo "-- $e"
    flock /tmp/sparsej-bench.lock /usr/bin/time -v $J bench -m "$D/$e" --backend cpu -t 2 \
        --prompt-tokens 64 --decode-tokens 64 2>&1 | grep -E 'tok/s|GB/s|MB|Maximum resident|bandwidth' || true
  done
  echo "== round $r loadavg after: $(cat /proc/loadavg)"
done
