package org.sparsej.quantize;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaConfig;
import org.sparsej.model.LlamaModel;
import org.sparsej.prune.BlockLinears;
import org.sparsej.prune.BlockModifier;
import org.sparsej.prune.InputStatistics;
import org.sparsej.prune.LayerwisePruning;
import org.sparsej.prune.LinearNames;
import org.sparsej.weights.LinearWeight;

/**
 * llm-compressor's SmoothQuantModifier: {@link SmoothQuant} on each block, from the input ranges the block sees
 * when the blocks before it are already smoothed. {@code ignore} leaves a mapping out in a block when one of the
 * linears it would rescale is ignored.
 */
public final class SmoothQuantModifier implements BlockModifier {
  /** Which linears each mapping rescales (LayerWeights order). */
  private static final int[][] TOUCHES = {{0, 1, 2}, {4, 6}, {2, 3}, {5, 6}};

  private final double alpha;
  private final Set<SmoothQuant.Mapping> mappings;
  private final List<String> ignore;
  private LlamaConfig config;

  public SmoothQuantModifier(double alpha, Set<SmoothQuant.Mapping> mappings, List<String> ignore) {
    SmoothQuant.requireAlpha(alpha);
    this.alpha = alpha;
    this.mappings = mappings.isEmpty() ? EnumSet.noneOf(SmoothQuant.Mapping.class) : EnumSet.copyOf(mappings);
    this.ignore = List.copyOf(ignore);
  }

  /** All four mappings, nothing ignored. */
  public SmoothQuantModifier(double alpha) {
    this(alpha, EnumSet.allOf(SmoothQuant.Mapping.class), List.of());
  }

  public double alpha() {
    return alpha;
  }

  public Set<SmoothQuant.Mapping> mappings() {
    return mappings;
  }

  @Override
  public String name() {
    return "SmoothQuantModifier";
  }

  @Override
  public String describe() {
    return "smoothing_strength " + alpha + ", mappings " + mappings;
  }

  @Override
  public Needs needs() {
    return Needs.RANGES;
  }

  @Override
  public boolean requiresCalibration() {
    return true;
  }

  @Override
  public void validate(LlamaModel model) {
    LinearNames.requireEachSelects(ignore, model.config().nLayers(), name() + " ignore entry");
    config = model.config();
  }

  @Override
  public LayerWeights apply(int block, LayerWeights layer, InputStatistics[] stats,
                            Consumer<LayerwisePruning.LinearReport> report) {
    long start = System.nanoTime();
    Set<SmoothQuant.Mapping> here = EnumSet.noneOf(SmoothQuant.Mapping.class);
    boolean[] touched = new boolean[LinearNames.SHORT.size()];
    for (SmoothQuant.Mapping m : mappings) {
      boolean skip = false;
      for (int i : TOUCHES[m.ordinal()]) {
        skip |= LinearNames.anySelects(ignore, block, i);
      }
      if (!skip) {
        here.add(m);
        for (int i : TOUCHES[m.ordinal()]) {
          touched[i] = true;
        }
      }
    }
    LayerWeights smoothed = SmoothQuant.smooth(config, layer, stats, alpha, here);
    double seconds = (System.nanoTime() - start) / 1e9;
    LinearWeight[] ws = BlockLinears.of(smoothed);
    for (int i = 0; i < ws.length; i++) {
      String name = LinearNames.name(block, i);
      LinearWeight w = ws[i];
      report.accept(touched[i]
          ? new LayerwisePruning.LinearReport(name(), name, w.rows(), w.cols(), BlockLinears.countZeros(w),
              Double.NaN, seconds / ws.length, false, w.format().id(), w.residentBytes())
          : LayerwisePruning.LinearReport.skipped(name(), name, w));
    }
    return smoothed;
  }
}
