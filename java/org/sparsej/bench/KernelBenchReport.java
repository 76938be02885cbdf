package org.sparsej.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.sparsej.bench.KernelBench.Row;
import org.sparsej.util.SparsejException;

/** Writes a kernel sweep as markdown tables, a CSV of every row, and a PNG of speedup against sparsity. */
public final class KernelBenchReport {
  private KernelBenchReport() {}

  /** Geometric mean of the speedups of rows with this kernel, sparsity, batch and thread count over all shapes. */
  private static Map<String, Double> geomeans(List<Row> rows, int threads) {
    Map<String, List<Double>> groups = new TreeMap<>();
    for (Row r : rows) {
      if (r.threads() == threads) {
        groups.computeIfAbsent(key(r.kernel(), r.sparsity(), r.batch()), k -> new ArrayList<>()).add(r.speedup());
      }
    }
    Map<String, Double> means = new TreeMap<>();
    groups.forEach((k, v) -> means.put(k, Math.exp(v.stream().mapToDouble(Math::log).average().orElse(0))));
    return means;
  }

  private static String key(String k, double sparsity, int batch) {
    return k + "|" + Math.round(sparsity * 100) + "|" + batch;
  }

  /** Markdown: the read bandwidth, the speedup table per thread count, and the batch-1 rows of each shape. */
  public static String markdown(KernelBench.Result result, String command) {
    List<Row> rows = result.rows();
    StringBuilder md = new StringBuilder();
    md.append("Made by `").append(command).append("` (load average ").append(result.loadBefore())
        .append(" before, ").append(result.loadAfter()).append(" after).\n\n");
    md.append("- CPU: ").append(MachineInfo.cpuModel()).append("; kernels: ").append(MachineInfo.isa())
        .append("; core clock: ").append(MachineInfo.coreClock()).append('\n');
    result.bandwidth().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> md.append(
        String.format(Locale.ROOT, "- Read bandwidth, %d thread(s): %.1f GB/s%n", e.getKey(), e.getValue())));
    TreeSet<Integer> batches = rows.stream().map(Row::batch).collect(Collectors.toCollection(TreeSet::new));
    TreeSet<Integer> threads = rows.stream().map(Row::threads).collect(Collectors.toCollection(TreeSet::new));
    for (int t : threads.descendingSet()) {
      Map<String, Double> means = geomeans(rows, t);
      md.append(String.format(Locale.ROOT, "%n**Speedup over OpenBLAS dense FP32, %d thread(s)** (geometric mean over"
          + " the shapes; dense formats run at 0%%, 2:4 at 50%% by construction)%n%n| kernel | sparsity |", t));
      batches.forEach(b -> md.append(" batch ").append(b).append(" |"));
      md.append("\n| --- | --- |");
      batches.forEach(b -> md.append(" --- |"));
      md.append('\n');
      rows.stream().map(r -> r.kernel() + "|" + Math.round(r.sparsity() * 100)).distinct().forEach(ks -> {
        String[] parts = ks.split("\\|");
        md.append("| ").append(parts[0]).append(" | ").append(parts[1]).append("% |");
        for (int b : batches) {
          Double m = means.get(ks + "|" + b);
          md.append(m == null ? " |" : String.format(Locale.ROOT, " %.2fx |", m));
        }
        md.append('\n');
      });
    }
    int maxThreads = threads.last();
    md.append(String.format(Locale.ROOT, "%n**Batch 1, %d thread(s), per shape**%n%n| kernel | shape | sparsity | ms |"
        + " GB/s | %% of read bandwidth | speedup |%n| --- | --- | --- | --- | --- | --- | --- |%n", maxThreads));
    for (Row r : rows) {
      if (r.batch() == 1 && r.threads() == maxThreads) {
        md.append(String.format(Locale.ROOT, "| %s | %s | %.0f%% | %.3f | %.1f | %.0f%%%s | %.2fx |%n", r.kernel(),
            r.shape(), 100 * r.sparsity(), r.millis(), r.gbps(), 100 * r.bandwidthFraction(),
            KernelBench.aboveBandwidth(r) ? KernelBench.ABOVE_BANDWIDTH_MARK : "", r.speedup()));
      }
    }
    long above = rows.stream().filter(KernelBench::aboveBandwidth).count();
    if (above > 0) {
      md.append('\n').append(KernelBench.ABOVE_BANDWIDTH_NOTE.replace("N ", above + " ")).append('\n');
    }
    return md.toString();
  }

  public static String csv(KernelBench.Result result) {
    StringBuilder csv = new StringBuilder("kernel,rows,cols,sparsity,batch,threads,ms,weight_bytes,gbps,"
        + "bandwidth_fraction,speedup_vs_openblas\n");
    for (Row r : result.rows()) {
      csv.append(String.format(Locale.ROOT, "%s,%d,%d,%.2f,%d,%d,%.4f,%d,%.2f,%.3f,%.3f%n", r.kernel(),
          r.shape().rows(), r.shape().cols(), r.sparsity(), r.batch(), r.threads(), r.millis(), r.weightBytes(),
          r.gbps(), r.bandwidthFraction(), r.speedup()));
    }
    return csv.toString();
  }

  /** Speedup over OpenBLAS dense FP32 against sparsity, one line per kernel, at one batch and thread count. */
  public static void plot(KernelBench.Result result, int batch, int threads, Path png) {
    XYChart chart = new XYChartBuilder().width(900).height(560)
        .title(String.format(Locale.ROOT, "Matmul speedup over OpenBLAS dense FP32 (batch %d, %d threads)",
            batch, threads))
        .xAxisTitle("sparsity (%)").yAxisTitle("speedup (geometric mean over shapes)").build();
    chart.getStyler().setMarkerSize(8);
    Map<String, Double> means = geomeans(result.rows(), threads);
    Map<String, TreeMap<Double, Double>> lines = new TreeMap<>();
    means.forEach((k, v) -> {
      String[] parts = k.split("\\|");
      if (Integer.parseInt(parts[2]) == batch) {
        lines.computeIfAbsent(parts[0], x -> new TreeMap<>()).put(Double.parseDouble(parts[1]), v);
      }
    });
    if (lines.isEmpty()) {
      throw new SparsejException("plot: no rows at batch " + batch + " with " + threads + " threads");
    }
    lines.forEach((k, points) -> {
      var series = chart.addSeries(k, new ArrayList<>(points.keySet()), new ArrayList<>(points.values()));
      series.setMarker(SeriesMarkers.CIRCLE);
    });
    try {
      Path dir = png.toAbsolutePath().getParent();
      if (dir != null) {
        Files.createDirectories(dir);
      }
      BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    } catch (IOException e) {
      throw new SparsejException("plot: cannot write " + png + " (" + e.getMessage() + ")");
    }
  }
}
