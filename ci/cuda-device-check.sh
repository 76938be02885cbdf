#!/usr/bin/env bash
# The CUDA backend's proof on a GPU machine, in one call (docs/cuda.md).
#   ci/cuda-device-check.sh prepare   here (no GPU needed): builds the jar, libsparsej_cuda.so, the C++ test and
#                                     bench drivers, a jlink'ed Java runtime and the JUnit runner into .carry/cuda
#                                     (ignored by git), packed as one .tar.xz so it fits the 64 MiB that travels
#   ci/cuda-device-check.sh device    there (no Java, no Maven, no network): unpacks it and writes every result
#                                     under $OUT: kernel tests, GEMM bench, Java GPU tests, cpu-vs-cuda greedy
#                                     text (dense and 2:4), end-to-end tokens/s, PyTorch cuBLAS/cuSPARSELt timings
set -uo pipefail
cd "$(dirname "$0")/.."
BUNDLE=.carry/cuda

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
  # jdeps --print-module-deps over the classes and these jars, less java.desktop (only the benchmark plots need it)
  jlink --add-modules java.base,java.logging,java.management,jdk.management,java.naming,java.net.http,java.sql,java.xml,jdk.unsupported \
    --strip-debug --no-man-pages --no-header-files --compress=2 --output "$stage/jre"
  rm -f "$stage"/jre/lib/server/classes*.jsa
  strip --strip-unneeded "$stage/jre/lib/server/libjvm.so" || true
  du -sh "$stage" "$stage"/* | sed 's/^/unpacked: /'
  tar -C "$stage" -cf - . | xz -T2 -6 > "$BUNDLE/bundle.tar.xz"
  rm -rf "$stage"
  echo "bundle: $(du -h "$BUNDLE/bundle.tar.xz" | cut -f1); tracked tree: $(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1) bytes"
}

device() {
  local out="${OUT:-/tmp/cuda-out}" root=/tmp/sparsej-cuda
  rm -rf "$root" && mkdir -p "$out" "$root"
  python3 -c "import tarfile, lzma; tarfile.open('$BUNDLE/bundle.tar.xz', 'r:xz').extractall('$root')" || exit 1
  # cuBLAS and cuSPARSELt come with PyTorch's wheels (and maybe the toolkit): put every folder holding them first.
  local dirs
  dirs=$(python3 - <<'PY'
import glob, os, site
roots = site.getsitepackages() + ["/usr/local/cuda/lib64", "/usr/local/nvidia/lib64", "/usr/lib/x86_64-linux-gnu"]
found = []
for r in roots:
    for pat in ("libcublas.so.1*", "libcublasLt.so.1*", "libcusparseLt.so.0", "libcuda.so.1"):
        for f in glob.glob(os.path.join(r, "**", pat), recursive=True):
            d = os.path.dirname(f)
            if d not in found:
                found.append(d)
print(":".join(found))
PY
)
  export LD_LIBRARY_PATH="$root/bin:$dirs:${LD_LIBRARY_PATH:-}"
  local java="$root/jre/bin/java" cp="$root/lib/*:$root/lib/runner"
  local sj=("$java" -cp "$cp" org.sparsej.cli.Main)
  { nvidia-smi; echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
    echo "sparse tensor-core instructions in the sm_90 code:"
    cuobjdump -sass -arch sm_90 "$root/bin/libsparsej_cuda.so" | grep -c 'HMMA.*SP'; } > "$out/device.txt" 2>&1
  echo "== C++ kernel tests"; timeout 120 "$root/bin/sparsej_cuda_test" 2>&1 | tee "$out/kernel_test.txt" | tail -5
  echo "== GEMM bench"; timeout 240 "$root/bin/sparsej_cuda_bench" > "$out/gemm_bench.csv" 2>&1; tail -3 "$out/gemm_bench.csv"
  {
    echo "== sparsej info"; timeout 60 "${sj[@]}" info
    echo "== Java GPU tests"
    timeout 240 "$java" -Dsparsej.cuda.model="$root/sj-7m-q8_0.gguf" -cp "$cp" CudaTestMain \
      org.sparsej.backend.CudaBackendMatchesJavaTest org.sparsej.backend.CudaGreedyTextTest
    local m="$root/sj-7m-q8_0.gguf" p="Once upon a time"
    echo "== greedy text, dense: cpu vs cuda"
    "${sj[@]}" generate -m "$m" -p "$p" -n 64 --temp 0 --backend cpu > "$root/text-cpu.txt"
    "${sj[@]}" generate -m "$m" -p "$p" -n 64 --temp 0 --backend cuda > "$root/text-cuda.txt"
    [ -s "$root/text-cpu.txt" ] && cmp -s "$root/text-cpu.txt" "$root/text-cuda.txt" && echo "SAME TEXT (dense)" || echo "TEXT DIFFERS (dense)"
    head -c 600 "$root"/text-cpu.txt "$root"/text-cuda.txt
    echo "== greedy text, 2:4 (magnitude-pruned): cpu vs cuda (cuSPARSELt) vs cuda (mma.sp)"
    timeout 120 "${sj[@]}" prune -m "$m" --method magnitude --pattern 2:4 -o "$root/sj-7m-24" -t 8
    "${sj[@]}" generate -m "$root/sj-7m-24" -p "$p" -n 64 --temp 0 --backend cpu > "$root/text24-cpu.txt"
    "${sj[@]}" generate -m "$root/sj-7m-24" -p "$p" -n 64 --temp 0 --backend cuda > "$root/text24-lt.txt"
    SPARSEJ_CUDA_24=mma "${sj[@]}" generate -m "$root/sj-7m-24" -p "$p" -n 64 --temp 0 --backend cuda \
      > "$root/text24-mma.txt"
    for f in lt mma; do [ -s "$root/text24-cpu.txt" ] && cmp -s "$root/text24-cpu.txt" "$root/text24-$f.txt" && echo "SAME TEXT (2:4 $f)" || echo "TEXT DIFFERS (2:4 $f)"; done
    head -c 600 "$root"/text24-*.txt
    echo "== end to end tokens/s (prefill 64, decode 64)"
    for b in cpu cuda; do echo "-- sj-7m $b"; timeout 60 "${sj[@]}" bench -m "$m" --backend "$b" --repeat 2; done
    echo "-- sj-7m 2:4 cuda (cuSPARSELt)"; timeout 60 "${sj[@]}" bench -m "$root/sj-7m-24" --backend cuda --repeat 2
    echo "-- sj-7m 2:4 cuda (mma.sp)"; SPARSEJ_CUDA_24=mma timeout 60 "${sj[@]}" bench -m "$root/sj-7m-24" --backend cuda --repeat 2
    if [ -z "${SPARSEJ_CHECK_SMALL:-}" ]; then  # SPARSEJ_CHECK_SMALL=1: skip the 4.4 GB model (dry runs off the GPU)
      "${sj[@]}" synth --shape tinyllama-1.1b -o "$root/tinyllama.bin" >/dev/null 2>&1
      echo "-- tinyllama-1.1b shape (random weights) cuda"
      timeout 90 "${sj[@]}" bench -m "$root/tinyllama.bin" --backend cuda --repeat 2
    fi
  } 2>&1 | tee "$out/java.txt" | grep -E "==|--|PASS|FAIL|SAME|DIFFERS|tok/s|error" | head -60
  echo "== PyTorch cuBLAS / cuSPARSELt"; timeout 180 python3 ci/cuda_torch_compare.py > "$out/torch.csv" 2>&1; tail -3 "$out/torch.csv"
  grep -h -E "^(FAIL|ALL PASS|FAILED|INFO)" "$out/kernel_test.txt"
}

case "${1:-}" in
  prepare) prepare ;;
  device) device ;;
  *) echo "usage: ci/cuda-device-check.sh prepare|device" >&2; exit 2 ;;
esac
