package org.sparsej.weights;

import org.sparsej.tensor.Tensor;

/**
 * What every weight format held in host memory shares: its shape [rows][cols], and its resident bytes as the sum
 * of the tensors it keeps. The dense, sparse and ggml families build on it; each names its tensors.
 */
abstract class HostWeight implements LinearWeight {
  protected final int rows;
  protected final int cols;

  HostWeight(int rows, int cols) {
    this.rows = rows;
    this.cols = cols;
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
