package org.sparsej.weights;

import java.nio.ByteBuffer;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;

/**
 * The kept values of a sparse matrix, in the order the kernels read them, with the precision they are stored in
 * (float32, or int8 with one scale per row). The buffer carries 64 bytes past the last value because SIMD
 * kernels load whole vectors and mask what they do not use.
 */
final class SparseValues {
  static final int PADDING_BYTES = 64;

  final Precision precision;
  final Tensor padded;  // F32 or I8, count values + padding
  final Tensor values;  // view of the first count values
  final Tensor scales;  // F32 [rows], null for F32
  final Tensor rowSums;  // I32 [rows]: sum of each row's int8 values (W8A8 VNNI kernels); null for F32
  final int count;

  private SparseValues(Precision precision, Tensor padded, int count, Tensor scales, Tensor rowSums) {
    this.precision = precision;
    this.padded = padded;
    this.count = count;
    this.values = padded.view(0, count);
    this.scales = scales;
    this.rowSums = rowSums;
  }

  static SparseValues allocate(Precision precision, int count, int rows) {
    DType dtype = precision.int8Values() ? DType.I8 : DType.F32;
    int extra = PADDING_BYTES / dtype.bytes();
    Tensor padded = Tensor.allocate(dtype, count + extra);
    Tensor scales = precision.int8Values() ? Tensor.allocate(DType.F32, rows) : null;
    Tensor rowSums = precision.int8Values() ? Tensor.allocate(DType.I32, rows) : null;
    return new SparseValues(precision, padded, count, scales, rowSums);
  }

  /**
   * Copies compressed values (F32 or I8 as the precision says) and scales into a padded buffer; rowStarts
   * [rows + 1] says where each row's values start (for the int8 row sums).
   */
  static SparseValues copyOf(Precision precision, Tensor compressed, Tensor scales, int rows, int[] rowStarts) {
    SparseValues v = allocate(precision, Math.toIntExact(compressed.size()), rows);
    compressed.requireDType(precision.int8Values() ? DType.I8 : DType.F32);
    v.padded.bytes().put(compressed.bytes());
    if (precision.int8Values()) {
      if (scales == null) {
        throw new org.sparsej.util.SparsejException("int8 sparse weight: scales are missing");
      }
      scales.requireDType(DType.F32);
      scales.requireSize("int8 sparse weight scales [" + rows + "]", rows);
      v.scales.bytes().put(scales.view(0, rows).bytes());
      ByteBuffer b = v.padded.bytes();
      for (int r = 0; r < rows; r++) {
        int sum = 0;
        for (int i = rowStarts[r]; i < rowStarts[r + 1]; i++) {
          sum += b.get(i);
        }
        v.rowSums.bytes().putInt(4 * r, sum);
      }
    }
    return v;
  }

  /** Stores the kept values of one row starting at value index {@code first}; int8 rows get their own scale. */
  void putRow(int row, int first, float[] kept, int n) {
    ByteBuffer b = padded.bytes();
    if (!precision.int8Values()) {
      b.asFloatBuffer().position(first).put(kept, 0, n);
      return;
    }
    float absMax = 0f;
    for (int i = 0; i < n; i++) {
      absMax = Math.max(absMax, Math.abs(kept[i]));
    }
    float inv = Int8Quantizer.inverse(absMax);
    scales.setFloat(row, Int8Quantizer.weightScale(absMax));
    int sum = 0;
    for (int i = 0; i < n; i++) {
      byte q = Int8Quantizer.quantize(kept[i], inv);
      b.put(first + i, q);
      sum += q;
    }
    rowSums.bytes().putInt(4 * row, sum);
  }

  /** Values [first, first + n) as floats, before the row scale. */
  void read(int first, int n, float[] dst) {
    if (!precision.int8Values()) {
      padded.floats().position(first).get(dst, 0, n);
      return;
    }
    ByteBuffer b = padded.bytes();
    for (int i = 0; i < n; i++) {
      dst[i] = b.get(first + i);
    }
  }

  float scale(int row) {
    return scales == null ? 1f : scales.getFloat(row);
  }
}
