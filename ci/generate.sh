#!/usr/bin/env bash
# Builds SparseJ and generates text with the shared sj-7m model: the README's first command.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/require-tools.sh
mkdir -p target
echo "building (log: target/build.log)..." >&2
if ! mvn -B -Dstyle.color=never package -DskipTests >target/build.log 2>&1; then
  tail -n 40 target/build.log >&2
  echo "error: build failed (full log: target/build.log)" >&2
  exit 1
fi
exec java -jar target/sparsej.jar generate -m ../shared/models/sj-7m/model.bin -p "${1:-Once upon a time}" -n "${2:-64}"
