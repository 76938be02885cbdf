#!/usr/bin/env bash
# BF16 weights as stored, one sitting, alternating engines (docs/benchmarks.md, "BF16/F16 weights as stored").
# 1. Llama-2-7B shape, random BF16 (docs/synth-hf-half.py), SparseJ on the HF directory and on the GGUF that
#    `sparsej convert` wrote from it, llama.cpp (built from source, -DGGML_NATIVE=ON, CPU) on the same GGUF.
# 2. stories110M shape: dense F32 vs BF16 vs F16 GGUF (`sparsej synth` + `convert --type`), SparseJ `bench`.
# Usage: docs/bench-half.sh DIR LLAMA_CPP_BIN_DIR ROUNDS   (DIR holds llama2-7b-bf16/, llama2-7b-bf16.gguf, s110-*.gguf)
set -u
B=$1; L=$2; ROUNDS=${3:-2}
J="java -jar target/sparsej.jar"
TOK=../shared/models/llama2-tokenizer/tokenizer.bin
lock() { flock /tmp/sparsej-bench.lock "$@"; }
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) | $(git rev-parse --short HEAD) | $(date -u)"
for r in $(seq 1 "$ROUNDS"); do
  echo "== round $r, sparsej hf dir, loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
  lock /usr/bin/time -v $J generate -m $B/llama2-7b-bf16 -z $TOK -p "Once upon a time" -n 8 --temp 0 -t 2 2>&1 \
    | grep -E "decode:|Maximum resident|Elapsed"
  echo "== round $r, sparsej gguf, loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
  lock /usr/bin/time -v $J generate -m $B/llama2-7b-bf16.gguf -p "Once upon a time" -n 8 --temp 0 -t 2 2>&1 \
    | grep -E "decode:|Maximum resident|Elapsed"
  echo "== round $r, llama.cpp llama-cli gguf, loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
  lock /usr/bin/time -v $L/llama-cli -m $B/llama2-7b-bf16.gguf -p "Once upon a time" -n 8 --temp 0 -t 2 -no-cnv \
    </dev/null 2>&1 | grep -E "load time|eval time|Maximum resident|Elapsed"
done
echo "== sparsej inspect (load time, RSS), loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
lock $J inspect -m $B/llama2-7b-bf16.gguf 2>&1 | grep -E "weights:|load:|buffers:|memory:"
for r in $(seq 1 "$ROUNDS"); do
  for t in f32 bf16 f16; do
    echo "== round $r, stories110M $t, loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
    lock $J bench -m $B/s110-$t.gguf --backend cpu -t 2 --prompt-tokens 16 --decode-tokens 32 --repeat 3 2>&1 \
      | grep -iE "decode|median|best"
  done
done
