package org.sparsej.weights;

import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/**
 * What every weight format held in host memory shares: its shape [rows][cols], its resident bytes as the sum of
 * the tensors it keeps, and the check of a dense matrix it is built from. The dense, sparse and ggml families
 * build on it; each names its tensors.
 */
abstract class HostWeight implements LinearWeight {
  protected final int rows;
  protected final int cols;

  HostWeight(int rows, int cols) {
    this.rows = rows;
    this.cols = cols;
  }

  /** Refuses a dense matrix to build from that is not F32 [rows][cols]; {@code what} names the weight. */
  static void requireF32Matrix(Tensor dense, String what) {
    dense.requireDType(DType.F32);
    if (dense.rank() != 2) {
      throw new SparsejException(what + ": dense matrix must be 2-D, got " + dense);
    }
  }

  /** The tensors this weight keeps in memory, without kernel padding; null where the format has no such part. */
  abstract Tensor[] residentTensors();

  @Override
  public int rows() {
    return rows;
  }

  @Override
  public int cols() {
    return cols;
  }

  @Override
  public long residentBytes() {
    long bytes = 0;
    for (Tensor t : residentTensors()) {
      if (t != null) {
        bytes += t.byteSize();
      }
    }
    return bytes;
  }
}
