package org.sparsej.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.sparsej.bench.KernelBench;
import org.sparsej.bench.KernelBench.Shape;
import org.sparsej.bench.KernelBenchReport;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.WeightFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sparsej bench kernels}: every weight format's matmul kernel against OpenBLAS, with the read bandwidth. */
@Command(name = "kernels", mixinStandardHelpOptions = true,
    description = {"Time the matmul kernel of every weight format (dense f32, q8_0, q4_0, dense w8a16 / w8a8; "
        + "sparse-bitmask and 2:4 in f32, int8 weight-only and w8a8) against OpenBLAS dense FP32 (sgemv/sgemm) on "
        + "the same shapes, in one run. Dense formats run once per shape, 2:4 at 50%% sparsity.",
        "One row per measurement: best ms of repeated calls (weights evicted from the caches before each call), "
        + "GB/s of weights read, %% of the read bandwidth measured at the start of the run (! above it), speedup over "
        + "OpenBLAS; the CPU, kernel ISA and load average at start and end.",
        "A full sweep takes about 12 minutes on 2 cores; --quick about 2."})
final class BenchKernelsCommand implements Callable<Integer> {
  @Option(names = "--shapes", split = ",", paramLabel = "SHAPE",
      description = "Shape sets (llama2-7b, tinyllama) or ROWSxCOLS (default: llama2-7b,tinyllama).")
  List<String> shapes = List.of("llama2-7b", "tinyllama");

  @Option(names = "--sparsities", split = ",", paramLabel = "PCT",
      description = "Sparsities of the bitmask kernels in percent; 2:4 runs at 50 only (default: 0,50,60,70,80,90).")
  List<Double> sparsities = List.of(0.0, 50.0, 60.0, 70.0, 80.0, 90.0);

  @Option(names = "--batches", split = ",", paramLabel = "N",
      description = "Tokens per matmul: 1 is decode, more is prefill (default: 1,8,64,256).")
  List<Integer> batches = List.of(1, 8, 64, 256);

  @Option(names = "--kernels", split = ",", paramLabel = "KERNEL",
      description = "Weight formats: dense-f32, q8_0, q4_0, dense-w8a16, dense-w8a8, sparse-bitmask-f32|i8|w8a8, "
          + "sparse-2:4-f32|i8|w8a8 ('sparse-' may be left out; default: all; openblas-f32 always runs: it is the "
          + "reference).")
  List<String> kernels;

  @Option(names = {"-t", "--threads"}, split = ",", paramLabel = "N",
      description = "Thread counts (default: 1,2).")
  List<Integer> threads = List.of(1, 2);

  @Option(names = "--budget-ms", paramLabel = "MS",
      description = "Time spent per measurement; the fastest call is kept (default: ${DEFAULT-VALUE}).")
  long budgetMillis = 250;

  @Option(names = "--min-iterations", paramLabel = "N", description = "Calls per measurement at least "
      + "(default: ${DEFAULT-VALUE}).")
  int minIterations = 5;

  @Option(names = "--rounds", paramLabel = "N", description = "Rounds over all kernels of a shape; each gets "
      + "1/N of its budget per round and keeps its best call (default: ${DEFAULT-VALUE}).")
  int rounds = 3;

  @Option(names = "--bandwidth-mb", paramLabel = "MB",
      description = "Buffer for the read-bandwidth probe; far above the caches (default: ${DEFAULT-VALUE}).")
  int bandwidthMb = 1024;

  @Option(names = "--quick", description = "Preset: llama2-7b shapes, sparsities 50,70, batches 1,64, 2 threads, "
      + "150 ms per measurement (other options given still apply on top).")
  boolean quick;

  @Option(names = "--markdown", paramLabel = "FILE", description = "Also write the tables as markdown to FILE.")
  Path markdown;

  @Option(names = "--csv", paramLabel = "FILE", description = "Also write every row as CSV to FILE.")
  Path csv;

  @Option(names = "--plot", paramLabel = "FILE.png",
      description = "Also draw speedup against sparsity (batch 1, most threads), one line per kernel, to FILE.png.")
  Path plot;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (quick) {
      applyQuickPreset();
    }
    KernelBench.Options options = new KernelBench.Options(parseShapes(), sparsities.stream()
        .mapToDouble(p -> checkedPercent(p) / 100.0).toArray(), positive(batches, "--batches"), parseKernels(),
        threadCounts(), budgetMillis, Math.max(1, minIterations), Math.max(1, rounds),
        (long) Math.max(1, bandwidthMb) << 20);
    KernelBench.Result result = KernelBench.run(options, System.out);
    // originalArgs() is the whole command line from "bench" on.
    String command = "sparsej " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
    if (markdown != null) {
      Files.writeString(markdown, KernelBenchReport.markdown(result, command.trim()));
    }
    if (csv != null) {
      Files.writeString(csv, KernelBenchReport.csv(result));
    }
    if (plot != null) {
      int most = threads.stream().mapToInt(Integer::intValue).max().orElse(1);
      KernelBenchReport.plot(result, 1, most, plot);
    }
    return 0;
  }

  private void applyQuickPreset() {
    var parse = spec.commandLine().getParseResult();
    if (!parse.hasMatchedOption("--shapes")) {
      shapes = List.of("llama2-7b");
    }
    if (!parse.hasMatchedOption("--sparsities")) {
      sparsities = List.of(50.0, 70.0);
    }
    if (!parse.hasMatchedOption("--batches")) {
      batches = List.of(1, 64);
    }
    if (!parse.hasMatchedOption("--threads")) {
      threads = List.of(2);
    }
    if (!parse.hasMatchedOption("--budget-ms")) {
      budgetMillis = 150;
    }
  }

  private List<Shape> parseShapes() {
    List<Shape> out = new ArrayList<>();
    for (String s : shapes) {
      List<Shape> set = KernelBench.SHAPE_SETS.get(s.trim().toLowerCase(java.util.Locale.ROOT));
      if (set != null) {
        out.addAll(set);
        continue;
      }
      String[] rc = s.trim().toLowerCase(java.util.Locale.ROOT).split("x");
      try {
        if (rc.length == 2) {
          int rows = Integer.parseInt(rc[0]);
          int cols = Integer.parseInt(rc[1]);
          if (rows > 0 && cols > 0) {
            out.add(new Shape(s.trim(), rows, cols));
            continue;
          }
        }
      } catch (NumberFormatException ignored) {
        // falls through to the error below
      }
      throw new SparsejException("--shapes: '" + s + "' is neither a shape set " + KernelBench.SHAPE_SETS.keySet()
          + " nor ROWSxCOLS");
    }
    return out;
  }

  private List<WeightFormat> parseKernels() {
    if (kernels == null) {
      return Arrays.asList(WeightFormat.values());
    }
    List<WeightFormat> out = new ArrayList<>();
    for (String k : kernels) {
      WeightFormat parsed = KernelBench.parseKernel(k);
      if (!out.contains(parsed)) {
        out.add(parsed);
      }
    }
    return out;
  }

  private static double checkedPercent(double p) {
    if (p < 0 || p > 100) {
      throw new SparsejException("--sparsities: " + p + " is not a percentage in [0, 100]");
    }
    return p;
  }

  private int[] threadCounts() {
    for (int n : threads) {
      String problem = org.sparsej.backend.Backends.threadsProblem(n);
      if (problem != null) {
        throw new SparsejException("--threads " + problem);
      }
    }
    return positive(threads, "--threads");
  }

  private static int[] positive(List<Integer> values, String option) {
    for (int v : values) {
      if (v < 1) {
        throw new SparsejException(option + ": " + v + " must be at least 1");
      }
    }
    return values.stream().mapToInt(Integer::intValue).toArray();
  }
}
