package org.sparsej.prune;

import org.bytedeco.javacpp.DoublePointer;

/**
 * SparseGPT's view of a linear group's inputs: U with H⁻¹ = Uᵀ·U for the dampened Hessian H = G + damp·I, where G
 * is the inputs' Gram matrix, damp a fraction of its mean diagonal, and inputs that never fire (G_ii = 0) get
 * H_ii = 1 + damp so that H stays invertible. It depends on the inputs alone, so q, k and v (gate and up) share one.
 * Off-heap [cols][cols] (strict lower part unspecified); close frees it.
 */
final class HessianFactor implements AutoCloseable {
  private final DoublePointer u;
  private final boolean[] dead;
  private final double damp;

  private HessianFactor(DoublePointer u, boolean[] dead, double damp) {
    this.u = u;
    this.dead = dead;
    this.damp = damp;
  }

  static HessianFactor of(InputStatistics inputs, double dampening) {
    int cols = inputs.cols();
    DoublePointer h = DoubleBlas.copyOf(inputs.gram());
    boolean[] dead = new boolean[cols];
    double[] diag = new double[cols];
    double meanDiag = 0;
    for (int i = 0; i < cols; i++) {
      diag[i] = h.get((long) i * cols + i);
      if (diag[i] == 0) {  // dead input: nothing to preserve, keep H invertible
        diag[i] = 1;
        dead[i] = true;
      }
      meanDiag += diag[i];
    }
    double damp = dampening * meanDiag / cols;
    for (int i = 0; i < cols; i++) {
      h.put((long) i * cols + i, diag[i] + damp);
    }
    try {
      Cholesky.upperOfInverse(h, cols);
    } catch (RuntimeException e) {
      h.close();
      throw e;
    }
    return new HessianFactor(h, dead, damp);
  }

  DoublePointer u() {
    return u;
  }

  /** What was added to the Gram matrix's diagonal. */
  double damp() {
    return damp;
  }

  /** Zeroes the weights of dead inputs in w [rows][cols]: they change no output. */
  void zeroDeadInputs(double[] w, int rows) {
    int cols = dead.length;
    for (int i = 0; i < cols; i++) {
      if (dead[i]) {
        for (int r = 0; r < rows; r++) {
          w[r * cols + i] = 0;
        }
      }
    }
  }

  @Override
  public void close() {
    u.close();
  }
}
