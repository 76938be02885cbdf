package org.sparsej.weights;

import org.sparsej.tensor.Tensor;

/**
 * What the dense formats (F32, BF16/F16, int8) share: one row-major [rows][cols] tensor of values, every weight
 * stored, and the shape read from it. The formats differ in their element type, their extra per-row tensors and
 * their reference matmul.
 */
abstract class DenseMatrixWeight extends HostWeight {
  protected final Tensor values;

  DenseMatrixWeight(Tensor values) {
    super(require2d(values).dim(0), values.dim(1));
    this.values = values;
  }

  private static Tensor require2d(Tensor values) {
    if (values.rank() != 2) {
      throw new IllegalArgumentException("dense weight must be 2-D, got " + values);
    }
    return values;
  }

  /** The stored values, row-major (F32, BF16/F16 or I8 as the format says). */
  public Tensor values() {
    return values;
  }

  @Override
  Tensor[] residentTensors() {
    return new Tensor[] {values};
  }
}
