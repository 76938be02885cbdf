#!/bin/bash
# sj-7m decode at 2 threads: SparseJ base vs this stop vs llama2.c run.c alternating.
# Usage: docs/bench-sj7m-runc.sh BASE_JAR NEW_JAR RUNC_HARNESS (a harness around llama2.c run.c's transformer(),
# greedy from BOS, built -Ofast -fopenmp -march=native, prints "run.c: N tokens, R tok/s"); M=... another model.
M=${M:-../shared/models/sj-7m/model.bin}
echo "load $(cat /proc/loadavg)"
for r in 1 2; do
  for J in "$1" "$2"; do
    echo "== round $r $(basename $J)"; java -jar $J bench -m $M --backend cpu -t 2 --prompt-tokens 64 --decode-tokens 128 --repeat 3 --bandwidth-mb 64 2>&1 | grep -E '^(run|prefill|decode):'
  done
  echo "== round $r run.c"; for i in 1 2 3; do OMP_NUM_THREADS=2 "$3" $M 256; done
done
echo "load $(cat /proc/loadavg)"
