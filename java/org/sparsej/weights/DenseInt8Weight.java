package org.sparsej.weights;

import java.nio.ByteBuffer;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/**
 * A dense int8 matrix with one float32 scale per output row: W[r][c] = q[r][c] · scale[r], q in [-127, 127]
 * (compressed-tensors "int-quantized", strategy "channel"). Two formats share it: W8A16 keeps the activations
 * float32, W8A8 quantizes them per token to int8 and sums int8 products exactly in int32 (as the native kernels
 * do; native/include/sparsej/gemm_int8.h). The values may be the mapped bytes of a model file.
 */
public final class DenseInt8Weight extends DenseMatrixWeight {
  // values: I8 [rows][cols]
  private final Tensor scales;   // F32 [rows]
  private final Tensor rowSums;  // I32 [rows]: Σ_c q[r][c], for the VNNI kernels' unsigned activations
  private final Precision precision;

  private DenseInt8Weight(Tensor values, Tensor scales, Tensor rowSums, Precision precision) {
    super(values);
    this.scales = scales;
    this.rowSums = rowSums;
    this.precision = precision;
  }

  /**
   * Wraps stored int8 values I8 [rows][cols] (not copied) and per-row scales F32 [rows] (copied); precision INT8
   * (W8A16) or W8A8.
   */
  public static DenseInt8Weight of(Tensor values, Tensor scales, Precision precision) {
    values.requireDType(DType.I8);
    scales.requireDType(DType.F32);
    if (values.rank() != 2 || !precision.int8Values()) {
      throw new IllegalArgumentException("int8 weight: 2-D I8 values and an int8 precision, got " + values + " "
          + precision);
    }
    int rows = values.dim(0);
    int cols = values.dim(1);
    scales.requireSize("int8 weight scales [" + rows + "]", rows);
    Tensor s = Tensor.allocate(DType.F32, rows);
    s.bytes().put(scales.bytes());
    Tensor sums = Tensor.allocate(DType.I32, rows);
    ByteBuffer q = values.bytes();
    byte[] row = new byte[cols];
    for (int r = 0; r < rows; r++) {
      q.position(r * cols).get(row);
      int sum = 0;
      for (byte v : row) {
        sum += v;
      }
      sums.bytes().putInt(4 * r, sum);
      if (!Float.isFinite(s.getFloat(r))) {
        throw new SparsejException("int8 weight: scale of row " + r + " is " + s.getFloat(r));
      }
    }
    return new DenseInt8Weight(values, s, sums, precision);
  }

  /** Symmetric per-row quantization of an F32 [rows][cols] matrix (Int8Quantizer's rounding; zero rows: scale 0). */
  public static DenseInt8Weight quantize(Tensor dense, Precision precision) {
    requireF32Matrix(dense, "int8 weight");
    int rows = dense.dim(0);
    int cols = dense.dim(1);
    Tensor q = Tensor.allocate(DType.I8, rows, cols);
    Tensor scales = Tensor.allocate(DType.F32, rows);
    float[] row = new float[cols];
    byte[] qr = new byte[cols];
    for (int r = 0; r < rows; r++) {
      dense.floats().position(r * cols).get(row);
      float absMax = 0f;
      for (float v : row) {
        absMax = Math.max(absMax, Math.abs(v));
      }
      float inv = Int8Quantizer.inverse(absMax);
      scales.setFloat(r, Int8Quantizer.weightScale(absMax));
      for (int c = 0; c < cols; c++) {
        qr[c] = Int8Quantizer.quantize(row[c], inv);
      }
      q.bytes().position(r * cols).put(qr);
    }
    return of(q, scales, precision);
  }

  public Precision precision() {
    return precision;
  }

  /** F32 [rows]. */
  public Tensor scales() {
    return scales;
  }

  /** I32 [rows]. */
  public Tensor rowSums() {
    return rowSums;
  }

  @Override
  public WeightFormat format() {
    return precision == Precision.W8A8 ? WeightFormat.DENSE_W8A8 : WeightFormat.DENSE_W8A16;
  }

  @Override
  Tensor[] residentTensors() {
    return new Tensor[] {values, scales, rowSums};
  }

  @Override
  public void referenceMatmul(Tensor out, Tensor x, int batch, int r0, int r1) {
    ByteBuffer w = values.bytes();
    byte[] row = new byte[cols];
    if (precision == Precision.W8A8) {
      Int8Quantizer.Rows xq = Int8Quantizer.quantizeRows(x, batch, cols);
      for (int r = r0; r < r1; r++) {
        w.position(r * cols).get(row);
        float ws = scales.getFloat(r);
        for (int b = 0; b < batch; b++) {
          int sum = 0;  // exact: |sum| <= 127·127·cols
          int base = b * cols;
          for (int c = 0; c < cols; c++) {
            sum += row[c] * xq.q()[base + c];
          }
          out.setFloat((long) b * rows + r, (float) sum * (xq.scales()[b] * ws));
        }
      }
      return;
    }
    float[] xs = new float[cols];
    for (int b = 0; b < batch; b++) {
      x.floats().position(b * cols).get(xs);
      for (int r = r0; r < r1; r++) {
        w.position(r * cols).get(row);
        float sum = 0f;
        for (int c = 0; c < cols; c++) {
          sum += row[c] * xs[c];
        }
        out.setFloat((long) b * rows + r, scales.getFloat(r) * sum);
      }
    }
  }

  @Override
  public Tensor toDense() {
    Tensor dense = Tensor.allocate(DType.F32, rows, cols);
    ByteBuffer w = values.bytes();
    for (int r = 0; r < rows; r++) {
      float s = scales.getFloat(r);
      for (int c = 0; c < cols; c++) {
        dense.setFloat((long) r * cols + c, w.get(r * cols + c) * s);
      }
    }
    return dense;
  }

  @Override
  public StoredWeight stored() {
    return StoredWeight.dense(values, scales.reshape(rows, 1), 1, precision);
  }
}
