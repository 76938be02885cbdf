#!/usr/bin/env bash
# Reproduces the quality table in docs/quantization.md: sj-7m in FP32, W8A16, W8A8 plain, +SmoothQuant, +selective
# (the 2 most sensitive linears kept FP32) and both; 50% SparseGPT and 2:4 SparseGPT in FP32 and with W8A8 on top.
# Calibration 128 x 256 tokens from train.txt (seed 0); every output is a saved directory scored with
# `sparsej eval ppl -m OUT`, so the runtime formats (dense / sparse-bitmask / 2:4, W8A8 / W8A16) are what is measured.
# Usage: docs/quantization-table.sh [WORKDIR] (default /tmp/sparsej-quantization); EVAL_FILES="..." picks the
# eval files (default: all four); SPARSEJ_JAR=... runs another build. Build first: mvn -B package -DskipTests.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/tmp/sparsej-quantization}
MODEL=../shared/models/sj-7m/model.bin
DATA=../shared/data/sj-corpus
FILES=${EVAL_FILES:-eval-fortunes.txt eval-kjv.txt eval-shakespeare.txt eval-wikitext2.txt}
SJ="java -jar ${SPARSEJ_JAR:-target/sparsej.jar}"
CALIB=(--calib "$DATA/train.txt" --samples 128 --seqlen 256 --seed 0)
mkdir -p "$WORK"
RESULTS=$WORK/results.txt

evaluate() {  # name model
  for f in $FILES; do
    echo "$1 $f $($SJ eval ppl -m "$2" --text "$DATA/$f" --backend cpu 2>/dev/null)" | tee -a "$RESULTS"
  done
}

make() {  # name command flags...: runs "sparsej COMMAND FLAGS -o WORK/NAME" once, then evaluates WORK/NAME
  local name=$1
  shift
  if [ ! -d "$WORK/$name" ]; then
    /usr/bin/time -f "$name: %e s wall, %M KB peak RSS" $SJ "$@" --backend cpu -o "$WORK/$name" \
      >"$WORK/$name.log" 2>&1
    tail -n 1 "$WORK/$name.log" | tee -a "$RESULTS"
    grep '^overall' "$WORK/$name.log" | sed "s/^/$name /" | tee -a "$RESULTS"
  fi
  evaluate "$name" "$WORK/$name"
}

evaluate fp32 "$MODEL"
make w8a16 quantize -m "$MODEL" --scheme w8a16
make w8a8 quantize -m "$MODEL" --scheme w8a8
make w8a8-sq quantize -m "$MODEL" --scheme w8a8 --smoothquant 0.5 "${CALIB[@]}"
make w8a8-sel quantize -m "$MODEL" --scheme w8a8 --ignore auto:2 "${CALIB[@]}"
make w8a8-sq-sel quantize -m "$MODEL" --scheme w8a8 --smoothquant 0.5 --ignore auto:2 "${CALIB[@]}"
make sparsegpt-50 prune -m "$MODEL" --method sparsegpt --sparsity 0.5 "${CALIB[@]}"
make sparsegpt-50-w8a8 quantize -m "$WORK/sparsegpt-50" --scheme w8a8
make sparsegpt-2of4 prune -m "$MODEL" --method sparsegpt --pattern 2:4 "${CALIB[@]}"
make sparsegpt-2of4-w8a8 quantize -m "$WORK/sparsegpt-2of4" --scheme w8a8
