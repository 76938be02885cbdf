package org.sparsej.weights;

import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/**
 * Unstructured sparsity in the compressed-tensors "sparse-bitmask" layout, which the native kernels read as is:
 * <ul>
 *   <li>bitmask: uint8 [rows][ceil(cols/8)], row-major; bit (c % 8) of byte c/8 set where W[r][c] is kept
 *       (numpy packbits, bitorder "little");
 *   <li>values: the kept values in row-major order, float32 or int8 (with one float32 scale per row);
 *   <li>row offsets: int32 [rows + 1], where each row's values start.
 * </ul>
 * Resident bytes per weight at density d: d·(4 or 1) + 1/8, plus 4 bytes per row of offsets (and, for int8, 8 of
 * scale and value sum).
 */
public final class BitmaskSparseWeight extends SparseRowsWeight {
  private final Tensor bitmask;  // I8 [rows][stride]
  private final Tensor offsets;  // I32 [rows + 1]

  private BitmaskSparseWeight(int rows, int cols, Tensor bitmask, Tensor offsets, SparseValues values) {
    super(rows, cols, values);
    this.bitmask = bitmask;
    this.offsets = offsets;
  }

  static int stride(int cols) {
    return (cols + 7) / 8;
  }

  /** Keeps the non-zeros of {@code dense} [rows][cols]. */
  public static BitmaskSparseWeight fromDense(Tensor dense, Precision precision) {
    return fromDense(dense, null, precision);
  }

  /**
   * Keeps the weights of {@code dense} where {@code mask} (I8 [rows][cols], non-zero = keep) says so, or its
   * non-zeros when mask is null.
   */
  public static BitmaskSparseWeight fromDense(Tensor dense, Tensor mask, Precision precision) {
    requireF32Matrix(dense, "sparse weight");
    int rows = dense.dim(0);
    int cols = dense.dim(1);
    requireMask(mask, "sparse weight mask", rows, cols);
    int stride = stride(cols);
    Tensor bitmask = Tensor.allocate(DType.I8, rows, stride);
    Tensor offsets = Tensor.allocate(DType.I32, rows + 1);
    float[] row = new float[cols];
    byte[] keep = new byte[cols];
    byte[] bits = new byte[stride];
    long total = 0;
    for (int r = 0; r < rows; r++) {  // first pass: mask and offsets
      dense.floats().position(r * cols).get(row);
      keepRow(row, mask, r, keep);
      java.util.Arrays.fill(bits, (byte) 0);
      for (int c = 0; c < cols; c++) {
        if (keep[c] != 0) {
          bits[c >> 3] |= (byte) (1 << (c & 7));
          total++;
        }
      }
      bitmask.bytes().position(r * stride).put(bits);
    }
    if (total > Integer.MAX_VALUE - SparseValues.PADDING_BYTES) {
      throw new SparsejException("sparse weight: " + total + " kept values exceed one tensor");
    }
    SparseValues values = SparseValues.allocate(precision, (int) total, rows);
    IntBuffer off = offsets.bytes().asIntBuffer();
    float[] kept = new float[cols];
    int next = 0;
    for (int r = 0; r < rows; r++) {  // second pass: values, quantized per row
      dense.floats().position(r * cols).get(row);
      keepRow(row, mask, r, keep);
      int n = 0;
      for (int c = 0; c < cols; c++) {
        if (keep[c] != 0) {
          kept[n++] = row[c];
        }
      }
      off.put(r, next);
      values.putRow(r, next, kept, n);
      next += n;
    }
    off.put(rows, next);
    return new BitmaskSparseWeight(rows, cols, bitmask, offsets, values);
  }

  /**
   * Builds a weight from compressed-tensors parts: {@code compressed} (F32, or I8 with {@code scales} F32 [rows]),
   * {@code bitmask} (I8 [rows][ceil(cols/8)]) and {@code rowOffsets} (I32 [rows], each row's first value; may be
   * null). Checks that the bitmask's population count matches the values, row by row, before anything runs.
   */
  public static BitmaskSparseWeight fromCompressed(int rows, int cols, Tensor compressed, Tensor bitmask,
                                                   Tensor rowOffsets, Tensor scales, Precision precision) {
    if (rows <= 0 || cols <= 0) {
      throw new SparsejException("sparse-bitmask: shape [" + rows + ", " + cols + "] is empty");
    }
    int stride = stride(cols);
    bitmask.requireDType(DType.I8);
    bitmask.requireShape("sparse-bitmask bitmask", rows, stride);
    if (rowOffsets != null) {
      rowOffsets.requireDType(DType.I32);
      rowOffsets.requireShape("sparse-bitmask row_offsets", rows);
    }
    Tensor offsets = Tensor.allocate(DType.I32, rows + 1);
    IntBuffer off = offsets.bytes().asIntBuffer();
    ByteBuffer bits = bitmask.bytes();
    long total = 0;
    int padBits = stride * 8 - cols;
    for (int r = 0; r < rows; r++) {
      off.put(r, (int) total);
      if (rowOffsets != null && rowOffsets.bytes().asIntBuffer().get(r) != total) {
        throw new SparsejException("sparse-bitmask: row_offsets[" + r + "] = "
            + rowOffsets.bytes().asIntBuffer().get(r) + " but the bitmask puts row " + r + " at value " + total);
      }
      for (int j = 0; j < stride; j++) {
        total += Integer.bitCount(bits.get(r * stride + j) & 0xff);
      }
      if (padBits > 0 && (bits.get(r * stride + stride - 1) & 0xff) >>> (8 - padBits) != 0) {
        throw new SparsejException("sparse-bitmask: row " + r + " sets bits past column " + cols);
      }
      if (total > Integer.MAX_VALUE) {
        throw new SparsejException("sparse-bitmask: more than 2^31 kept values");
      }
    }
    if (total != compressed.size()) {
      throw new SparsejException("sparse-bitmask: the bitmask keeps " + total + " weights but " + compressed.size()
          + " values are stored");
    }
    off.put(rows, (int) total);
    int[] starts = new int[rows + 1];
    off.position(0);
    off.get(starts);
    Tensor maskCopy = Tensor.allocate(DType.I8, rows, stride);
    maskCopy.bytes().put(bitmask.bytes());
    return new BitmaskSparseWeight(rows, cols, maskCopy, offsets,
        SparseValues.copyOf(precision, compressed, scales, rows, starts));
  }

  /**
   * The compressed-tensors tensors of this weight: shape (I32 [2]), compressed (values), bitmask,
   * row_offsets (I32 [rows]) and, for int8 values, weight_scale (F32 [rows]). Views, not copies.
   */
  public Map<String, Tensor> compressedTensors() {
    Map<String, Tensor> t = new LinkedHashMap<>();
    Tensor shape = Tensor.allocate(DType.I32, 2);
    shape.bytes().asIntBuffer().put(rows).put(cols);
    t.put("shape", shape);
    t.put("compressed", values.values);
    t.put("bitmask", bitmask);
    t.put("row_offsets", offsets.view(0, rows));
    if (values.scales != null) {
      t.put("weight_scale", values.scales);
    }
    return t;
  }

  /** Kept values. */
  public int nonZeros() {
    return values.count;
  }

  public double sparsity() {
    return 1.0 - (double) values.count / ((double) rows * cols);
  }

  /** Index bits per weight: the bitmask plus the row offsets. */
  public double indexBitsPerWeight() {
    return (bitmask.byteSize() + offsets.byteSize()) * 8.0 / ((double) rows * cols);
  }

  public Tensor bitmask() {
    return bitmask;
  }

  public Tensor offsets() {
    return offsets;
  }

  @Override
  public WeightFormat format() {
    switch (values.precision) {
      case F32: return WeightFormat.SPARSE_BITMASK_F32;
      case INT8: return WeightFormat.SPARSE_BITMASK_I8;
      default: return WeightFormat.SPARSE_BITMASK_W8A8;
    }
  }

  @Override
  Tensor[] residentTensors() {
    return new Tensor[] {values.values, values.scales, values.rowSums, bitmask, offsets};
  }

  @Override
  public StoredWeight stored() {
    return new StoredWeight(rows, cols, StoredWeight.Layout.BITMASK, values.values, bitmask,
        values.scales == null ? null : values.scales.reshape(rows, 1), values.scales == null ? 0 : 1,
        values.precision);
  }

  /** A row's kept columns and raw values; returns how many. */
  @Override
  int row(int r, int[] colsOut, float[] valuesOut) {
    IntBuffer off = offsets.bytes().asIntBuffer();
    int first = off.get(r);
    int n = off.get(r + 1) - first;
    int stride = stride(cols);
    ByteBuffer bits = bitmask.bytes();
    int k = 0;
    for (int c = 0; c < cols; c++) {
      if ((bits.get(r * stride + (c >> 3)) >> (c & 7) & 1) != 0) {
        colsOut[k++] = c;
      }
    }
    values.read(first, n, valuesOut);
    return n;
   }
}
