#!/bin/bash
# The long runs of issue 16, one after the other (the developers start it with `idle tune-queue docs/finetune-queue.sh DIR JAR`).
# N = 1600 steps = what a quiet 2-thread machine does in 20 minutes (rate.log: 1.375 steps/s, load 5.2 falling).
# A run killed midway resumes from its checkpoint when the script is started again.
set -u
WORK=${1:?usage: docs/finetune-queue.sh WORKDIR (holds the students sj7m-sgpt70 and sj7m-sgpt24) [JAR]}
J=$(realpath "${2:-target/sparsej.jar}")
SHARED=$(realpath "$(dirname "$0")/../../shared")
cd "$WORK"

T=$SHARED/models/sj-7m/model.bin
E=$SHARED/data/sj-corpus
run() {  # name student loss steps every
  local name=$1 student=$2 loss=$3 steps=$4 every=$5
  [ -e $name/finetune.json ] && return 0
  local from=""
  [ -e $name.checkpoint/state.json ] && from="--resume $name.checkpoint"
  echo "$(date -u +%T) start $name $(cat /proc/loadavg)" >> queue.log
  /usr/bin/time -v java -jar $J finetune -m $student --teacher $T --data $E/train.txt --loss $loss \
    --batch 4 --seqlen 128 --lr 1e-3 --steps $steps --heldout 4096 --eval-every $every --checkpoint-every 100 \
    -t 2 -o $name $from >> $name.log 2>&1
  local rc=$?  # taken at once: the $(date) below would reset $?
  echo "$(date -u +%T) end $name rc=$rc $(cat /proc/loadavg)" >> queue.log
  [ -e $name/finetune.json ] || return 1  # killed or failed: no model to evaluate; a rerun resumes it
  evals $name
}
evals() {  # perplexity of model $1 on the four eval files, ctx 256 as in sj-7m-ppl.json
  [ -s $1.eval4 ] && return 0
  for f in fortunes kjv shakespeare wikitext2; do
    java -jar $J eval ppl -m $1 --text $E/eval-$f.txt -t 2 2>/dev/null >> $1.eval4.tmp
  done
  mv $1.eval4.tmp $1.eval4
}
run kd70-3n sj7m-sgpt70 kd 4800 400 || exit 1
run ce70-n sj7m-sgpt70 ce 1600 160 || exit 1
run kdsq70-n sj7m-sgpt70 kd+squarehead 1600 160 || exit 1
evals sj7m-sgpt24
run kd24-n sj7m-sgpt24 kd 1600 160 || exit 1
run kd70-n sj7m-sgpt70 kd 1600 160 || exit 1  # kd at N beside ce and kd+squarehead
echo "$(date -u +%T) queue done" >> queue.log
