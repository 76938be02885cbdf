package org.sparsej.weights;

import java.nio.FloatBuffer;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;

/** A plain row-major float32 matrix: the baseline format. */
public final class DenseF32Weight extends DenseMatrixWeight {
  public DenseF32Weight(Tensor values) {
    super(requireF32(values));
  }

  private static Tensor requireF32(Tensor values) {
    values.requireDType(DType.F32);
    return values;
  }

  @Override
  public WeightFormat format() {
    return WeightFormat.DENSE_F32;
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
