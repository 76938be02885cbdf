package org.sparsej.weights;

import java.nio.ByteBuffer;
import org.sparsej.format.Halfs;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;

/**
 * A row-major BF16 or F16 matrix kept as stored (2 bytes per weight; a file's tensor is mapped, never widened).
 * The matmul widens each weight to float32 and accumulates in float32 against F32 activations.
 */
public final class DenseHalfWeight extends DenseMatrixWeight {
  public DenseHalfWeight(Tensor values) {  // BF16 or F16 [rows][cols]
    super(requireHalf(values));
  }

  private static Tensor requireHalf(Tensor values) {
    if (values.dtype() != DType.BF16 && values.dtype() != DType.F16) {
      throw new IllegalArgumentException("half weight must be BF16 or F16, got " + values.dtype());
    }
    return values;
  }

  /** A dense F32 [rows][cols] matrix rounded to {@code dtype} (BF16 or F16), to nearest even. */
  public static DenseHalfWeight round(Tensor dense, DType dtype) {
    dense.requireDType(DType.F32);
    Tensor h = Tensor.allocate(dtype, dense.dim(0), dense.dim(1));
    ByteBuffer out = h.bytes();
    for (long i = 0; i < dense.size(); i++) {
      float v = dense.getFloat(i);
      out.putShort(Math.toIntExact(2 * i), dtype == DType.BF16 ? Halfs.f32ToBf16(v) : Halfs.f32ToF16(v));
    }
    return new DenseHalfWeight(h);
  }

  @Override
  public WeightFormat format() {
    return values.dtype() == DType.BF16 ? WeightFormat.DENSE_BF16 : WeightFormat.DENSE_F16;
  }

  /** Weight i (row-major) widened to float32. */
  private float weight(ByteBuffer w, long i) {
    short h = w.getShort(Math.toIntExact(2 * i));
    return values.dtype() == DType.BF16 ? Halfs.bf16ToF32(h) : Halfs.f16ToF32(h);
  }

  @Override
  public void referenceMatmul(Tensor out, Tensor x, int batch, int r0, int r1) {
    ByteBuffer w = values.bytes();
    for (int r = r0; r < r1; r++) {
      long wRow = (long) r * cols;
      for (int b = 0; b < batch; b++) {
        long xRow = (long) b * cols;
        float sum = 0f;
        for (int c = 0; c < cols; c++) {
          sum += weight(w, wRow + c) * x.getFloat(xRow + c);
        }
        out.setFloat((long) b * rows + r, sum);
      }
    }
  }

  @Override
  public Tensor toDense() {
    Tensor f = Tensor.allocate(DType.F32, rows, cols);
    ByteBuffer w = values.bytes();
    for (long i = 0; i < f.size(); i++) {
      f.setFloat(i, weight(w, i));
    }
    return f;
  }

  @Override
  public StoredWeight stored() {
    return StoredWeight.dense(values, null, 0, Precision.F32);
  }
}
