#!/usr/bin/env bash
# The INT8 classifier table in docs/quantization.md: perplexity of W8A8 / W8A16 (round to nearest, no calibration)
# with the classifier (lm_head) FP32 and INT8 (`quantize --int8-lm-head`), on sj-7m (real weights, whole eval
# files: shakespeare and wikitext2 unless SJ7M_FILES says otherwise) and on a stories110M-shaped synth model
# (RANDOM weights, one file, its first MAX_TOKENS tokens, the Llama 2 tokenizer).
# Usage: docs/lm-head-int8.sh [WORKDIR] (default /tmp/sparsej-lm-head); SPARSEJ_JAR=... runs another build.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/tmp/sparsej-lm-head}
DATA=../shared/data/sj-corpus
SJ="java -jar ${SPARSEJ_JAR:-target/sparsej.jar}"
MAX_TOKENS=${MAX_TOKENS:-1024}
mkdir -p "$WORK"
ppl() {  # model file [flags]: the perplexity alone
  $SJ eval ppl -m "$1" --text "$DATA/$2" --backend cpu -t 2 "${@:3}" 2>/dev/null | grep -o 'ppl [0-9.]*\|perplexity[^0-9]*[0-9.]*' | head -1
}
table() {  # name model files flags...
  local name=$1 model=$2 files=$3
  shift 3
  for s in w8a8 w8a16; do
    [ -d "$WORK/$name-$s" ] || $SJ quantize -m "$model" --scheme $s --backend cpu -o "$WORK/$name-$s" >/dev/null 2>&1
    [ -d "$WORK/$name-$s-head" ] || $SJ quantize -m "$model" --scheme $s --int8-lm-head --backend cpu \
      -o "$WORK/$name-$s-head" >/dev/null 2>&1
  done
  for f in $files; do
    echo "$name $f fp32: $(ppl "$model" "$f" "$@") | w8a8: $(ppl "$WORK/$name-w8a8" "$f" "$@") | w8a8+head:" \
      "$(ppl "$WORK/$name-w8a8-head" "$f" "$@") | w8a16: $(ppl "$WORK/$name-w8a16" "$f" "$@") | w8a16+head:" \
      "$(ppl "$WORK/$name-w8a16-head" "$f" "$@")"
  done
}
echo "load average before: $(cat /proc/loadavg)"
table sj-7m ../shared/models/sj-7m/model.bin "${SJ7M_FILES:-eval-shakespeare.txt eval-wikitext2.txt}"
[ -f "$WORK/stories110m.bin" ] || $SJ synth --shape stories110M -o "$WORK/stories110m.bin" >/dev/null 2>&1
table stories110M "$WORK/stories110m.bin" "eval-shakespeare.txt" -z ../shared/models/llama2-tokenizer/tokenizer.bin \
  --max-tokens "$MAX_TOKENS"
echo "load average after: $(cat /proc/loadavg)"
