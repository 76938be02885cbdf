package org.sparsej.weights;

import org.sparsej.tensor.Tensor;

/**
 * What the dense formats (F32, BF16/F16, int8) share: one row-major [rows][cols] tensor of values, every weight
 * stored, and the shape read from it. The formats differ in their element type, their extra per-row tensors and
 * their reference matmul.
 */
abstract class DenseMatrixWeight implements LinearWeight {
  protected final Tensor values;
  protected final int rows;
  protected final int cols;

  DenseMatrixWeight(Tensor values) {
    if (values.rank() != 2) {
      throw new IllegalArgumentException("dense weight must be 2-D, got " + values);
    }
    this.values = values;
    this.rows = values.dim(0);
    this.cols = values.dim(1);
  }

  /** The stored values, row-major (F32, BF16/F16 or I8 as the format says). */
  public Tensor values() {
    return values;
  }

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
    return values.byteSize();
  }
}
