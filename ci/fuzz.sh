#!/usr/bin/env bash
# Coverage-guided fuzzing of the untrusted-file parsers with Jazzer (tests/org/sparsej/fuzz/ParserFuzzTests):
#   ci/fuzz.sh TARGET [SECONDS]     TARGET: gguf safetensors configJson shardIndex tokenizerJson tokenizerBin
#   ci/fuzz.sh TARGET --runs N              llama2c tokenizerModel, or all (one after another)
# Each target runs in its own JVM for SECONDS (default 60), or for N inputs (a count survives the pauses of a
# background job, a time limit does not), and prints one line: runs, seconds, inputs/s, findings.
# A finding (crash, hang, unclean error) stops that target; Jazzer saves its input (the log says where) to become a
# regression input under tests/fuzz-inputs/org/sparsej/fuzz/ParserFuzzTestsInputs/TARGET/. The corpus it grows
# stays in .cifuzz-corpus/ (ignored by git). FUZZ_LOCK=FILE runs each target under `flock FILE` (shared machines).
set -euo pipefail
cd "$(dirname "$0")/.."
all="gguf safetensors configJson shardIndex tokenizerJson tokenizerBin llama2c tokenizerModel"
if [ $# -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
targets=$([ "$1" = all ] && echo "$all" || echo "$1")
limit=(JAZZER_MAX_DURATION="${2:-60}s")
if [ "${2:-}" = "--runs" ]; then
  # Jazzer's max_executions becomes libFuzzer's -runs; the duration limit is lifted (0 = none).
  limit=(JAZZER_MAX_EXECUTIONS="${3:-}" JAZZER_MAX_DURATION=0s)
  [[ "${3:-}" =~ ^[1-9][0-9]*$ ]] || { echo "error: --runs needs a positive number of inputs, got '${3:-}'" >&2; exit 2; }
elif ! [[ "${2:-60}" =~ ^[1-9][0-9]*$ ]]; then
  echo "error: SECONDS must be a positive whole number, got '$2' (or use --runs N)" >&2
  exit 2
fi
for t in $targets; do
  case " $all " in *" $t "*) ;; *) echo "error: unknown fuzz target '$t' (one of: $all, all)" >&2; exit 2 ;; esac
done
mkdir -p target
lock=()
[ -n "${FUZZ_LOCK:-}" ] && lock=(flock "$FUZZ_LOCK")
failed=0
for t in $targets; do
  log="target/fuzz-$t.log"
  rc=0
  env JAZZER_FUZZ=1 "${limit[@]}" "${lock[@]}" mvn -B -Dstyle.color=never test -pl sparsej-core \
      -Djazzer.hooks=true -Dtest="ParserFuzzTests#$t" -Dsurefire.failIfNoSpecifiedTests=false >"$log" 2>&1 || rc=$?
  done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 || true)
  runs=$(echo "$done_line" | awk '{print $2}')
  secs=$(echo "$done_line" | awk '{print $5}')
  rate=$([ -n "$runs" ] && [ "${secs:-0}" -gt 0 ] && echo $((runs / secs)) || echo "?")
  # slow-unit-* files are libFuzzer's slowest input so far, not findings (a paused background job makes them).
  findings=$(grep -cE 'Test unit written to .*/(crash|timeout|oom|leak)-' "$log" || true)
  if [ $rc -ne 0 ] && [ "$findings" -eq 0 ]; then
    echo "error: fuzz $t did not run to its end (exit $rc, see $log)" >&2
    failed=1
    continue
  fi
  echo "fuzz $t: ${runs:-?} runs in ${secs:-?} s, ${rate} inputs/s, findings: $findings$([ "$findings" -eq 0 ] \
    || echo " (inputs and stack traces in $log)"), load $(cut -d' ' -f1-3 /proc/loadavg)"
  [ "$findings" -eq 0 ] || failed=1
done
exit $failed
