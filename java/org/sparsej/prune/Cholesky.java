package org.sparsej.prune;

import org.bytedeco.javacpp.DoublePointer;

/**
 * Dense symmetric positive-definite linear algebra in double on LAPACK (OpenBLAS): the Cholesky factors and the
 * inverse SparseGPT needs, row-major [n][n]. The array forms are for small matrices and tests; SparseGPT uses
 * {@link #upperOfInverse} in place on the off-heap Hessian.
 */
public final class Cholesky {
  private Cholesky() {}

  /** The lower-triangular L with A = L·Lᵀ (upper part zero); throws if A is not positive definite. */
  public static double[] lower(double[] a, int n) {
    // Row-major lower = column-major upper.
    return factor(a, n, 'U', true);
  }

  /** The upper-triangular U with A = Uᵀ·U (lower part zero). */
  public static double[] upper(double[] a, int n) {
    return factor(a, n, 'L', false);
  }

  /** A⁻¹ from the Cholesky factor L of A: (L·Lᵀ)⁻¹ = L⁻ᵀ·L⁻¹ (torch.cholesky_inverse). */
  public static double[] inverseFromLower(double[] l, int n) {
    double[] out = new double[n * n];
    try (DoublePointer p = DoubleBlas.copyOf(l)) {
      DoubleBlas.potri(p, n, 'U');  // row-major L is column-major U with A = Uᵀ·U
      p.get(out);
    }
    // potri filled the column-major upper triangle (row-major lower); mirror it.
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        out[i * n + j] = out[j * n + i];
      }
    }
    return out;
  }

  /**
   * In place, H (row-major, symmetric positive definite) becomes the upper-triangular U with H⁻¹ = Uᵀ·U: SparseGPT's
   * Cholesky, cholesky_inverse, Cholesky(upper) sequence. The strict lower triangle is left unspecified.
   */
  static void upperOfInverse(DoublePointer h, int n) {
    DoubleBlas.potrf(h, n, 'L');
    DoubleBlas.potri(h, n, 'L');  // the column-major lower triangle of H⁻¹
    DoubleBlas.potrf(h, n, 'L');  // column-major lower L, H⁻¹ = L·Lᵀ: read row-major, U = Lᵀ
  }

  private static double[] factor(double[] a, int n, char uplo, boolean rowMajorLower) {
    double[] out = new double[n * n];
    try (DoublePointer p = DoubleBlas.copyOf(a)) {
      DoubleBlas.potrf(p, n, uplo);
      p.get(out);
    }
    // potrf left the other triangle as it was in A: clear it.
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        if (rowMajorLower ? j > i : j < i) {
          out[i * n + j] = 0;
        }
      }
    }
    return out;
  }
}
