package org.sparsej.prune;

/** A one-shot pruning method for one linear layer W [rows][cols] (y = W·x). */
public interface Pruner {
  /** "magnitude", "wanda" or "sparsegpt". */
  String name();

  /** Whether {@link #prune} reads the input statistics (if not, calibration forward passes are skipped). */
  default boolean needsCalibration() {
    return true;
  }

  /**
   * Sets weights of {@code w} (row-major [rows][cols], changed in place) to zero so that the pattern holds and the
   * requested fraction of zeros is reached, and may update the others to compensate.
   *
   * @param inputs statistics of the layer's inputs over the calibration tokens (unused by magnitude)
   * @param sparsity fraction of zeros for unstructured patterns, in [0, 1); ignored for n:m
   */
  void prune(double[] w, int rows, int cols, InputStatistics inputs, double sparsity, SparsityPattern pattern);

  static Pruner named(String name) {
    switch (name.toLowerCase(java.util.Locale.ROOT)) {
      case "magnitude": return new Magnitude();
      case "wanda": return new Wanda();
      case "sparsegpt": return new SparseGpt();
      default:
        throw new org.sparsej.util.SparsejException("unknown pruning method '" + name
            + "' (expected sparsegpt, wanda or magnitude)");
    }
  }
}
