#!/usr/bin/env bash
# BF16 weights as stored, one sitting, alternating engines (docs/benchmarks.md, "BF16/F16 weights as stored").
# 7b:   Llama-2-7B shape, random BF16 (docs/synth-hf-half.py), written to GGUF by `sparsej convert`: SparseJ `bench`
#       and llama.cpp `llama-cli` (built from source, -DGGML_NATIVE=ON, CPU) on the same GGUF, 16 prompt tokens and
#       16 decoded. Each engine run is one $WRAP call (a 7B run takes minutes, and `quiet` must be short); each
#       starts by printing how much of the GGUF the page cache holds (fincore): it decides whether the first pass
#       reads the disk.
# s110: stories110M shape, dense F32 vs BF16 vs F16 GGUF (`sparsej synth` + `convert --type`), SparseJ `bench`.
# Usage: docs/bench-half.sh DIR LLAMA_CPP_BIN_DIR [ROUNDS] [PARTS]   (default: 2 rounds, PARTS "7b s110")
#   DIR holds llama2-7b-bf16.gguf and s110-{f32,bf16,f16}.gguf; HF=1 adds SparseJ on the HF directory
#   DIR/llama2-7b-bf16 to each 7b round.
# WRAP="quiet" gives each run the machine (the developers' `quiet`; default: a flock shared by benchmarks);
# JAR=... benchmarks another build.
set -u
B=$1; L=$2; ROUNDS=${3:-2}; PARTS=${4:-"7b s110"}
J="java -jar $(realpath "${JAR:-target/sparsej.jar}")"
WRAP=${WRAP:-flock /tmp/sparsej-bench.lock}
G=$B/llama2-7b-bf16.gguf
PROMPT="Once upon a time, in a small village at the edge of the forest"  # 16 tokens with BOS, as --prompt-tokens 16
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) | $(git rev-parse --short HEAD) | $(date -u)"

# one NAME FILE CMD...: one engine run under $WRAP: page-cache state of FILE, then CMD under /usr/bin/time -v.
one() {
  local name=$1 file=$2; shift 2
  echo "== $name, $(date -u +%H:%M:%S)"
  $WRAP bash -c 'echo "cached: $(fincore -b -n -o RES "$0" 2>/dev/null | head -1) of $(stat -Lc %s "$0") bytes, load $(cut -d" " -f1-3 /proc/loadavg)";
      exec /usr/bin/time -v "$@"' "$file" "$@" 2>&1 \
    | grep -E "^quiet:|^cached:|^load: +[0-9]|prefill:|decode:|memory:|load time|eval time|n_ctx +=|Maximum resident|Elapsed|error"
}

if [[ " $PARTS " == *" 7b "* ]]; then
  for r in $(seq 1 "$ROUNDS"); do
    one "round $r, sparsej bench gguf" "$G" $J bench -m "$G" --backend cpu -t 2 --prompt-tokens 16 --decode-tokens 16 \
      --repeat 2 --bandwidth-mb 1024
    one "round $r, llama.cpp llama-cli gguf" "$G" "$L/llama-cli" -m "$G" -p "$PROMPT" -n 16 --temp 0 -t 2 -no-cnv \
      </dev/null
    if [ "${HF:-0}" = 1 ]; then
      one "round $r, sparsej bench hf dir" "$B/llama2-7b-bf16/model.safetensors" $J bench -m "$B/llama2-7b-bf16" \
        --backend cpu -t 2 --prompt-tokens 16 --decode-tokens 16 --repeat 2 --bandwidth-mb 1024
    fi
  done
fi
if [[ " $PARTS " == *" s110 "* ]]; then
  for r in $(seq 1 "$ROUNDS"); do
    for t in f32 bf16 f16; do
      one "round $r, stories110M $t" "$B/s110-$t.gguf" $J bench -m "$B/s110-$t.gguf" --backend cpu -t 2 \
        --prompt-tokens 16 --decode-tokens 32 --repeat 2 --bandwidth-mb 256
    done
  done
fi
