#!/usr/bin/env bash
# docs/spark.md's figures: a local[N] Spark job against a plain loop over the Java API (SparkBench).
# Usage: ci/bench-spark.sh [prompts] [max-tokens] [threads] [master] [rounds] [slots...]
# Builds first; run it as `flock /tmp/sparsej-bench.lock ci/bench-spark.sh` so timings do not overlap others'.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/require-tools.sh
mkdir -p target
echo "building (log: target/bench-spark-build.log)..." >&2
if ! mvn -B -o -Dstyle.color=never package -DskipTests dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile=target/test.classpath -pl sparsej-spark -am >target/bench-spark-build.log 2>&1; then
  tail -n 40 target/bench-spark-build.log >&2
  echo "error: build failed (full log: target/bench-spark-build.log)" >&2
  exit 1
fi
cp="sparsej-spark/target/test-classes:sparsej-spark/target/classes:$(cat sparsej-spark/target/test.classpath)"
slots=("${@:6}")
[ ${#slots[@]} -gt 0 ] || slots=(1 2 4 8)
exec java -Xss4m @sparsej-spark/spark-jvm.options -cp "$cp" org.sparsej.spark.SparkBench \
  ../shared/models/sj-7m/model.bin "${1:-1000}" "${2:-32}" "${3:-2}" "${4:-local[2]}" "${5:-2}" "${slots[@]}"
