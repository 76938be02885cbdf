package org.sparsej.backend;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas;
import org.sparsej.nativeops.OpenBlas;
import org.sparsej.tensor.Tensor;

/**
 * OpenBLAS sgemv (one token) or sgemm (a batch) on a dense row-major float32 matrix, through the JavaCPP preset,
 * reading the tensors' memory in place: the reference `bench kernels` measures every kernel against, and the cpu
 * backend's dense F32 prefill (sgemm outruns SparseJ's own batch kernel; docs/benchmarks.md).
 */
public final class OpenBlasMatmul {

  private OpenBlasMatmul() {}

  public static void setThreads(int threads) {
    OpenBlas.load();
    openblas.blas_set_num_threads(threads);  // the preset's wrapper of openblas_set_num_threads
  }

  public static String describe() {
    OpenBlas.load();
    return "OpenBLAS " + openblas.OPENBLAS_VERSION.trim() + " (bytedeco preset), " + openblas.blas_get_num_threads()
        + " threads by default";
  }

  /** Wraps a tensor's memory without copying (by address: a mapped tensor may exceed one ByteBuffer). */
  public static FloatPointer pointer(Tensor t) {
    long at = t.address();  // not named "address": inside the subclass that name is Pointer's own field
    return new FloatPointer(new Pointer() {
      {
        address = at;
      }
    });
  }

  /** Reads n floats with OpenBLAS's own threads (evicts caches without waking another thread pool). */
  public static float sum(FloatPointer x, int n) {
    return openblas.cblas_sasum(n, x, 1);
  }

  /** out[batch][rows] = x[batch][cols] · wᵀ with w [rows][cols]. */
  public static void matmul(FloatPointer out, FloatPointer x, FloatPointer w, int batch, int rows, int cols) {
    if (batch == 1) {
      openblas.cblas_sgemv(openblas.CblasRowMajor, openblas.CblasNoTrans, rows, cols, 1f, w, cols, x, 1, 0f, out, 1);
    } else {
      openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasTrans, batch, rows, cols, 1f,
          x, cols, w, cols, 0f, out, rows);
    }
  }
}
