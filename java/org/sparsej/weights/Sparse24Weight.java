package org.sparsej.weights;

import java.nio.ByteBuffer;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/**
 * 2:4 semi-structured sparsity: in every group of 4 consecutive columns of a row at most 2 weights are non-zero.
 * Each group stores exactly 2 values (in increasing column order; zeros where the group keeps fewer) and two 2-bit
 * column indices:
 * <ul>
 *   <li>values: [rows][cols/2], float32 or int8 (with one float32 scale per row);
 *   <li>indices: uint8 [rows][ceil(cols/8)], value k's column within its group at bits [2k, 2k+2) of the row.
 * </ul>
 * Resident bytes per weight: (4 or 1)/2 + 1/8 (index: exactly 1 bit per weight), plus scales.
 */
public final class Sparse24Weight extends SparseRowsWeight {
  private final Tensor indices;  // I8 [rows][stride]

  private Sparse24Weight(int rows, int cols, Tensor indices, SparseValues values) {
    super(rows, cols, values);
    this.indices = indices;
  }

  private static int stride(int cols) {
    return (cols + 7) / 8;
  }

  private static void requireGroups(int cols) {
    if (cols % 4 != 0) {
      throw new SparsejException("2:4 sparsity: " + cols + " columns do not divide into groups of 4");
    }
  }

  /** Keeps the non-zeros of {@code dense}, which must already be 2:4. */
  public static Sparse24Weight fromDense(Tensor dense, Precision precision) {
    return fromDense(dense, null, precision);
  }

  /**
   * Keeps the weights of {@code dense} [rows][cols] where {@code mask} (I8 [rows][cols], non-zero = keep) says,
   * or its non-zeros when mask is null. Fails with one line if a group of 4 keeps more than 2.
   */
  public static Sparse24Weight fromDense(Tensor dense, Tensor mask, Precision precision) {
    requireF32Matrix(dense, "2:4 weight");
    int rows = dense.dim(0);
    int cols = dense.dim(1);
    requireGroups(cols);
    requireMask(mask, "2:4 weight mask", rows, cols);
    int half = cols / 2;
    int stride = stride(cols);
    Tensor indices = Tensor.allocate(DType.I8, rows, stride);
    SparseValues values = SparseValues.allocate(precision, rows * half, rows);
    float[] row = new float[cols];
    byte[] keep = new byte[cols];
    float[] kept = new float[half];
    byte[] bits = new byte[stride];
    for (int r = 0; r < rows; r++) {
      dense.floats().position(r * cols).get(row);
      keepRow(row, mask, r, keep);
      java.util.Arrays.fill(bits, (byte) 0);
      for (int g = 0; g < cols / 4; g++) {
        int[] pos = groupPositions(keep, r, g);
        for (int j = 0; j < 2; j++) {
          int k = 2 * g + j;
          kept[k] = keep[4 * g + pos[j]] != 0 ? row[4 * g + pos[j]] : 0f;
          bits[(2 * k) >> 3] |= (byte) (pos[j] << ((2 * k) & 7));
        }
      }
      indices.bytes().position(r * stride).put(bits);
      values.putRow(r, r * half, kept, half);
    }
    return new Sparse24Weight(rows, cols, indices, values);
  }

  /** The two stored positions of group g: its kept columns, topped up with unkept ones, in increasing order. */
  private static int[] groupPositions(byte[] keep, int r, int g) {
    int[] pos = new int[2];
    int n = 0;
    for (int i = 0; i < 4; i++) {
      if (keep[4 * g + i] != 0) {
        if (n == 2) {
          throw new SparsejException("2:4 sparsity violated: row " + r + ", columns " + 4 * g + ".." + (4 * g + 3)
              + " keep more than 2 of 4 weights");
        }
        pos[n++] = i;
      }
    }
    for (int i = 0; n < 2 && i < 4; i++) {
      if (keep[4 * g + i] == 0) {
        pos[n++] = i;
      }
    }
    java.util.Arrays.sort(pos);
    return pos;
  }

  /**
   * Builds a weight from stored parts: values (F32 [rows][cols/2], or I8 with scales F32 [rows]) and indices
   * (I8 [rows][ceil(cols/8)]). Checks that every group's two indices are increasing, so that no column is stored
   * twice.
   */
  public static Sparse24Weight fromParts(int rows, int cols, Tensor values, Tensor indices, Tensor scales,
                                         Precision precision) {
    requireGroups(cols);
    if (rows <= 0 || cols <= 0) {
      throw new SparsejException("2:4 weight: shape [" + rows + ", " + cols + "] is empty");
    }
    indices.requireDType(DType.I8);
    indices.requireShape("2:4 indices", rows, stride(cols));
    values.requireShape("2:4 values", rows, cols / 2);
    ByteBuffer bits = indices.bytes();
    int stride = stride(cols);
    for (int r = 0; r < rows; r++) {
      for (int g = 0; g < cols / 4; g++) {
        int i0 = index(bits, r * stride, 2 * g);
        int i1 = index(bits, r * stride, 2 * g + 1);
        if (i0 >= i1) {
          throw new SparsejException("2:4 indices of row " + r + ", group " + g + " are " + i0 + ", " + i1
              + ": they must be increasing");
        }
      }
    }
    Tensor copy = Tensor.allocate(DType.I8, rows, stride);
    copy.bytes().put(indices.bytes());
    int[] starts = new int[rows + 1];
    for (int r = 0; r <= rows; r++) {
      starts[r] = r * (cols / 2);
    }
    return new Sparse24Weight(rows, cols, copy, SparseValues.copyOf(precision, values.reshape(rows * (cols / 2)),
        scales, rows, starts));
  }

  /**
   * Builds a weight from compressed-tensors "sparse-24-bitmask" parts: values (F32 [rows][cols/2], or I8 with
   * scales F32 [rows]) and a bitmask (I8 [rows][ceil(cols/8)]) that keeps exactly 2 columns of every group of 4.
   */
  public static Sparse24Weight fromBitmask(int rows, int cols, Tensor values, Tensor bitmask, Tensor scales,
                                           Precision precision) {
    requireGroups(cols);
    int stride = stride(cols);
    bitmask.requireDType(DType.I8);
    bitmask.requireShape("sparse-24-bitmask bitmask", rows, stride);
    values.requireSize("sparse-24-bitmask values [" + rows + ", " + cols / 2 + "]", (long) rows * (cols / 2));
    ByteBuffer bits = bitmask.bytes();
    Tensor indices = Tensor.allocate(DType.I8, rows, stride);
    ByteBuffer idx = indices.bytes();
    for (int r = 0; r < rows; r++) {
      for (int g = 0; g < cols / 4; g++) {
        int nibble = (bits.get(r * stride + g / 2) >> (4 * (g & 1))) & 0xf;  // group g's 4 mask bits
        if (Integer.bitCount(nibble) != 2) {
          throw new SparsejException("sparse-24-bitmask: row " + r + ", columns " + 4 * g + ".." + (4 * g + 3)
              + " keep " + Integer.bitCount(nibble) + " weights, not 2");
        }
        int i0 = Integer.numberOfTrailingZeros(nibble);
        int i1 = 31 - Integer.numberOfLeadingZeros(nibble);
        int k = 2 * g;
        int at = r * stride + ((2 * k) >> 3);
        idx.put(at, (byte) (idx.get(at) | (i0 << ((2 * k) & 7)) | (i1 << ((2 * k + 2) & 7))));
      }
    }
    int[] starts = new int[rows + 1];
    for (int r = 0; r <= rows; r++) {
      starts[r] = r * (cols / 2);
    }
    return new Sparse24Weight(rows, cols, indices, SparseValues.copyOf(precision,
        values.reshape(rows * (cols / 2)), scales, rows, starts));
  }

  /** The compressed-tensors bitmask of the stored positions: 2 bits in every group of 4. */
  Tensor bitmask() {
    int stride = stride(cols);
    Tensor mask = Tensor.allocate(DType.I8, rows, stride);
    ByteBuffer bits = indices.bytes();
    ByteBuffer out = mask.bytes();
    for (int r = 0; r < rows; r++) {
      for (int k = 0; k < cols / 2; k++) {
        int c = 4 * (k / 2) + index(bits, r * stride, k);
        out.put(r * stride + (c >> 3), (byte) (out.get(r * stride + (c >> 3)) | (1 << (c & 7))));
      }
    }
    return mask;
  }

  @Override
  public StoredWeight stored() {
    return new StoredWeight(rows, cols, StoredWeight.Layout.TWO_FOUR, values.values.reshape(rows, cols / 2),
        bitmask(), values.scales == null ? null : values.scales.reshape(rows, 1), values.scales == null ? 0 : 1,
        values.precision);
  }

  private static int index(ByteBuffer bits, int rowBase, int k) {
    return (bits.get(rowBase + ((2 * k) >> 3)) >> ((2 * k) & 7)) & 3;
  }

  /** Stored values [rows][cols/2] (a view without the padding). */
  public Tensor values() {
    return values.values;
  }

  public Tensor indices() {
    return indices;
  }

  public double indexBitsPerWeight() {
    return indices.byteSize() * 8.0 / ((double) rows * cols);
  }

  @Override
  public WeightFormat format() {
    switch (values.precision) {
      case F32: return WeightFormat.SPARSE_24_F32;
      case INT8: return WeightFormat.SPARSE_24_I8;
      default: return WeightFormat.SPARSE_24_W8A8;
    }
  }

  @Override
  Tensor[] residentTensors() {
    return new Tensor[] {values.values, values.scales, values.rowSums, indices};
  }

  @Override
  int row(int r, int[] colsOut, float[] valuesOut) {
    int half = cols / 2;
    ByteBuffer bits = indices.bytes();
    for (int k = 0; k < half; k++) {
      colsOut[k] = 4 * (k / 2) + index(bits, r * stride(cols), k);
    }
    values.read(r * half, half, valuesOut);
    return half;
   }
}
