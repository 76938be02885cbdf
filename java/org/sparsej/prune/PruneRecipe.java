package org.sparsej.prune;

import java.util.List;
import org.sparsej.util.SparsejException;

/**
 * One pruning run, named as in llm-compressor's recipes: the method, the target {@code sparsity}, the
 * {@code mask_structure} pattern, the linears it {@code targets} and those to {@code ignore} (entries as
 * {@link LinearNames} reads them: "w2", "layers.0", "re:.*down_proj", "Linear"). Embeddings, norms and the
 * classifier are never pruned.
 */
public record PruneRecipe(Pruner method, double sparsity, SparsityPattern pattern, List<String> targets,
                          List<String> ignore) {
  /** Names that refer to the always-dense parts; accepted in ignore lists and matching no block linear. */
  public static final List<String> ALWAYS_DENSE = LinearNames.ALWAYS_DENSE;

  public PruneRecipe {
    if (!(sparsity >= 0 && sparsity < 1)) {
      throw new SparsejException("sparsity must be in [0, 1), got " + sparsity);
    }
    targets = List.copyOf(targets);
    ignore = List.copyOf(ignore);
  }

  /** Every block linear but those in {@code ignore}. */
  public PruneRecipe(Pruner method, double sparsity, SparsityPattern pattern, List<String> ignore) {
    this(method, sparsity, pattern, List.of("Linear"), ignore);
  }

  /** The fraction of zeros asked of each pruned linear. */
  public double targetSparsity() {
    return pattern.sparsity(sparsity);
  }

  /** Whether linear {@code index} (LayerWeights order) of block {@code layer} is pruned. */
  public boolean prunes(int layer, int index) {
    return LinearNames.anySelects(targets, layer, index) && !LinearNames.anySelects(ignore, layer, index);
  }
}
