package org.sparsej.weights;

import java.nio.FloatBuffer;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;

/** A plain row-major float32 matrix: the baseline format. */
public final class DenseF32Weight implements LinearWeight {
  private final Tensor values;
  private final int rows;
  private final int cols;

  public DenseF32Weight(Tensor values) {
    values.requireDType(DType.F32);
    if (values.rank() != 2) {
      throw new IllegalArgumentException("dense weight must be 2-D, got " + values);
    }
    this.values = values;
    this.rows = values.dim(0);
    this.cols = values.dim(1);
  }

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
  public WeightFormat format() {
    return WeightFormat.DENSE_F32;
  }

  @Override
  public long residentBytes() {
    return values.byteSize();
  }

  @Override
  public void referenceMatmul(Tensor out, Tensor x, int batch, int r0, int r1) {
    FloatBuffer w = values.floats();
    FloatBuffer xs = x.floats();
    for (int r = r0; r < r1; r++) {
      int wRow = r * cols;
      for (int b = 0; b < batch; b++) {
        int xRow = b * cols;
        float sum = 0f;
        for (int c = 0; c < cols; c++) {
          sum += w.get(wRow + c) * xs.get(xRow + c);
        }
        out.setFloat((long) b * rows + r, sum);
      }
    }
  }

  @Override
  public Tensor toDense() {
    return values;
  }

  @Override
  public StoredWeight stored() {
    return StoredWeight.dense(values, null, 0, Precision.F32);
  }
}
