#!/usr/bin/env bash
# Reproduces the table in docs/pruning.md: prunes sj-7m with magnitude, Wanda and SparseGPT at 50% and 70%
# unstructured and 2:4 (128 x 256 calibration tokens from train.txt, seed 0), then scores each pruned model with
# `sparsej eval ppl` on the eval files. Usage: docs/pruning-table.sh [WORKDIR] (default /tmp/sparsej-pruning);
# EVAL_FILES="eval-shakespeare.txt eval-wikitext2.txt" picks the eval files (default: all four).
# Build first: mvn -B package -DskipTests. On a quiet 2-core machine each prune takes about 25 s and each eval
# about 0.35 ms per token (about 10 minutes in all).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/tmp/sparsej-pruning}
MODEL=../shared/models/sj-7m/model.bin
DATA=../shared/data/sj-corpus
FILES=${EVAL_FILES:-eval-fortunes.txt eval-kjv.txt eval-shakespeare.txt eval-wikitext2.txt}
SJ="java -jar target/sparsej.jar"
mkdir -p "$WORK"
RESULTS=$WORK/results.txt

evaluate() {  # name model
  for f in $FILES; do
    echo "$1 $f $($SJ eval ppl -m "$2" --text "$DATA/$f" --backend cpu 2>/dev/null)" | tee -a "$RESULTS"
  done
}

prune() {  # name, then prune flags
  local name=$1
  shift
  if [ ! -d "$WORK/$name" ]; then
    /usr/bin/time -f "$name prune: %e s wall, %M KB peak RSS" $SJ prune -m "$MODEL" --calib "$DATA/train.txt" \
      --samples 128 --seqlen 256 --seed 0 --backend cpu -o "$WORK/$name" "$@" >"$WORK/$name.log" 2>&1
    tail -n 1 "$WORK/$name.log" | tee -a "$RESULTS"
    grep '^overall' "$WORK/$name.log" | sed "s/^/$name /" | tee -a "$RESULTS"
  fi
  evaluate "$name" "$WORK/$name"
}

evaluate dense "$MODEL"
prune sparsegpt-50 --method sparsegpt --sparsity 0.5
prune wanda-50 --method wanda --sparsity 0.5
prune magnitude-50 --method magnitude --sparsity 0.5
prune sparsegpt-2of4 --method sparsegpt --pattern 2:4
prune wanda-2of4 --method wanda --pattern 2:4
prune magnitude-2of4 --method magnitude --pattern 2:4
prune sparsegpt-70 --method sparsegpt --sparsity 0.7
prune wanda-70 --method wanda --sparsity 0.7
prune magnitude-70 --method magnitude --sparsity 0.7
