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
   * In place, H (row-major, symmetric positive definite) becomes the upper-triangular U with H⁻¹ = Uᵀ·U: what
   * SparseGPT's Cholesky, cholesky_inverse, Cholesky(upper) sequence yields (the factor is unique), in half its
   * work. With J the order reversal, J·H·J = L'·L'ᵀ (one Cholesky), so H = R·Rᵀ with R = J·L'·J upper and
   * H⁻¹ = R⁻ᵀ·R⁻¹: U = R⁻¹ = J·L'⁻¹·J (one triangular inverse). The strict lower triangle is left unspecified.
   */
  static void upperOfInverse(DoublePointer h, int n) {
    DoubleBlas.flip(h, n);
    DoubleBlas.potrf(h, n, 'U');  // column-major U = row-major L' (H' = L'·L'ᵀ)
    DoubleBlas.trtri(h, n, 'U');  // row-major L'⁻¹
    DoubleBlas.flip(h, n);
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
