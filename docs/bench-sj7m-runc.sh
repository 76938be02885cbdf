#!/bin/bash
# sj-7m decode at 2 threads: SparseJ base vs this stop vs llama2.c run.c (harness by the decode helper), alternating.
M=/work/shared/models/sj-7m/model.bin
echo "load $(cat /proc/loadavg)"
for r in 1 2; do
  for J in /work/big/lead/sparsej-ae81352.jar /work/big/lead/sj-trial.jar; do
    echo "== round $r $(basename $J)"; java -jar $J bench -m $M --backend cpu -t 2 --prompt-tokens 64 --decode-tokens 128 --repeat 3 --bandwidth-mb 64 2>&1 | grep -E '^(prefill|decode):'
  done
  echo "== round $r run.c"; for i in 1 2 3; do OMP_NUM_THREADS=2 /work/big/decode/harness $M 256; done
done
echo "load $(cat /proc/loadavg)"
