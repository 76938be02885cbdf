package org.sparsej.prune;

import java.util.List;
import org.sparsej.util.SparsejException;

/**
 * One pruning run, named as in llm-compressor's recipes: the method, the target {@code sparsity}, the
 * {@code mask_structure} pattern, and the linears to {@code ignore} (block linears are named
 * {@code layers.L.wq|wk|wv|wo|w1|w2|w3}; an entry matches a name exactly, as its suffix after a dot, or as its
 * prefix up to a dot: "w2", "layers.0", "layers.3.wq"). Embeddings, norms and the classifier are never pruned.
 */
public record PruneRecipe(Pruner method, double sparsity, SparsityPattern pattern, List<String> ignore) {
  /** Names that refer to the always-dense parts; accepted in ignore lists and matching no block linear. */
  public static final List<String> ALWAYS_DENSE = List.of("lm_head", "classifier", "embed_tokens", "embedding");

  public PruneRecipe {
    if (!(sparsity >= 0 && sparsity < 1)) {
      throw new SparsejException("sparsity must be in [0, 1), got " + sparsity);
    }
    ignore = List.copyOf(ignore);
  }

  /** The fraction of zeros asked of each pruned linear. */
  public double targetSparsity() {
    return pattern.sparsity(sparsity);
  }

  public boolean ignores(String linear) {
    for (String entry : ignore) {
      if (linear.equals(entry) || linear.endsWith("." + entry) || linear.startsWith(entry + ".")) {
        return true;
      }
    }
    return false;
  }
}
