package org.sparsej.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.bytedeco.javacpp.FloatPointer;
import org.sparsej.backend.CpuBackend;
import org.sparsej.backend.OpenBlasMatmul;
import org.sparsej.nativeops.SparsejNative;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.SparsityMasks;
import org.sparsej.weights.StoredWeight;
import org.sparsej.weights.WeightFormat;

/**
 * JMH view of the sparse matmuls on one shape (run: see docs/benchmarks.md). Each invocation first evicts the
 * weights from the caches (a 64 MiB read, not timed: Level.Invocation setup), as in decode. The CLI sweep
 * ({@code sparsej bench kernels}) covers every shape and reports bandwidth; this is the JMH cross-check.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g"})
public class SparseMatmulBenchmark {
  @Param({"4096x4096"})
  public String shape;

  @Param({"openblas-f32", "dense-f32", "q8_0", "dense-w8a16", "dense-w8a8", "bitmask-f32", "bitmask-i8", "bitmask-w8a8",
      "2:4-f32", "2:4-i8", "2:4-w8a8"})
  public String kernel;

  @Param({"0.7"})
  public double sparsity;

  @Param({"1"})
  public int batch;

  @Param({"2"})
  public int threads;

  private CpuBackend cpu;
  private LinearWeight weight;
  private Tensor x;
  private Tensor out;
  private Tensor flush;
  private FloatPointer[] blas;

  @Setup(Level.Trial)
  public void setUp() {
    String[] rc = shape.split("x");
    int rows = Integer.parseInt(rc[0]);
    int cols = Integer.parseInt(rc[1]);
    SplittableRandom random = new SplittableRandom(1);
    Tensor dense = Tensor.allocate(DType.F32, rows, cols);
    for (long i = 0; i < dense.size(); i++) {
      dense.setFloat(i, (float) (random.nextDouble() * 2 - 1));
    }
    x = Tensor.allocate(DType.F32, batch, cols);
    for (long i = 0; i < x.size(); i++) {
      x.setFloat(i, (float) (random.nextDouble() * 2 - 1));
    }
    out = Tensor.allocate(DType.F32, batch, rows);
    flush = Tensor.allocate(DType.F32, 16 << 20);
    cpu = new CpuBackend(threads);
    OpenBlasMatmul.setThreads(threads);
    if (kernel.equals("openblas-f32")) {
      weight = new DenseF32Weight(dense);
    } else {  // one row of the weight-format table, as bench kernels builds it
      WeightFormat f = KernelBench.parseKernel(kernel);
      Tensor keep = f.storedLayout() == StoredWeight.Layout.BITMASK ? SparsityMasks.random(rows, cols, sparsity, 2)
          : f.storedLayout() == StoredWeight.Layout.TWO_FOUR ? SparsityMasks.twoFour(dense) : null;
      weight = f.fromDense(dense, keep);
    }
    if (kernel.equals("openblas-f32")) {
      blas = new FloatPointer[] {OpenBlasMatmul.pointer(out), OpenBlasMatmul.pointer(x),
          OpenBlasMatmul.pointer(((DenseF32Weight) weight).values()), OpenBlasMatmul.pointer(flush)};
    }
  }

  @Setup(Level.Invocation)
  public void evictCaches() {
    if (blas != null) {
      OpenBlasMatmul.sum(blas[3], (int) flush.size());
    } else {
      SparsejNative.sj_sum_f32(flush.address(), flush.size());
    }
  }

  @Benchmark
  public Tensor matmul() {
    if (blas != null) {
      OpenBlasMatmul.matmul(blas[0], blas[1], blas[2], batch, weight.rows(), weight.cols());
    } else {
      cpu.matmul(out, x, weight, batch);
    }
    return out;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    cpu.close();
  }
}
