package org.sparsej.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.bytedeco.javacpp.DoublePointer;
import org.junit.jupiter.api.Test;
import org.sparsej.util.SparsejException;

/** SparseGPT on OpenBLAS against the plain-loop oracle {@link SparseGptLoops}, on odd sizes. */
class SparseGptOracleTest {
  private final Random random = new Random(5);

  private double[] gaussian(int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = random.nextGaussian();
    }
    return v;
  }

  /** Correlated inputs with unequal column scales; column {@code dead} (if >= 0) never fires. */
  private InputStatistics stats(int cols, int tokens, int dead) {
    int latent = cols / 3 + 1;
    double[] z = gaussian(tokens * latent);
    double[] a = gaussian(latent * cols);
    double[] x = new double[tokens * cols];
    for (int c = 0; c < cols; c++) {
      double scale = c == dead ? 0 : 0.2 + 3 * random.nextDouble();
      for (int t = 0; t < tokens; t++) {
        double s = 0.1 * random.nextGaussian();
        for (int k = 0; k < latent; k++) {
          s += z[t * latent + k] * a[k * cols + c];
        }
        x[t * cols + c] = scale * s;
      }
    }
    InputStatistics s = new InputStatistics(cols);
    s.add(x, tokens);
    return s;
  }

  private void agrees(int rows, int cols, double sparsity, SparsityPattern pattern, int dead) {
    InputStatistics s = stats(cols, 2 * cols + 17, dead);
    double[] w = gaussian(rows * cols);
    double[] expected = w.clone();
    SparseGptLoops.prune(expected, rows, cols, s.gramCopy(), sparsity, pattern);
    double[] got = w.clone();
    new SparseGpt().prune(got, rows, cols, s, sparsity, pattern);
    double scale = 0;
    for (double v : expected) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < got.length; i++) {
      String at = pattern + " at " + sparsity + ", " + rows + "x" + cols + ", [" + i / cols + "][" + i % cols + "]";
      assertEquals(expected[i] == 0, got[i] == 0, "mask " + at);
      assertEquals(expected[i], got[i], 1e-9 * scale, at);
    }
  }

  @Test
  void unstructuredMatchesTheLoopsOverSeveralBlocks() {
    agrees(37, 301, 0.5, SparsityPattern.UNSTRUCTURED, -1);  // blocks of 128, 128, 45
    agrees(5, 129, 0.7, SparsityPattern.UNSTRUCTURED, 7);    // a one-column last block, a dead input
  }

  @Test
  void nmMatchesTheLoops() {
    agrees(19, 264, 0.5, SparsityPattern.parse("2:4"), -1);
    agrees(11, 136, 0.5, SparsityPattern.parse("4:8"), 3);
  }

  @Test
  void relativeErrorIsTheTraceRatio() {
    int rows = 13;
    int cols = 71;
    InputStatistics s = stats(cols, 50, 4);
    double[] g = s.gramCopy();
    double[] w = gaussian(rows * cols);
    double[] p = w.clone();
    for (int i = 0; i < p.length; i += 3) {
      p[i] = 0;
    }
    double num = 0;
    double den = 0;
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < cols; i++) {
        for (int j = 0; j < cols; j++) {
          num += (w[r * cols + i] - p[r * cols + i]) * g[i * cols + j] * (w[r * cols + j] - p[r * cols + j]);
          den += w[r * cols + i] * g[i * cols + j] * w[r * cols + j];
        }
      }
    }
    assertEquals(num / den, s.relativeError(w, p, rows), 1e-12 * num / den);
    assertEquals(0, s.relativeError(w, w, rows));
    assertEquals(0, s.relativeError(new double[rows * cols], new double[rows * cols], rows));
  }

  @Test
  void upperOfInverseFactorsTheInverse() {
    int n = 203;
    double[] b = gaussian(n * n);
    double[] a = CholeskyTest.positiveDefinite(b, n);  // B·Bᵀ + n·I
    double[] expected = SparseGptLoops.transpose(SparseGptLoops.lower(SparseGptLoops.inverse(a, n), n), n);
    double[] u = new double[n * n];
    try (DoublePointer p = DoubleBlas.copyOf(a)) {
      Cholesky.upperOfInverse(p, n);
      p.get(u);
    }
    for (int i = 0; i < n; i++) {
      for (int j = i; j < n; j++) {  // the strict lower part is unspecified
        assertEquals(expected[i * n + j], u[i * n + j], 1e-12, "U[" + i + "][" + j + "]");
      }
    }
  }

  @Test
  void aNanHessianIsAClearError() {
    double[] a = {4, Double.NaN, Double.NaN, 4};
    try (DoublePointer p = DoubleBlas.copyOf(a)) {
      SparsejException e = assertThrows(SparsejException.class, () -> Cholesky.upperOfInverse(p, 2));
      assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    }
  }
}
