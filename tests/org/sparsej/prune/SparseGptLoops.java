package org.sparsej.prune;

/**
 * The test oracle for {@link SparseGpt}: Algorithm 1 as plain double loops (textbook Cholesky, inverse by
 * substitution, the lazy batch update column by column), the project's implementation before its heavy steps moved
 * to OpenBLAS. Slow: small layers only.
 */
final class SparseGptLoops {
  private SparseGptLoops() {}

  static void prune(double[] w, int rows, int cols, double[] gram, double sparsity, SparsityPattern pattern) {
    double[] h = gram.clone();
    double meanDiag = 0;
    for (int i = 0; i < cols; i++) {
      if (h[i * cols + i] == 0) {
        h[i * cols + i] = 1;
        for (int r = 0; r < rows; r++) {
          w[r * cols + i] = 0;
        }
      }
      meanDiag += h[i * cols + i];
    }
    for (int i = 0; i < cols; i++) {
      h[i * cols + i] += 0.01 * meanDiag / cols;
    }
    double[] u = transpose(lower(inverse(h, cols), cols), cols);
    int block = pattern.unstructured() ? 128 : Math.max(pattern.m(), 128 / pattern.m() * pattern.m());
    for (int b1 = 0; b1 < cols; b1 += block) {
      int b2 = Math.min(b1 + block, cols);
      int count = b2 - b1;
      boolean[] mask = new boolean[rows * count];
      if (pattern.unstructured()) {
        double[] score = new double[rows * count];
        for (int r = 0; r < rows; r++) {
          for (int i = 0; i < count; i++) {
            double d = u[(b1 + i) * cols + b1 + i];
            score[r * count + i] = w[r * cols + b1 + i] * w[r * cols + b1 + i] / (d * d);
          }
        }
        Selection.markSmallest(score, 0, score.length, Selection.countFloor(score.length, sparsity), mask);
      }
      for (int r = 0; r < rows; r++) {
        double[] err = new double[count];
        for (int i = 0; i < count; i++) {
          int col = b1 + i;
          if (!pattern.unstructured() && i % pattern.m() == 0) {
            double[] score = new double[pattern.m()];
            boolean[] groupMask = new boolean[pattern.m()];
            for (int g = 0; g < pattern.m(); g++) {
              double d = u[(col + g) * cols + col + g];
              score[g] = w[r * cols + col + g] * w[r * cols + col + g] / (d * d);
            }
            Selection.markSmallest(score, 0, pattern.m(), pattern.zerosPerGroup(), groupMask);
            for (int g = 0; g < pattern.m(); g++) {
              mask[r * count + i + g] = groupMask[g];
            }
          }
          double wi = w[r * cols + col];
          double q = mask[r * count + i] ? 0 : wi;
          err[i] = (wi - q) / u[col * cols + col];
          for (int j = col + 1; j < b2; j++) {
            w[r * cols + j] -= err[i] * u[col * cols + j];
          }
          w[r * cols + col] = q;
        }
        for (int i = 0; i < count; i++) {
          for (int j = b2; j < cols; j++) {
            w[r * cols + j] -= err[i] * u[(b1 + i) * cols + j];
          }
        }
      }
    }
  }

  /** L with A = L·Lᵀ. */
  static double[] lower(double[] a, int n) {
    double[] l = new double[n * n];
    for (int j = 0; j < n; j++) {
      double d = a[j * n + j];
      for (int k = 0; k < j; k++) {
        d -= l[j * n + k] * l[j * n + k];
      }
      l[j * n + j] = Math.sqrt(d);
      for (int i = j + 1; i < n; i++) {
        double s = a[i * n + j];
        for (int k = 0; k < j; k++) {
          s -= l[i * n + k] * l[j * n + k];
        }
        l[i * n + j] = s / l[j * n + j];
      }
    }
    return l;
  }

  /** A⁻¹ = L⁻ᵀ·L⁻¹, L⁻¹ column by column by forward substitution. */
  static double[] inverse(double[] a, int n) {
    double[] l = lower(a, n);
    double[] li = new double[n * n];
    for (int j = 0; j < n; j++) {
      li[j * n + j] = 1.0 / l[j * n + j];
      for (int i = j + 1; i < n; i++) {
        double s = 0;
        for (int k = j; k < i; k++) {
          s -= l[i * n + k] * li[k * n + j];
        }
        li[i * n + j] = s / l[i * n + i];
      }
    }
    double[] out = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int k = Math.max(i, j); k < n; k++) {
          s += li[k * n + i] * li[k * n + j];
        }
        out[i * n + j] = s;
      }
    }
    return out;
  }

  static double[] transpose(double[] a, int n) {
    double[] t = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        t[j * n + i] = a[i * n + j];
      }
    }
    return t;
  }
}
