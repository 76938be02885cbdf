#!/usr/bin/env bash
# Builds SparseJ (CMake kernels, JavaCPP glue, jar) and runs every test. The README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/require-tools.sh
exec mvn -B verify "$@"
