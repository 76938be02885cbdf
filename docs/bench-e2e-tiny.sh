#!/usr/bin/env bash
# End-to-end decode/prefill/peak RSS on the TinyLlama-1.1B shape (RANDOM weights, `sparsej synth`), pruned by
# magnitude, W8A8 by round-to-nearest with the classifier int8 too (`convert --int8 w8a8 --int8-lm-head`), against
# dense F32 on the same engine (docs/benchmarks.md, "TinyLlama-1.1B shape").
# Usage: docs/bench-e2e-tiny.sh DIR [ENGINES...]   (default engines: dense.bin w8h p0.5-w8h p0.7-w8h p24-w8h p0.7 p24)
# WRAP="quiet" runs each bench under a command that gives it the machine (the developers' `quiet`); JAR=... another build.
set -euo pipefail
D=$1; shift
ENGINES=${*:-"dense.bin w8h p0.5-w8h p0.7-w8h p24-w8h p0.7 p24"}
J="java -jar $(realpath "${JAR:-target/sparsej.jar}")"
mkdir -p "$D"; cd "$D"
[ -f dense.bin ] || $J synth --shape tinyllama-1.1b -o dense.bin
for s in 0.5 0.7; do [ -d p$s ] || $J prune -m dense.bin --method magnitude --sparsity $s -t 2 -o p$s; done
[ -d p24 ] || $J prune -m dense.bin --method magnitude --sparsity 0.5 --pattern 2:4 -t 2 -o p24
[ -d w8h ] || $J convert -m dense.bin --to hf --int8 w8a8 --int8-lm-head -o w8h
for p in p0.5 p0.7 p24; do
  [ -d $p-w8h ] || $J convert -m $p --to hf --int8 w8a8 --sparse-bitmask --int8-lm-head -o $p-w8h
done
for e in $ENGINES; do
  echo "-- $e, load $(cut -d' ' -f1-3 /proc/loadavg)"
  ${WRAP:-} /usr/bin/time -v $J bench -m "$e" --backend cpu -t 2 --prompt-tokens 64 --decode-tokens 32 --repeat 2 \
      --bandwidth-mb 512 2>&1 | grep -E 'prefill:|decode:|machine:|memory:|Maximum resident' || true
done
