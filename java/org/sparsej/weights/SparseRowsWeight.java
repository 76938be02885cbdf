package org.sparsej.weights;

import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;

/**
 * What the sparse formats share: each can list a row's kept (column, value) pairs, and from that list follow the
 * reference matmul (the Java oracle, see {@link SparseOracle}) and the conversion back to dense.
 */
abstract class SparseRowsWeight extends HostWeight {
  protected final SparseValues values;

  SparseRowsWeight(int rows, int cols, SparseValues values) {
    super(rows, cols);
    this.values = values;
  }

  /** Refuses a keep mask that is not I8 [rows][cols], named {@code what}; null (keep the non-zeros) passes. */
  static void requireMask(Tensor mask, String what, int rows, int cols) {
    if (mask != null) {
      mask.requireDType(DType.I8);
      mask.requireShape(what, rows, cols);
    }
  }

  /** Row r's keep flags (non-zero = keep): the mask's row, or where the row is non-zero when mask is null. */
  static void keepRow(float[] row, Tensor mask, int r, byte[] keep) {
    if (mask == null) {
      for (int c = 0; c < row.length; c++) {
        keep[c] = (byte) (row[c] != 0f ? 1 : 0);
      }
    } else {
      mask.bytes().position(r * row.length).get(keep);
    }
  }

  /** Row r's kept columns and raw values (before the row scale), in column order; returns how many. */
  abstract int row(int r, int[] colsOut, float[] valuesOut);

  public Precision precision() {
    return values.precision;
  }

  /** Per-row scales (F32 [rows]) of int8 values; null for F32. */
  public Tensor scales() {
    return values.scales;
  }

  /** Per-row sums of the int8 values (I32 [rows]), which W8A8 kernels need; null for F32. */
  public Tensor rowSums() {
    return values.rowSums;
  }

  /** The values buffer the kernels read (padded past the last value). */
  public Tensor paddedValues() {
    return values.padded;
  }

  @Override
  public void referenceMatmul(Tensor out, Tensor x, int batch, int r0, int r1) {
    SparseOracle oracle = new SparseOracle(values.precision, x, batch, cols);
    int[] keptCols = new int[cols];
    float[] kept = new float[cols];
    for (int r = r0; r < r1; r++) {
      int n = row(r, keptCols, kept);
      float scale = values.scale(r);
      for (int b = 0; b < batch; b++) {
        out.setFloat((long) b * rows + r, oracle.dot(keptCols, kept, n, scale, x, b, cols));
      }
    }
  }

  @Override
  public Tensor toDense() {
    Tensor dense = Tensor.allocate(DType.F32, rows, cols);
    int[] keptCols = new int[cols];
    float[] kept = new float[cols];
    for (int r = 0; r < rows; r++) {
      int n = row(r, keptCols, kept);
      float scale = values.scale(r);
      for (int i = 0; i < n; i++) {
        dense.setFloat((long) r * cols + keptCols[i], kept[i] * scale);
      }
    }
    return dense;
  }
}
