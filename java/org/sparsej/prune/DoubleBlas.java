package org.sparsej.prune;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.openblas.global.openblas;
import org.sparsej.nativeops.OpenBlas;
import org.sparsej.util.SparsejException;

/**
 * Double-precision OpenBLAS (the JavaCPP preset the project already ships) on off-heap row-major matrices: the
 * O(n³) steps of the compression methods (Cholesky, inverse, the products with the Hessian). Matrices live in
 * {@link DoublePointer}s the caller owns (try-with-resources frees them); offsets are in doubles.
 */
final class DoubleBlas {

  private DoubleBlas() {}

  /** A fresh off-heap copy of {@code a}. */
  static DoublePointer copyOf(double[] a) {
    OpenBlas.load();
    DoublePointer p = new DoublePointer(a.length);
    p.put(a, 0, a.length);
    return p;
  }

  /** a[at .. at + n) into {@code dst} from {@code off}. */
  static void read(DoublePointer a, long at, double[] dst, int off, int n) {
    a.position(at).get(dst, off, n);
    a.position(0);
  }

  /** {@code src} from {@code off}, n values, into a[at .. at + n). */
  static void write(DoublePointer a, long at, double[] src, int off, int n) {
    a.position(at).put(src, off, n);
    a.position(0);
  }

  /**
   * c[m][n] (at cOff, row stride ldc) = alpha · a·b + beta · c with a [m][k] (at aOff, stride lda) and b [k][n]
   * (at bOff, stride ldb), all row-major. The caller keeps every operand inside its allocation.
   */
  static void gemm(int m, int n, int k, double alpha, DoublePointer a, long aOff, int lda, DoublePointer b,
                   long bOff, int ldb, double beta, DoublePointer c, long cOff, int ldc) {
    OpenBlas.load();
    if (m == 0 || n == 0) {
      return;
    }
    openblas.cblas_dgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasNoTrans, m, n, k, alpha,
        at(a, aOff), lda, at(b, bOff), ldb, beta, at(c, cOff), ldc);
  }

  /** The upper triangle of c [n][n] (row-major) = aᵀ·a for a [k][n]; the strict lower part is left as it was. */
  static void syrkUpperTransposed(int n, int k, DoublePointer a, DoublePointer c) {
    OpenBlas.load();
    openblas.cblas_dsyrk(openblas.CblasRowMajor, openblas.CblasUpper, openblas.CblasTrans, n, k, 1, a, n, 0, c, n);
  }

  private static DoublePointer at(DoublePointer p, long offset) {
    return new DoublePointer(p).position(offset);  // a view: the original keeps ownership
  }

  // A row-major [n][n] buffer read column-major is the transpose, so a symmetric matrix is the same either way
  // and a column-major lower factor is a row-major upper one. Calling LAPACKE column-major avoids its row-major
  // path's transposed copy of the whole matrix.

  /** Column-major dpotrf in place: 'L' leaves L (A = L·Lᵀ) in the lower triangle, 'U' leaves U (A = Uᵀ·U). */
  static void potrf(DoublePointer a, int n, char uplo) {
    OpenBlas.load();
    check(openblas.LAPACKE_dpotrf(openblas.LAPACK_COL_MAJOR, (byte) uplo, n, a, n), "dpotrf");
  }

  /** Column-major dpotri in place: from potrf's factor in triangle {@code uplo}, that triangle of A⁻¹. */
  static void potri(DoublePointer a, int n, char uplo) {
    OpenBlas.load();
    check(openblas.LAPACKE_dpotri(openblas.LAPACK_COL_MAJOR, (byte) uplo, n, a, n), "dpotri");
  }

  /** Column-major dtrtri in place: the inverse of the (non-unit) triangular factor in triangle {@code uplo}. */
  static void trtri(DoublePointer a, int n, char uplo) {
    OpenBlas.load();
    check(openblas.LAPACKE_dtrtri(openblas.LAPACK_COL_MAJOR, (byte) uplo, (byte) 'N', n, a, n), "dtrtri");
  }

  /**
   * a [n][n] in place becomes J·a·J, J the order-reversing permutation: element (i, j) moves to (n-1-i, n-1-j),
   * which on the flat row-major array is a reversal.
   */
  static void flip(DoublePointer a, int n) {
    double[] top = new double[n];
    double[] bottom = new double[n];
    for (int i = 0, k = n - 1; i <= k; i++, k--) {
      read(a, (long) i * n, top, 0, n);
      read(a, (long) k * n, bottom, 0, n);
      reverse(top);
      reverse(bottom);
      write(a, (long) i * n, bottom, 0, n);
      if (k != i) {
        write(a, (long) k * n, top, 0, n);
      }
    }
  }

  private static void reverse(double[] v) {
    for (int i = 0, j = v.length - 1; i < j; i++, j--) {
      double t = v[i];
      v[i] = v[j];
      v[j] = t;
    }
  }

  private static void check(int info, String routine) {
    if (info > 0) {
      throw new SparsejException("matrix is not positive definite (" + routine + ": leading minor " + info
          + " is not)");
    }
    if (info < 0) {  // LAPACKE checks the matrix for NaN and reports it as argument 4
      throw new SparsejException(routine + ": argument " + -info + " is invalid (a NaN in the matrix?)");
    }
  }
}
