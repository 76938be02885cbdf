package org.sparsej.prune;

import java.util.function.Consumer;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaModel;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.WeightFormat;

/**
 * Prunes each block's linears with one {@link Pruner} (llm-compressor's SparseGPTModifier, WandaPruningModifier,
 * MagnitudePruningModifier). A pruned linear leaves in the sparse format loading it would give
 * ({@link WeightFormat#sparseIfPruned}: 2:4 when every group of 4 keeps at most 2, else sparse-bitmask from
 * {@link WeightFormat#MIN_BITMASK_SPARSITY} zeros on) so that a quantization
 * step after it keeps the zeros (sparse INT8) and the next block is calibrated through the sparse kernels.
 */
public final class PruningModifier implements BlockModifier {
  /** Above this fraction of zeros the model was pruned already: pruning it again compounds the loss. */
  public static final double ALREADY_SPARSE = 0.10;

  private final PruneRecipe recipe;

  public PruningModifier(PruneRecipe recipe) {
    this.recipe = recipe;
  }

  public PruneRecipe recipe() {
    return recipe;
  }

  @Override
  public String name() {
    switch (recipe.method().name()) {
      case "sparsegpt": return "SparseGPTModifier";
      case "wanda": return "WandaPruningModifier";
      default: return "MagnitudePruningModifier";
    }
  }

  @Override
  public String describe() {
    return String.format("%s, %s, sparsity %.2f", recipe.method().name(), recipe.pattern(),
        recipe.targetSparsity());
  }

  @Override
  public Needs needs() {
    return recipe.method().needsCalibration() ? Needs.GRAM : Needs.NONE;
  }

  @Override
  public boolean requiresCalibration() {
    return recipe.method().needsCalibration();
  }

  @Override
  public void validate(LlamaModel model) {
    int layers = model.config().nLayers();
    LinearNames.requireEachSelects(recipe.targets(), layers, name() + " target");
    LinearNames.requireEachSelects(recipe.ignore(), layers, name() + " ignore entry");
    for (int l = 0; l < layers; l++) {
      LinearWeight[] ws = BlockLinears.of(model.weights().layers().get(l));
      for (int i = 0; i < ws.length; i++) {
        if (recipe.prunes(l, i)) {
          recipe.pattern().requireDivides(ws[i].cols(), LinearNames.name(l, i));
        }
      }
    }
    double existing = LayerwisePruning.existingSparsity(model);
    if (existing > ALREADY_SPARSE) {
      throw new SparsejException(String.format("the model is already sparse (%.1f%% of its block weights are "
          + "zero): prune the dense original instead", 100 * existing));
    }
  }

  @Override
  public LayerWeights apply(int block, LayerWeights layer, InputStatistics[] stats,
                            Consumer<LayerwisePruning.LinearReport> report) {
    LinearWeight[] ws = BlockLinears.of(layer);
    LinearWeight[] out = ws.clone();
    Pruner.InputGroup[] groups = new Pruner.InputGroup[BlockLinears.GROUPS];  // opened at a group's first linear
    try {
      for (int i = 0; i < ws.length; i++) {
        String name = LinearNames.name(block, i);
        LinearWeight w = ws[i];
        if (!recipe.prunes(block, i)) {
          report.accept(LayerwisePruning.LinearReport.skipped(name(), name, w));
          continue;
        }
        long start = System.nanoTime();
        int g = BlockLinears.GROUP[i];
        InputStatistics s = stats == null ? null : stats[g];
        if (groups[g] == null) {
          groups[g] = recipe.method().sharing(s);
        }
        double[] values = BlockLinears.toDoubles(w);
        // the original is kept only to measure the error (a copy of the largest linear in double otherwise)
        double[] original = s != null && s.hasGram() ? values.clone() : null;
        double change = groups[g].prune(values, w.rows(), w.cols(), recipe.targetSparsity(), recipe.pattern());
        if (BlockLinears.lastOfGroup(i)) {
          groups[g].close();
          groups[g] = null;
        }
        double error = original == null ? Double.NaN
            : Double.isNaN(change) ? s.relativeError(original, values, w.rows())
            : s.relativeError(original, change, w.rows());
        LinearWeight pruned = BlockLinears.toWeight(values, w.rows(), w.cols());
        long zeros = BlockLinears.countZeros(pruned);  // counted before compression, which a count would undo
        out[i] = WeightFormat.sparseIfPruned(pruned);
        report.accept(new LayerwisePruning.LinearReport(name(), name, w.rows(), w.cols(), zeros, error, (System.nanoTime() - start) / 1e9, false, out[i].format().id(),
            out[i].residentBytes()));
      }
    } finally {
      for (Pruner.InputGroup open : groups) {
        if (open != null) {
          open.close();
        }
      }
    }
    return BlockLinears.with(layer, out);
  }

}
