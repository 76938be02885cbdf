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
import org.sparsej.backend.OpenBlasMatmul;
import org.sparsej.nativeops.NativeLibrary;
import org.sparsej.nativeops.SparsejNative;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.Q8_0Weight;
import org.sparsej.weights.SparsityMasks;
import org.sparsej.weights.StoredWeight.Layout;
import org.sparsej.weights.WeightFormat;

/**
 * The kernel sweep behind {@code sparsej bench kernels}: the native matmul of every weight format (one kernel per
 * {@link WeightFormat} row: dense F32, Q8_0, dense W8A16 / W8A8, sparse-bitmask and 2:4 in f32 / int8 / w8a8)
 * against OpenBLAS dense float32 on the same shapes, in one run, with the machine's read bandwidth beside them.
 *
 * <p>Each timed call starts with cold weights: a read of twice the last-level cache (sysfs; 64 MiB at least)
 * evicts them from the caches first, as in decode, where
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

  /** The reference every row is compared with: OpenBLAS dense float32 (sgemv / sgemm). */
  public static final String OPENBLAS = "openblas-f32";

  /**
   * A weight format by id ({@link WeightFormat#id}); the ids of earlier versions without "sparse-"
   * ("bitmask-f32", "2:4-w8a8") are accepted too.
   */
  public static WeightFormat parseKernel(String id) {
    String k = id.trim().toLowerCase(Locale.ROOT);
    for (WeightFormat f : WeightFormat.values()) {
      if (f.id().equals(k) || f.id().equals("sparse-" + k)) {
        return f;
      }
    }
    throw new SparsejException("unknown kernel '" + id + "' (expected one of " + Arrays.stream(WeightFormat.values())
        .map(WeightFormat::id).toList() + "; " + OPENBLAS + " always runs)");
  }

  /** What to sweep. Sparsities are fractions in [0, 1]. */
  public record Options(List<Shape> shapes, double[] sparsities, int[] batches, List<WeightFormat> kernels,
                        int[] threads,
                        long budgetMillis, int minIterations, int rounds, long bandwidthBytes) {}

  /**
   * One measurement of a kernel (a weight format's id, or {@link #OPENBLAS}). {@code speedup} is OpenBLAS dense
   * f32's best time over this kernel's, same run.
   */
  public record Row(String kernel, Shape shape, double sparsity, int batch, int threads, double millis,
                    long weightBytes, double gbps, double bandwidthFraction, double speedup) {}

  public static final Map<String, List<Shape>> SHAPE_SETS = new LinkedHashMap<>();

  static {
    SHAPE_SETS.put("llama2-7b", List.of(new Shape("llama2-7b attn", 4096, 4096),
        new Shape("llama2-7b up", 11008, 4096), new Shape("llama2-7b down", 4096, 11008)));
    SHAPE_SETS.put("tinyllama", List.of(new Shape("tinyllama attn", 2048, 2048),
        new Shape("tinyllama up", 5632, 2048), new Shape("tinyllama down", 2048, 5632)));
  }

  /** The machine's last-level cache (sysfs; -1 unknown) and the read that evicts the weights: twice it at least. */
  static final long LLC_BYTES = CacheSize.lastLevelBytes();
  static final long FLUSH_BYTES = CacheSize.evictionBytes(LLC_BYTES);

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
    out.println(MachineInfo.line());
    out.println("cpu features: " + SparsejNative.sj_cpu_features());
    out.println("openblas: " + OpenBlasMatmul.describe());
    String load = loadAverage();
    out.println("load average at start: " + load + " (other work on the machine skews timings)");
    out.printf(Locale.ROOT, "cache eviction: a %d MiB read before each timed call (last-level cache %s)%n",
        FLUSH_BYTES >> 20, LLC_BYTES > 0 ? (LLC_BYTES >> 20) + " MiB per sysfs" : "unknown: sysfs gives no size");
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
    long above = bench.rows.stream().filter(KernelBench::aboveBandwidth).count();
    if (above > 0) {
      out.println(ABOVE_BANDWIDTH_NOTE.replace("N ", above + " "));
    }
    out.println(MachineInfo.line() + " (at the end)");
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

  /** One weight under test: its kernel's name and the sparsity its weight was built with. */
  private record Case(String kernel, double sparsity, LinearWeight weight) {}

  private void runShape(Shape shape) {
    SplittableRandom random = new SplittableRandom(shape.rows() * 31L + shape.cols());
    Tensor dense = uniform(random, shape.rows(), shape.cols());
    Map<Integer, Tensor> xs = new LinkedHashMap<>();
    for (int b : options.batches()) {
      xs.put(b, uniform(random, b, shape.cols()));
    }
    Tensor out = Tensor.allocate(DType.F32, max(options.batches()) * shape.rows());
    List<Case> cases = new ArrayList<>();
    cases.add(new Case(OPENBLAS, 0.0, new DenseF32Weight(dense)));
    // Dense formats run once per shape, bitmask ones at every sparsity, 2:4 ones at 50% (their sparsity).
    for (WeightFormat f : options.kernels()) {
      if (f.storedLayout() == Layout.DENSE && fits(f, shape)) {
        cases.add(new Case(f.id(), 0.0, f.fromDense(dense, null)));
      }
    }
    for (double sparsity : options.sparsities()) {
      Tensor mask = SparsityMasks.random(shape.rows(), shape.cols(), sparsity, random.nextLong());
      for (WeightFormat f : options.kernels()) {
        if (f.storedLayout() == Layout.BITMASK) {
          cases.add(new Case(f.id(), sparsity, f.fromDense(dense, mask)));
        } else if (f.storedLayout() == Layout.TWO_FOUR && Math.abs(sparsity - 0.5) < 1e-9 && fits(f, shape)) {
          cases.add(new Case(f.id(), sparsity, f.fromDense(dense, SparsityMasks.twoFour(dense))));
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

  /** Q8_0 and Q4_0 need whole blocks of 32 columns, 2:4 whole groups of 4. */
  private static boolean fits(WeightFormat f, Shape shape) {
    return f == WeightFormat.Q8_0 || f == WeightFormat.Q4_0 ? shape.cols() % Q8_0Weight.BLOCK == 0
        : f.storedLayout() != Layout.TWO_FOUR || shape.cols() % 4 == 0;
  }

  /** Best milliseconds of one case at one batch in this round's share of the budget. */
  private double measure(Case c, CpuBackend cpu, Tensor x, Tensor out, int batch) {
    LinearWeight w = c.weight();
    if (c.kernel().equals(OPENBLAS)) {
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

  /** Marks a figure above what the probe read: the weights came (partly) from cache, or the probe ran slow. */
  static final String ABOVE_BANDWIDTH_MARK = " !";

  static final String ABOVE_BANDWIDTH_NOTE = "! N rows read weights faster than the read bandwidth measured at the "
      + "start: they were (partly) served from cache, or the probe ran during other work; do not quote them as "
      + "memory-bound figures.";

  /** Whether a row's GB/s of weights exceeds the read bandwidth measured for its thread count. */
  static boolean aboveBandwidth(Row r) {
    return r.bandwidthFraction() > 1.0;
  }

  static String header() {
    return String.format(Locale.ROOT, "%-19s %-11s %5s %5s %3s %9s %8s %6s %8s", "kernel", "shape", "spars", "batch",
        "thr", "ms", "GB/s", "%bw", "speedup");
  }

  static String format(Row r) {
    return String.format(Locale.ROOT, "%-19s %-11s %4.0f%% %5d %3d %9.3f %8.1f %5.0f%% %7.2fx", r.kernel(),
        r.shape(), 100 * r.sparsity(), r.batch(), r.threads(), r.millis(), r.gbps(), 100 * r.bandwidthFraction(),
        r.speedup());
  }
}
