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
   * @return tr(ΔGΔᵀ), how much the layer's outputs changed over the calibration tokens (G the inputs' Gram matrix,
   *     Δ the change in w), where the method has it at no extra cost; NaN otherwise
   */
  double prune(double[] w, int rows, int cols, InputStatistics inputs, double sparsity, SparsityPattern pattern);

  /**
   * This method for the linears that read {@code inputs} (q, k and v; gate and up): work that depends on the inputs
   * alone is done once for all of them (SparseGPT's Hessian factor) and released on close.
   */
  default InputGroup sharing(InputStatistics inputs) {
    return new InputGroup() {
      @Override
      public double prune(double[] w, int rows, int cols, double sparsity, SparsityPattern pattern) {
        return Pruner.this.prune(w, rows, cols, inputs, sparsity, pattern);
      }

      @Override
      public void close() {
      }
    };
  }

  /** {@link Pruner#prune} for linears that share one set of inputs. */
  interface InputGroup extends AutoCloseable {
    double prune(double[] w, int rows, int cols, double sparsity, SparsityPattern pattern);

    @Override
    void close();
  }

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
