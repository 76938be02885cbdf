package org.sparsej.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparsej.util.SparsejException;

class CholeskyTest {
  // The textbook example: A = L·Lᵀ with L = [[2,0,0],[6,1,0],[-8,5,3]].
  private static final double[] A = {4, 12, -16, 12, 37, -43, -16, -43, 98};

  @Test
  void lowerFactorOfAHandCheckedMatrix() {
    assertArrayEquals(new double[] {2, 0, 0, 6, 1, 0, -8, 5, 3}, Cholesky.lower(A, 3), 1e-12);
  }

  @Test
  void upperFactorIsTheTranspose() {
    assertArrayEquals(new double[] {2, 6, -8, 0, 1, 5, 0, 0, 3}, Cholesky.upper(A, 3), 1e-12);
  }

  @Test
  void inverseOfADiagonalMatrix() {
    double[] d = {4, 0, 0, 0, 2, 0, 0, 0, 0.5};
    assertArrayEquals(new double[] {0.25, 0, 0, 0, 0.5, 0, 0, 0, 2}, Cholesky.inverseFromLower(Cholesky.lower(d, 3), 3),
        1e-12);
  }

  @Test
  void inverseTimesMatrixIsIdentityOnARandomSpdMatrix() {
    int n = 37;
    Random random = new Random(3);
    double[] b = new double[n * n];
    for (int i = 0; i < b.length; i++) {
      b[i] = random.nextGaussian();
    }
    double[] a = positiveDefinite(b, n);
    double[] inv = Cholesky.inverseFromLower(Cholesky.lower(a, n), n);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int k = 0; k < n; k++) {
          s += a[i * n + k] * inv[k * n + j];
        }
        assertEquals(i == j ? 1 : 0, s, 1e-10, "(A·A⁻¹)[" + i + "][" + j + "]");
      }
    }
  }

  @Test
  void notPositiveDefiniteIsAClearError() {
    SparsejException e = assertThrows(SparsejException.class, () -> Cholesky.lower(new double[] {1, 2, 2, 1}, 2));
    assertTrue(e.getMessage().contains("not positive definite"), e.getMessage());
  }

  /** B·Bᵀ + n·I for an n×n B: symmetric and positive definite, with every eigenvalue at least n. */
  static double[] positiveDefinite(double[] b, int n) {
    double[] a = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double s = i == j ? n : 0;
        for (int k = 0; k < n; k++) {
          s += b[i * n + k] * b[j * n + k];
        }
        a[i * n + j] = s;
      }
    }
    return a;
  }
}
