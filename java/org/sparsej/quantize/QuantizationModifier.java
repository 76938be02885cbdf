package org.sparsej.quantize;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaModel;
import org.sparsej.prune.BlockLinears;
import org.sparsej.prune.BlockModifier;
import org.sparsej.prune.InputStatistics;
import org.sparsej.prune.LayerwisePruning;
import org.sparsej.prune.LinearNames;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.LinearWeight;

/**
 * llm-compressor's QuantizationModifier with a preset {@code scheme} (W8A8 or W8A16): every targeted linear not
 * ignored becomes INT8, one symmetric scale per output row, keeping its sparsity. An {@code ignore} entry
 * {@code auto:K} keeps the K linears that {@link SelectiveRanking} finds most sensitive in FP32. With calibration
 * text each linear's relative output error ‖(W−Ŵ)X‖²/‖WX‖² from its weight rounding is reported (the per-token
 * activation rounding of W8A8 is not in it; the ranking's perplexity change includes both).
 */
public final class QuantizationModifier implements BlockModifier {
  private final QuantizationScheme scheme;
  private final List<String> targets;
  private final List<String> ignore;
  private final int autoKeep;
  private final int rankSamples;
  private final boolean classifier;  // a target names lm_head and no ignore entry does
  private final Set<String> keptBySensitivity = new HashSet<>();
  private List<SelectiveRanking.Entry> ranking = List.of();

  /**
   * @param ignore names (see {@link LinearNames}) and at most one {@code auto:K}
   * @param rankSamples calibration sequences the sensitivity ranking measures perplexity on
   */
  public QuantizationModifier(QuantizationScheme scheme, List<String> targets, List<String> ignore, int rankSamples) {
    this.scheme = scheme;
    this.targets = List.copyOf(targets);
    List<String> names = new ArrayList<>();
    int keep = 0;
    for (String e : ignore) {
      if (e.startsWith("auto:")) {
        try {
          keep = Integer.parseInt(e.substring(5).trim());
        } catch (NumberFormatException x) {
          keep = -1;
        }
        if (keep < 0) {
          throw new SparsejException("ignore entry '" + e + "': auto:K needs a whole number K >= 0");
        }
      } else {
        names.add(e);
      }
    }
    this.ignore = List.copyOf(names);
    this.classifier = LinearNames.anyNamesLmHead(targets) && !LinearNames.anyNamesLmHead(names);
    this.autoKeep = keep;
    if (rankSamples < 1) {
      throw new SparsejException("the sensitivity ranking needs at least one sample, got " + rankSamples);
    }
    this.rankSamples = rankSamples;
  }

  public QuantizationScheme scheme() {
    return scheme;
  }

  /** The sensitivity ranking of the last run (empty unless auto:K was asked). */
  public List<SelectiveRanking.Entry> ranking() {
    return ranking;
  }

  @Override
  public String name() {
    return "QuantizationModifier";
  }

  @Override
  public String describe() {
    return "scheme " + scheme + (classifier ? ", lm_head too" : "") + (autoKeep > 0 ? ", the " + autoKeep + " most sensitive kept FP32" : "")
        + (ignore.isEmpty() ? "" : ", ignore " + ignore);
  }

  @Override
  public Needs needs() {
    return Needs.GRAM;
  }

  @Override
  public boolean requiresCalibration() {
    return autoKeep > 0;
  }

  private boolean candidate(int layer, int index) {
    return LinearNames.anySelects(targets, layer, index) && !LinearNames.anySelects(ignore, layer, index);
  }

  @Override
  public void validate(LlamaModel model) {
    int layers = model.config().nLayers();
    LinearNames.requireEachSelects(targets, layers, name() + " target");
    LinearNames.requireEachSelects(ignore, layers, name() + " ignore entry");
    int candidates = 0;
    for (int l = 0; l < layers; l++) {
      for (int i = 0; i < LinearNames.SHORT.size(); i++) {
        candidates += candidate(l, i) ? 1 : 0;
      }
    }
    if (autoKeep > candidates) {
      throw new SparsejException("ignore auto:" + autoKeep + " asks to keep more linears than the " + candidates
          + " that would be quantized");
    }
  }

  @Override
  public boolean preparesOnWholeModel() {
    return autoKeep > 0;
  }

  @Override
  public void prepare(LlamaModel model, Context context) {
    keptBySensitivity.clear();
    if (autoKeep == 0) {
      return;
    }
    ranking = SelectiveRanking.rank(model, context, scheme::quantize, this::candidate, rankSamples);
    for (String line : SelectiveRanking.table(ranking, autoKeep)) {
      context.log(line);
    }
    for (int r = 0; r < autoKeep; r++) {
      keptBySensitivity.add(ranking.get(r).name());
    }
  }

  @Override
  public LayerWeights apply(int block, LayerWeights layer, InputStatistics[] stats,
                            Consumer<LayerwisePruning.LinearReport> report) {
    LinearWeight[] ws = BlockLinears.of(layer);
    LinearWeight[] out = ws.clone();
    for (int i = 0; i < ws.length; i++) {
      String name = LinearNames.name(block, i);
      if (!candidate(block, i) || keptBySensitivity.contains(name)) {
        report.accept(LayerwisePruning.LinearReport.skipped(name(), name, ws[i]));
        continue;
      }
      long start = System.nanoTime();
      out[i] = scheme.quantize(ws[i]);
      InputStatistics s = stats == null ? null : stats[BlockLinears.GROUP[i]];
      double error = s == null ? Double.NaN
          : s.relativeError(BlockLinears.toDoubles(ws[i]), BlockLinears.toDoubles(out[i]), ws[i].rows());
      report.accept(new LayerwisePruning.LinearReport(name(), name, ws[i].rows(), ws[i].cols(),
          BlockLinears.countZeros(out[i]), error, (System.nanoTime() - start) / 1e9, false, out[i].format().id(),
          out[i].residentBytes()));
    }
    return BlockLinears.with(layer, out);
  }

  /** INT8 too when a target names lm_head (no calibration error: its input is the final norm's output). */
  @Override
  public LinearWeight classifier(LinearWeight w, Consumer<LayerwisePruning.LinearReport> report) {
    if (!classifier) {
      return w;
    }
    long start = System.nanoTime();
    LinearWeight q = scheme.quantizeClassifier(w);
    report.accept(new LayerwisePruning.LinearReport(name(), "lm_head", w.rows(), w.cols(), BlockLinears.countZeros(q),
        Double.NaN, (System.nanoTime() - start) / 1e9, false, q.format().id(), q.residentBytes()));
    return q;
  }
}
