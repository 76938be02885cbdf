package org.sparsej.prune;

import java.util.stream.IntStream;
import org.sparsej.util.SparsejException;

/** Dense symmetric positive-definite linear algebra in double, O(n³), row-major [n][n] arrays. */
public final class Cholesky {
  private Cholesky() {}

  /** The lower-triangular L with A = L·Lᵀ (upper part zero); throws if A is not positive definite. */
  public static double[] lower(double[] a, int n) {
    double[] l = new double[n * n];
    for (int j = 0; j < n; j++) {
      double d = a[j * n + j];
      for (int k = 0; k < j; k++) {
        d -= l[j * n + k] * l[j * n + k];
      }
      if (!(d > 0)) {
        throw new SparsejException("matrix is not positive definite (pivot " + j + " is " + d + ")");
      }
      double ljj = Math.sqrt(d);
      l[j * n + j] = ljj;
      final int col = j;
      IntStream.range(j + 1, n).parallel().forEach(i -> {
        double s = a[i * n + col];
        int ri = i * n;
        int rj = col * n;
        for (int k = 0; k < col; k++) {
          s -= l[ri + k] * l[rj + k];
        }
        l[ri + col] = s / ljj;
      });
    }
    return l;
  }

  /** L⁻¹ of a lower-triangular L (lower-triangular too). */
  public static double[] invertLower(double[] l, int n) {
    double[] inv = new double[n * n];
    // Column j of L⁻¹ solves L·x = e_j; columns are independent.
    IntStream.range(0, n).parallel().forEach(j -> {
      inv[j * n + j] = 1.0 / l[j * n + j];
      for (int i = j + 1; i < n; i++) {
        double s = 0;
        for (int k = j; k < i; k++) {
          s -= l[i * n + k] * inv[k * n + j];
        }
        inv[i * n + j] = s / l[i * n + i];
      }
    });
    return inv;
  }

  /** A⁻¹ from the Cholesky factor L of A: (L·Lᵀ)⁻¹ = L⁻ᵀ·L⁻¹ (torch.cholesky_inverse). */
  public static double[] inverseFromLower(double[] l, int n) {
    double[] li = invertLower(l, n);
    double[] out = new double[n * n];
    // out[i][j] = Σ_k li[k][i]·li[k][j], k >= max(i, j).
    IntStream.range(0, n).parallel().forEach(i -> {
      for (int j = i; j < n; j++) {
        double s = 0;
        for (int k = j; k < n; k++) {
          s += li[k * n + i] * li[k * n + j];
        }
        out[i * n + j] = s;
        out[j * n + i] = s;
      }
    });
    return out;
  }

  /** The upper-triangular U with A = Uᵀ·U. */
  public static double[] upper(double[] a, int n) {
    double[] l = lower(a, n);
    double[] u = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        u[j * n + i] = l[i * n + j];
      }
    }
    return u;
  }
}
