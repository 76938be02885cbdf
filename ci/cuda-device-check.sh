#!/usr/bin/env bash
# The CUDA backend's proof on a GPU machine, in one call (docs/cuda.md, "The device proof, in one call").
#   ci/cuda-device-check.sh prepare   here (no GPU needed): builds the jar, libsparsej_cuda.so, the C++ test and
#                                     bench drivers, a jlink'ed Java runtime and the JUnit runner, packed as one
#                                     .tar.xz in .carry/cuda (ignored by git); refuses a bundle that would not fit
#                                     the 64 MiB a device call carries
#   ci/cuda-device-check.sh device    there (no Java, no Maven, no network): unpacks it and runs the steps below,
#                                     cheapest first, each under its own `timeout` and all within one budget
#                                     (SPARSEJ_CHECK_BUDGET seconds, default 450), each into its own file in $OUT.
#                                     $OUT/summary.txt gets one line as each step starts and one as it ends, so a
#                                     run killed half-way still says what it did. Exit status: failed steps.
# SPARSEJ_CHECK_SMALL=1 skips the 4.4 GB TinyLlama-shape model (dry runs off the GPU).
set -uo pipefail
cd "$(dirname "$0")/.."
BUNDLE=.carry/cuda
CARRY_LIMIT=$((64 * 1024 * 1024))  # what one device call carries: working tree + carried paths

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
}

prepare() {
  set -e
  mvn -B -o -q package -DskipTests -pl sparsej-core
  grep -q 'SPARSEJ_CUDA_BUILT:INTERNAL=ON' target/cmake/CMakeCache.txt \
    || { echo "error: this build has no CUDA kernels (nvcc not found)"; exit 1; }
  cmake --build target/cmake --target sparsej_cuda_test sparsej_cuda_bench --parallel 2
  mvn -B -o -q dependency:build-classpath -pl sparsej-core -Dmdep.outputFile="$PWD/target/cuda-cp.txt" >/dev/null
  rm -rf "$BUNDLE" && mkdir -p "$BUNDLE/stage/lib" "$BUNDLE/stage/bin"
  local stage="$BUNDLE/stage"
  # Every dependency jar but OpenBLAS's 20 MB natives (only `bench kernels` uses them), plus both class folders.
  tr ':' '\n' < target/cuda-cp.txt | grep -v 'openblas-.*-linux' | grep -v -E 'pdfbox|fontbox|xchart|graphics2d|VectorGraphics' \
    | while read -r jar; do cp "$jar" "$stage/lib/"; done
  (cd target/classes && jar cf "../../$stage/lib/sparsej-classes.jar" .)
  (cd target/test-classes && jar cf "../../$stage/lib/sparsej-test-classes.jar" .)
  # The JUnit launcher API (surefire brings its own): the local repository's jar of the engine's version.
  local engine launcher
  engine=$(tr ':' '\n' < target/cuda-cp.txt | grep 'junit-platform-engine-.*\.jar$')
  launcher=$(echo "$engine" | sed 's/junit-platform-engine/junit-platform-launcher/g')
  [ -f "$launcher" ] || { echo "error: $launcher is missing (run mvn once online: mvn dependency:get -Dartifact=org.junit.platform:junit-platform-launcher:<version>)"; exit 1; }
  cp "$launcher" "$stage/lib/"
  javac -d "$stage/lib/runner" -cp "$(cat target/cuda-cp.txt):$launcher" ci/CudaTestMain.java
  cp target/cmake/cuda/libsparsej_cuda.so target/cmake/cuda/sparsej_cuda_test target/cmake/cuda/sparsej_cuda_bench "$stage/bin/"
  cp ../shared/models/sj-7m/gguf/sj-7m-q8_0.gguf "$stage/"
  git rev-parse HEAD > "$stage/commit.txt"
  git status --porcelain --untracked-files=no | sed 's/^/dirty: /' >> "$stage/commit.txt"
  # jdeps --print-module-deps over the classes and these jars, less java.desktop (only the benchmark plots need it)
  jlink --add-modules java.base,java.logging,java.management,jdk.management,java.naming,java.net.http,java.sql,java.xml,jdk.unsupported \
    --strip-debug --no-man-pages --no-header-files --compress=2 --output "$stage/jre"
  rm -f "$stage"/jre/lib/server/classes*.jsa
  strip --strip-unneeded "$stage/jre/lib/server/libjvm.so" || true
  { du -sh "$stage"/*; du -sh "$stage"; } | sed "s/^/unpacked: /"
  tar -C "$stage" -cf - . | xz -T2 -6 > "$BUNDLE/bundle.tar.xz"
  rm -rf "$stage"
  # What travels: tracked and untracked-not-ignored files (git ls-files -co --exclude-standard) plus the bundle.
  local tree bundle total
  tree=$(git ls-files -z -co --exclude-standard | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
  bundle=$(stat -c %s "$BUNDLE/bundle.tar.xz")
  total=$((tree + bundle))
  echo "bundle: $bundle bytes; working tree: $tree bytes; carried in all: $total of $CARRY_LIMIT bytes"
  if [ "$total" -ge "$CARRY_LIMIT" ]; then
    rm -f "$BUNDLE/bundle.tar.xz"
    echo "error: the device call would carry $total bytes, over the $CARRY_LIMIT it takes; bundle removed"
    exit 1
  fi
}

# --- device: one step = one file under $OUT, one start line and one end line in summary.txt --------------------

# step NAME FILE CAP PATTERN FUNCTION: runs FUNCTION (exported) under `timeout`, at most CAP seconds and never past
# the budget's deadline, appending its output to $OUT/FILE; the end line quotes the lines matching PATTERN.
step() {
  local name=$1 file=$2 cap=$3 pattern=$4 fn=$5 left limit t0 rc verdict
  left=$((DEADLINE - $(date +%s)))
  if [ "$left" -lt 15 ]; then
    echo "$(date -u +%T) $name: SKIPPED, the ${BUDGET}s budget is spent" >> "$SUMMARY"
    return
  fi
  limit=$((cap < left ? cap : left))
  echo "$(date -u +%T) $name: started, limit ${limit}s, output $file" >> "$SUMMARY"
  echo "== $name (limit ${limit}s)"
  t0=$(date +%s)
  timeout -k 5 "$limit" bash -c "$fn" >> "$OUT_DIR/$file" 2>&1
  rc=$?
  case $rc in
    0) verdict=ok ;;
    124 | 137) verdict="TIMED OUT after ${limit}s" ;;
    *) verdict="FAILED (exit $rc)" ;;
  esac
  [ "$rc" -eq 0 ] || FAILED_STEPS=$((FAILED_STEPS + 1))
  echo "$(date -u +%T) $name: $verdict in $(($(date +%s) - t0))s" >> "$SUMMARY"
  grep -a -E "$pattern" "$OUT_DIR/$file" | head -40 | sed 's/^/    /' >> "$SUMMARY"
  tail -n 3 "$OUT_DIR/$file"
}

probe() {
  nvidia-smi || echo "nvidia-smi failed"
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  local dirs
  IFS=: read -r -a dirs <<< "$LIB_DIRS"
  for pat in 'libcuda.so.1' 'libcublas.so.1*' 'libcublasLt.so.1*' 'libcusparseLt.so.0*'; do
    [ "${#dirs[@]}" -eq 0 ] || find "${dirs[@]}" -maxdepth 1 -name "$pat" 2>/dev/null | sed "s/^/found: /"
  done
  if command -v cuobjdump >/dev/null; then
    echo "sparse tensor-core instructions (HMMA...SP) in the sm_90 code of libsparsej_cuda.so:"
    cuobjdump -sass -arch sm_90 "$ROOT/bin/libsparsej_cuda.so" | grep -c 'HMMA.*SP'
  fi
  "$ROOT/jre/bin/java" -version 2>&1 | head -1
  cat "$ROOT/commit.txt"
}

# The C++ drivers were built on the build machine; where they do not start here (other system libraries), they
# are rebuilt from the carried working tree with this machine's nvcc and CMake.
kernel_test() {
  "$ROOT/bin/sparsej_cuda_test" --require-gpu && return 0
  local rc=$?
  if [ "$rc" -ge 126 ] && command -v cmake >/dev/null && command -v nvcc >/dev/null; then
    echo "sparsej_cuda_test did not start (exit $rc): rebuilding the drivers here"
    cmake -S . -B /tmp/sparsej-cmake -DCMAKE_BUILD_TYPE=Release >/dev/null \
      && cmake --build /tmp/sparsej-cmake --target sparsej_cuda_test sparsej_cuda_bench --parallel 16 >/dev/null \
      && cp /tmp/sparsej-cmake/cuda/libsparsej_cuda.so /tmp/sparsej-cmake/cuda/sparsej_cuda_test \
        /tmp/sparsej-cmake/cuda/sparsej_cuda_bench "$ROOT/bin/" \
      && "$ROOT/bin/sparsej_cuda_test" --require-gpu
    return $?
  fi
  return "$rc"
}

java_tests() {
  echo "-- sparsej info"
  "${SJ[@]}" info
  echo "-- JUnit: CudaBackendMatchesJavaTest, CudaGreedyTextTest"
  "$JAVA" -Dsparsej.cuda.model="$MODEL" -cp "$CP" CudaTestMain \
    org.sparsej.backend.CudaBackendMatchesJavaTest org.sparsej.backend.CudaGreedyTextTest
}

same_text() {  # same_text LABEL A B: fails unless both files hold the same (non-empty) text
  if [ -s "$2" ] && cmp -s "$2" "$3"; then echo "SAME TEXT ($1)"; else echo "TEXT DIFFERS ($1)"; return 1; fi
}

# Each command's failure is the step's, but the step goes on: `|| bad=1` after each.
greedy_text() {
  local p="Once upon a time" r=/tmp/sparsej-cuda bad=0
  echo "-- greedy text, dense: cpu vs cuda"
  "${SJ[@]}" generate -m "$MODEL" -p "$p" -n 64 --temp 0 --backend cpu > "$r/text-cpu.txt" || bad=1
  "${SJ[@]}" generate -m "$MODEL" -p "$p" -n 64 --temp 0 --backend cuda > "$r/text-cuda.txt" || bad=1
  same_text dense "$r/text-cpu.txt" "$r/text-cuda.txt" || bad=1
  head -c 600 "$r"/text-cpu.txt "$r"/text-cuda.txt
  echo
  echo "-- greedy text, 2:4 (magnitude-pruned): cpu vs cuda (cuSPARSELt) vs cuda (mma.sp)"
  "${SJ[@]}" prune -m "$MODEL" --method magnitude --pattern 2:4 -o "$r/sj-7m-24" -t 8 > "$r/prune.txt" || bad=1
  tail -n 2 "$r/prune.txt"
  "${SJ[@]}" generate -m "$r/sj-7m-24" -p "$p" -n 64 --temp 0 --backend cpu > "$r/text24-cpu.txt" || bad=1
  "${SJ[@]}" generate -m "$r/sj-7m-24" -p "$p" -n 64 --temp 0 --backend cuda > "$r/text24-lt.txt" || bad=1
  SPARSEJ_CUDA_24=mma "${SJ[@]}" generate -m "$r/sj-7m-24" -p "$p" -n 64 --temp 0 --backend cuda \
    > "$r/text24-mma.txt" || bad=1
  for f in lt mma; do same_text "2:4 $f" "$r/text24-cpu.txt" "$r/text24-$f.txt" || bad=1; done
  head -c 600 "$r"/text24-*.txt
  return "$bad"
}

gemm_bench() { "$ROOT/bin/sparsej_cuda_bench"; }

e2e_bench() {
  local r=/tmp/sparsej-cuda bad=0
  echo "-- sparsej bench (prefill 64, decode 64): sj-7m cpu, cuda, 2:4 cuda (cuSPARSELt), 2:4 cuda (mma.sp)"
  "${SJ[@]}" bench -m "$MODEL" --backend cpu --repeat 2 || bad=1
  "${SJ[@]}" bench -m "$MODEL" --backend cuda --repeat 2 || bad=1
  [ -d "$r/sj-7m-24" ] || "${SJ[@]}" prune -m "$MODEL" --method magnitude --pattern 2:4 -o "$r/sj-7m-24" -t 8 \
    > "$r/prune.txt" || bad=1
  "${SJ[@]}" bench -m "$r/sj-7m-24" --backend cuda --repeat 2 || bad=1
  SPARSEJ_CUDA_24=mma "${SJ[@]}" bench -m "$r/sj-7m-24" --backend cuda --repeat 2 || bad=1
  if [ -z "${SPARSEJ_CHECK_SMALL:-}" ]; then
    echo "-- tinyllama-1.1b shape (random weights), cuda"
    "${SJ[@]}" synth --shape tinyllama-1.1b -o "$r/tinyllama.bin" || bad=1
    "${SJ[@]}" bench -m "$r/tinyllama.bin" --backend cuda --repeat 2 || bad=1
  fi
  return "$bad"
}

torch_compare() {
  python3 -c "import torch; print('# torch', torch.__version__, 'cuSPARSELt', torch.backends.cusparselt.version())" || true
  python3 ci/cuda_torch_compare.py
}

device() {
  OUT_DIR="${OUT:-/tmp/cuda-out}"
  ROOT=/tmp/sparsej-cuda
  BUDGET=${SPARSEJ_CHECK_BUDGET:-450}
  DEADLINE=$(($(date +%s) + BUDGET))
  SUMMARY="$OUT_DIR/summary.txt"
  FAILED_STEPS=0
  mkdir -p "$OUT_DIR"
  echo "$(date -u '+%F %T') cuda-device-check on $(hostname), budget ${BUDGET}s" >> "$SUMMARY"
  [ -f "$BUNDLE/bundle.tar.xz" ] || { echo "error: $BUNDLE/bundle.tar.xz is missing (ci/cuda-device-check.sh prepare, then carry .carry/cuda)" | tee -a "$SUMMARY"; exit 2; }
  rm -rf "$ROOT" && mkdir -p "$ROOT"
  if ! timeout 90 python3 -c "import tarfile; tarfile.open('$BUNDLE/bundle.tar.xz', 'r:xz').extractall('$ROOT')"; then
    echo "error: could not unpack $BUNDLE/bundle.tar.xz" | tee -a "$SUMMARY"
    exit 2
  fi
  echo "$(date -u +%T) unpacked the bundle ($(du -sh "$ROOT" | cut -f1))" >> "$SUMMARY"
  # cuBLAS and cuSPARSELt come with PyTorch's wheels (and maybe the toolkit): every folder holding them, first.
  LIB_DIRS=$(timeout 60 python3 - <<'PY'
import fnmatch, os, site
# PyTorch's wheels keep them under site-packages/nvidia/*/lib (nvidia-cublas, nvidia-cusparselt-cu13) or torch/lib:
# walk those and the system folders once each, not all of site-packages.
roots = [os.path.join(s, d) for s in site.getsitepackages() for d in ("nvidia", "torch/lib")]
roots += ["/usr/local/cuda/lib64", "/usr/local/nvidia/lib64", "/usr/lib/x86_64-linux-gnu"]
patterns = ("libcublas.so.1*", "libcublasLt.so.1*", "libcusparseLt.so.0*", "libcuda.so.1")
found = []
for root in roots:
    for d, subdirs, files in os.walk(root):
        if d.count(os.sep) - root.count(os.sep) >= 3:
            subdirs[:] = []
        if any(fnmatch.fnmatch(f, p) for f in files for p in patterns) and d not in found:
            found.append(d)
print(":".join(found))
PY
)
  export LD_LIBRARY_PATH="$ROOT/bin:$LIB_DIRS:${LD_LIBRARY_PATH:-}"
  export ROOT LIB_DIRS JAVA="$ROOT/jre/bin/java" CP="$ROOT/lib/*:$ROOT/lib/runner" MODEL="$ROOT/sj-7m-q8_0.gguf"
  export SJ_CMD="$JAVA -cp $CP org.sparsej.cli.Main"
  export -f probe kernel_test java_tests same_text greedy_text gemm_bench e2e_bench torch_compare
  # Functions run in `bash -c`, where arrays do not travel: SJ is rebuilt from SJ_CMD (no spaces in its parts).
  local prelude='read -r -a SJ <<< "$SJ_CMD";'
  #    name             file             cap  lines quoted in the summary                      function
  step "driver probe"   device.txt        30 'NVIDIA H|Driver Version|found:|^[0-9]+$|failed'  "$prelude probe"
  step "kernel tests"   kernel_test.txt  120 '^(FAIL|ALL PASS|FAILED|INFO|SKIP)|device:|rebuild' "$prelude kernel_test"
  step "java gpu tests" java_tests.txt   150 'cuda |tests (successful|failed|aborted)|^(ABORTED|FAILED) |JAVA GPU|^error' "$prelude java_tests"
  step "greedy text"    text.txt         100 'SAME|DIFFERS|^error'                               "$prelude greedy_text"
  step "gemm bench"     gemm_bench.csv   100 '^#|,(1|1024|4096),[a-z]'                           "$prelude gemm_bench"
  step "e2e bench"      e2e.txt          100 '^--|tok/s|^error'                                  "$prelude e2e_bench"
  step "torch compare"  torch.csv         90 '^#|,(1|1024|4096),[a-z]'                           "$prelude torch_compare"
  echo "$(date -u +%T) done: $FAILED_STEPS step(s) failed" >> "$SUMMARY"
  echo "== summary ($SUMMARY)"
  cat "$SUMMARY"
  exit "$FAILED_STEPS"
}

case "${1:-}" in
  prepare) prepare ;;
  device) device ;;
  -h | --help) usage ;;
  *) echo "error: usage: ci/cuda-device-check.sh prepare|device (--help says more)" >&2; exit 2 ;;
esac
