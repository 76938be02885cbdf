package org.sparsej.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.FloatPointer;
import org.sparsej.backend.CpuBackend;
import org.sparsej.nativeops.NativeLibrary;
import org.sparsej.nativeops.SparsejNative;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.BitmaskSparseWeight;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.Precision;
import org.sparsej.weights.Sparse24Weight;
import org.sparsej.weights.SparsityMasks;

/**
 * The sparse-kernel sweep behind {@code sparsej bench kernels}: every kernel against OpenBLAS dense float32 and
 * our dense kernel on the same shapes, in one run, with the machine's read bandwidth measured beside them.
 *
 * <p>Each timed call starts with cold weights: a 64 MiB read evicts them from the caches first, as in decode, where
 * a layer's weights were last read one token ago. The read runs on the thread pool of the library under test
 * (SparseJ's kernel pool for SparseJ, OpenBLAS's own for OpenBLAS), so that the other pool's threads are asleep
 * and no spinning thread steals one of the two cores. A measurement repeats calls until its time budget is spent and keeps the
 * fastest call: on a machine shared with other work, the fastest call is the one least disturbed (as in
 * {@code sparsej bench}, which keeps the best repetition).
 */
public final class KernelBench {
  /** A weight shape [rows][cols] (out features x in features). */
  public record Shape(String name, int rows, int cols) {
    @Override
    public String toString() {
      return rows + "x" + cols;
    }
  }

  /** A matmul implementation under test. */
  public enum Kernel {
    OPENBLAS_F32("openblas-f32", true),
    DENSE_F32("dense-f32", true),
    BITMASK_F32("bitmask-f32", false),
    BITMASK_I8("bitmask-i8", false),
    BITMASK_W8A8("bitmask-w8a8", false),
    SPARSE24_F32("2:4-f32", false),
    SPARSE24_I8("2:4-i8", false),
    SPARSE24_W8A8("2:4-w8a8", false);

    final String id;
    final boolean dense;

    Kernel(String id, boolean dense) {
      this.id = id;
      this.dense = dense;
    }

    public String id() {
      return id;
    }

    /** 2:4 kernels run only at 50% sparsity; dense ones once per shape; bitmask ones at every sparsity. */
    boolean is24() {
      return name().startsWith("SPARSE24");
    }

    public static Kernel parse(String id) {
      for (Kernel k : values()) {
        if (k.id.equalsIgnoreCase(id.trim())) {
          return k;
        }
      }
      throw new SparsejException("unknown kernel '" + id + "' (expected one of "
          + Arrays.stream(values()).map(Kernel::id).toList() + ")");
    }
  }

  /** What to sweep. Sparsities are fractions in [0, 1]. */
  public record Options(List<Shape> shapes, double[] sparsities, int[] batches, List<Kernel> kernels, int[] threads,
                        long budgetMillis, int minIterations, int rounds, long bandwidthBytes) {}

  /** One measurement. {@code speedup} is OpenBLAS dense f32's best time over this kernel's, same run. */
  public record Row(Kernel kernel, Shape shape, double sparsity, int batch, int threads, double millis,
                    long weightBytes, double gbps, double bandwidthFraction, double speedup) {}

  public static final Map<String, List<Shape>> SHAPE_SETS = new LinkedHashMap<>();

  static {
    SHAPE_SETS.put("llama2-7b", List.of(new Shape("llama2-7b attn", 4096, 4096),
        new Shape("llama2-7b up", 11008, 4096), new Shape("llama2-7b down", 4096, 11008)));
    SHAPE_SETS.put("tinyllama", List.of(new Shape("tinyllama attn", 2048, 2048),
        new Shape("tinyllama up", 5632, 2048), new Shape("tinyllama down", 2048, 5632)));
  }

  private static final long FLUSH_BYTES = 64L << 20;

  private final Options options;
  private final PrintStream log;
  private final Tensor flush = Tensor.allocate(DType.F32, (int) (FLUSH_BYTES / 4));
  private final Map<Integer, Double> bandwidth = new LinkedHashMap<>();
  private final List<Row> rows = new ArrayList<>();

  private KernelBench(Options options, PrintStream log) {
    this.options = options;
    this.log = log;
  }

  /** Runs the sweep, printing each row to {@code out} as it is measured; returns every row. */
  public static Result run(Options options, PrintStream out) {
    NativeLibrary.require();
    NativeLibrary.applyIsaOverride();
    KernelBench bench = new KernelBench(options, out);
    out.println("kernels: " + NativeLibrary.isaName(SparsejNative.sj_isa_active()) + "; cpu features: "
        + SparsejNative.sj_cpu_features());
    out.println("openblas: " + OpenBlasMatmul.describe());
    String load = loadAverage();
    out.println("load average at start: " + load + " (other work on the machine skews timings)");
    for (int t : options.threads()) {
      SparsejNative.sj_set_threads(t);
      double gbps = MemoryBandwidth.measureGBps(options.bandwidthBytes(), 5);
      bench.bandwidth.put(t, gbps);
      out.printf(Locale.ROOT, "read bandwidth, %d thread%s: %.1f GB/s (sum of a %d MiB float array)%n", t,
          t == 1 ? "" : "s", gbps, options.bandwidthBytes() >> 20);
    }
    out.println(header());
    for (Shape shape : options.shapes()) {
      bench.runShape(shape);
    }
    return new Result(List.copyOf(bench.rows), Map.copyOf(bench.bandwidth), load, loadAverage());
  }

  /** The 1-minute load average from /proc/loadavg, or "unknown". */
  static String loadAverage() {
    try {
      return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
    } catch (java.io.IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /** Every row of a run, the read bandwidth per thread count, and the load average before and after. */
  public record Result(List<Row> rows, Map<Integer, Double> bandwidth, String loadBefore, String loadAfter) {}

  /** One weight under test: a kernel and the sparsity its weight was built with. */
  private record Case(Kernel kernel, double sparsity, LinearWeight weight) {}

  private void runShape(Shape shape) {
    SplittableRandom random = new SplittableRandom(shape.rows() * 31L + shape.cols());
    Tensor dense = uniform(random, shape.rows(), shape.cols());
    Map<Integer, Tensor> xs = new LinkedHashMap<>();
    for (int b : options.batches()) {
      xs.put(b, uniform(random, b, shape.cols()));
    }
    Tensor out = Tensor.allocate(DType.F32, max(options.batches()) * shape.rows());
    List<Case> cases = new ArrayList<>();
    DenseF32Weight denseWeight = new DenseF32Weight(dense);
    cases.add(new Case(Kernel.OPENBLAS_F32, 0.0, denseWeight));
    if (options.kernels().contains(Kernel.DENSE_F32)) {
      cases.add(new Case(Kernel.DENSE_F32, 0.0, denseWeight));
    }
    for (double sparsity : options.sparsities()) {
      Tensor mask = SparsityMasks.random(shape.rows(), shape.cols(), sparsity, random.nextLong());
      for (Kernel k : options.kernels()) {
        if (!k.dense && (!k.is24() || Math.abs(sparsity - 0.5) < 1e-9)) {
          cases.add(new Case(k, sparsity, build(k, dense, mask)));
        }
      }
    }
    // Rounds: every case gets a share of its budget in each round, so that a burst of other work on the machine
    // falls on one round of every case rather than on all the calls of one; each keeps its best call.
    Map<String, Double> best = new LinkedHashMap<>();
    for (int round = 0; round < options.rounds(); round++) {
      for (int threads : options.threads()) {
        try (CpuBackend cpu = new CpuBackend(threads)) {
          OpenBlasMatmul.setThreads(threads);
          for (int batch : options.batches()) {
            for (int i = 0; i < cases.size(); i++) {
              double ms = measure(cases.get(i), cpu, xs.get(batch), out, batch);
              best.merge(i + "/" + threads + "/" + batch, ms, Math::min);
            }
          }
        }
      }
    }
    for (int threads : options.threads()) {
      for (int batch : options.batches()) {
        double openblas = best.get("0/" + threads + "/" + batch);
        for (int i = 0; i < cases.size(); i++) {
          Case c = cases.get(i);
          double ms = best.get(i + "/" + threads + "/" + batch);
          long bytes = c.weight().residentBytes();
          double gbps = bytes / (ms * 1e6);
          Row row = new Row(c.kernel(), shape, c.sparsity(), batch, threads, ms, bytes, gbps,
              gbps / bandwidth.get(threads), openblas / ms);
          rows.add(row);
          log.println(format(row));
        }
      }
    }
  }

  private static LinearWeight build(Kernel k, Tensor dense, Tensor mask) {
    switch (k) {
      case BITMASK_F32: return BitmaskSparseWeight.fromDense(dense, mask, Precision.F32);
      case BITMASK_I8: return BitmaskSparseWeight.fromDense(dense, mask, Precision.INT8);
      case BITMASK_W8A8: return BitmaskSparseWeight.fromDense(dense, mask, Precision.W8A8);
      case SPARSE24_F32: return Sparse24Weight.fromDense(dense, SparsityMasks.twoFour(dense), Precision.F32);
      case SPARSE24_I8: return Sparse24Weight.fromDense(dense, SparsityMasks.twoFour(dense), Precision.INT8);
      case SPARSE24_W8A8: return Sparse24Weight.fromDense(dense, SparsityMasks.twoFour(dense), Precision.W8A8);
      default: throw new IllegalArgumentException(k.id);
    }
  }

  /** Best milliseconds of one case at one batch in this round's share of the budget. */
  private double measure(Case c, CpuBackend cpu, Tensor x, Tensor out, int batch) {
    LinearWeight w = c.weight();
    if (c.kernel() == Kernel.OPENBLAS_F32) {
      FloatPointer o = OpenBlasMatmul.pointer(out);
      FloatPointer xp = OpenBlasMatmul.pointer(x);
      FloatPointer wp = OpenBlasMatmul.pointer(((DenseF32Weight) w).values());
      FloatPointer fp = OpenBlasMatmul.pointer(flush);
      return bestMillis(() -> OpenBlasMatmul.matmul(o, xp, wp, batch, w.rows(), w.cols()),
          () -> OpenBlasMatmul.sum(fp, (int) flush.size()));
    }
    return bestMillis(() -> cpu.matmul(out, x, w, batch),
        () -> SparsejNative.sj_sum_f32(flush.address(), flush.size()));
  }

  private double bestMillis(Runnable call, Runnable evict) {
    try {
      Thread.sleep(20);  // lets the threads of the library measured before go to sleep
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    call.run();  // warm-up: first-touch, thread pools, JIT of the Java side
    long best = Long.MAX_VALUE;
    long start = System.nanoTime();
    int minCalls = (options.minIterations() + options.rounds() - 1) / options.rounds();
    long budgetNanos = options.budgetMillis() * 1_000_000L / options.rounds();
    for (int calls = 0; calls < minCalls || (System.nanoTime() - start) < budgetNanos && calls < 1000; calls++) {
      evict.run();
      long t0 = System.nanoTime();
      call.run();
      best = Math.min(best, System.nanoTime() - t0);
    }
    return best / 1e6;
  }

  private static Tensor uniform(SplittableRandom random, int rows, int cols) {
    Tensor t = Tensor.allocate(DType.F32, rows, cols);
    java.nio.FloatBuffer f = t.floats();
    for (long i = 0; i < t.size(); i++) {
      f.put((float) (random.nextDouble() * 2 - 1));
    }
    return t;
  }

  private static int max(int[] values) {
    return Arrays.stream(values).max().orElse(1);
  }

  static String header() {
    return String.format(Locale.ROOT, "%-13s %-11s %5s %5s %3s %9s %8s %6s %8s", "kernel", "shape", "spars", "batch",
        "thr", "ms", "GB/s", "%bw", "speedup");
  }

  static String format(Row r) {
    return String.format(Locale.ROOT, "%-13s %-11s %4.0f%% %5d %3d %9.3f %8.1f %5.0f%% %7.2fx", r.kernel().id(),
        r.shape(), 100 * r.sparsity(), r.batch(), r.threads(), r.millis(), r.gbps(), 100 * r.bandwidthFraction(),
        r.speedup());
  }
}
