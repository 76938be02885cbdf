package org.sparsej.bench;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/**
 * The reference every kernel is measured against: OpenBLAS sgemv (one token) or sgemm (a batch) on a dense
 * row-major float32 matrix, through the JavaCPP preset, reading the tensors' memory in place.
 */
final class OpenBlasMatmul {
  private static volatile boolean loaded;

  private OpenBlasMatmul() {}

  static void setThreads(int threads) {
    load();
    openblas.blas_set_num_threads(threads);  // the preset's wrapper of openblas_set_num_threads
  }

  static String describe() {
    load();
    return "OpenBLAS " + openblas.OPENBLAS_VERSION.trim() + " (bytedeco preset), " + openblas.blas_get_num_threads()
        + " threads by default";
  }

  private static void load() {
    if (!loaded) {
      try {
        Loader.load(openblas.class);
      } catch (UnsatisfiedLinkError e) {
        throw new SparsejException("openblas: native library did not load (" + e.getMessage() + ")");
      }
      loaded = true;
    }
  }

  /** Wraps a direct tensor's memory without copying. */
  static FloatPointer pointer(Tensor t) {
    return new FloatPointer(t.bytes().asFloatBuffer());
  }

  /** Reads n floats with OpenBLAS's own threads (evicts caches without waking another thread pool). */
  static float sum(FloatPointer x, int n) {
    return openblas.cblas_sasum(n, x, 1);
  }

  /** out[batch][rows] = x[batch][cols] · wᵀ with w [rows][cols]. */
  static void matmul(FloatPointer out, FloatPointer x, FloatPointer w, int batch, int rows, int cols) {
    if (batch == 1) {
      openblas.cblas_sgemv(openblas.CblasRowMajor, openblas.CblasNoTrans, rows, cols, 1f, w, cols, x, 1, 0f, out, 1);
    } else {
      openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasTrans, batch, rows, cols, 1f,
          x, cols, w, cols, 0f, out, rows);
    }
  }
}
