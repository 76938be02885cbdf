package org.sparsej.train;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;
import org.sparsej.nativeops.OpenBlas;
import org.sparsej.tensor.Tensor;

/**
 * OpenBLAS sgemm (the JavaCPP preset the project already ships) on tensors' off-heap memory, in place: the heavy
 * products of the backward pass. Row-major; offsets in floats into each tensor.
 */
final class Blas {

  private Blas() {}

  static synchronized void threads(int threads) {
    OpenBlas.load();
    openblas.blas_set_num_threads(Math.max(1, threads));
  }

  /**
   * c[m][n] (at cOff, row stride ldc) = alpha · op(a)·op(b) + beta · c, op = transpose when the flag says; a is
   * [m][k] (or [k][m] transposed) with row stride lda, b is [k][n] (or [n][k]) with row stride ldb.
   */
  static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Tensor a, long aOff, int lda,
                   Tensor b, long bOff, int ldb, float beta, Tensor c, long cOff, int ldc) {
    OpenBlas.load();
    // The last element each operand reaches must lie inside its tensor (native code checks nothing).
    check("a", a, aOff, transA ? k : m, transA ? m : k, lda);
    check("b", b, bOff, transB ? n : k, transB ? k : n, ldb);
    check("c", c, cOff, m, n, ldc);
    if (m == 0 || n == 0) {
      return;
    }
    openblas.cblas_sgemm(openblas.CblasRowMajor, transA ? openblas.CblasTrans : openblas.CblasNoTrans,
        transB ? openblas.CblasTrans : openblas.CblasNoTrans, m, n, k, alpha, pointer(a, aOff), lda,
        pointer(b, bOff), ldb, beta, pointer(c, cOff), ldc);
  }

  private static void check(String what, Tensor t, long off, int rows, int cols, int ld) {
    if (rows > 0 && cols > 0 && (cols > ld || off < 0 || off + (long) (rows - 1) * ld + cols > t.size())) {
      throw new IllegalArgumentException("gemm " + what + ": [" + rows + "][" + cols + "] stride " + ld + " at " + off
          + " outside " + t);
    }
  }

  private static FloatPointer pointer(Tensor t, long offset) {
    return new FloatPointer(t.floats()).position(offset);
  }
}
