#!/usr/bin/env bash
# The native test drivers (native/test/kernels_test.cpp; cuda/test/sparse24_pack_test.cpp, the CUDA backend's 2:4
# encoding against an emulation of mma.sp, host code only) built with AddressSanitizer and UndefinedBehaviorSanitizer
# (CMake option SPARSEJ_SANITIZE=ON) in target/cmake-sanitize, run by ctest: every kernel family on every ISA this
# CPU runs, against double-precision references. Where the toolchain has no sanitizer runtime it says so in one line
# and succeeds (nothing to run). `mvn verify` runs it (sparsej-core/pom.xml, phase integration-test).
set -euo pipefail
cd "$(dirname "$0")/.."
build=target/cmake-sanitize
mkdir -p "$build"
probe="$build/probe"
if ! echo 'int main() { return 0; }' | ${CXX:-g++} -x c++ -fsanitize=address,undefined -o "$probe" - 2>/dev/null \
    || ! "$probe" >/dev/null 2>&1; then
  echo "skip: native sanitizer tests (${CXX:-g++} has no working AddressSanitizer/UBSan runtime)"
  exit 0
fi
start=$(date +%s)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSPARSEJ_SANITIZE=ON >"$build/configure.log" 2>&1 \
  || { cat "$build/configure.log" >&2; echo "error: cmake configure failed" >&2; exit 1; }
cmake --build "$build" --parallel "${JOBS:-2}" --target sparsej_kernels_test sparse24_pack_test >"$build/build.log" 2>&1 \
  || { tail -n 40 "$build/build.log" >&2; echo "error: sanitized native build failed ($build/build.log)" >&2; exit 1; }
built=$(date +%s)
# detect_leaks: LeakSanitizer cannot run under ptrace (some CI sandboxes); leaks are not what this checks.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
  bash -c "cd $build && ctest --output-on-failure"
echo "native sanitizer tests: build $((built - start)) s, run $(($(date +%s) - built)) s"
