package org.sparsej.format.hf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.sparsej.format.Halfs;
import org.sparsej.format.safetensors.StDType;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/**
 * The per-weight encodings of the compressed-tensors layout (vLLM, llm-compressor), independent of any file:
 * <ul>
 *   <li>"sparse-bitmask": a [rows][cols] weight becomes {@code shape} (I64 [2]), {@code compressed} (the non-zero
 *       values in row-major order, 1-D, in the weight's dtype), {@code bitmask} (U8 [rows][ceil(cols/8)], bit c%8
 *       of byte c/8 set where W[r][c] != 0: numpy packbits with bitorder="little") and {@code row_offsets}
 *       (I64 [rows], index in compressed of each row's first value).</li>
 *   <li>"int-quantized" (symmetric): {@code weight} I8 [rows][cols] and {@code weight_scale} [rows][groups]
 *       (groups = 1 for per-channel), W[r][c] = weight[r][c] · weight_scale[r][c / (cols/groups)].</li>
 * </ul>
 * A sparse int8 weight stacks the two: the int8 {@code weight} is bitmask-compressed, {@code weight_scale} stays.
 */
public final class CompressedTensors {
  private CompressedTensors() {}

  /** The four sub-tensors of a bitmask-compressed weight; values hold elementBytes-sized elements. */
  public record Bitmask(int rows, int cols, StDType valueType, ByteBuffer values, ByteBuffer bitmask,
                        long[] rowOffsets) {
    public long nonZeros() {
      return values.capacity() / valueType.bytes();
    }

    public static int maskStride(int cols) {
      return (cols + 7) / 8;
    }
  }

  /** An int8 weight with its scales (F32, F16 or BF16) of shape [rows][groups]; zeroPoints may be null. */
  public record Int8(int rows, int cols, ByteBuffer values, StDType scaleType, ByteBuffer scales, int groups,
                     ByteBuffer zeroPoints) {
    public int groupSize() {
      return cols / groups;
    }

    public float scale(int r, int g) {
      int i = r * groups + g;
      switch (scaleType) {
        case F32: return scales.getFloat(4 * i);
        case F16: return Halfs.f16ToF32(scales.getShort(2 * i));
        case BF16: return Halfs.bf16ToF32(scales.getShort(2 * i));
        default: throw new IllegalStateException(scaleType.toString());
      }
    }
  }

  /** Bitmask-compresses a dense row-major matrix of 4-byte (F32) or 1-byte (I8) elements; zero is +0 or -0. */
  public static Bitmask compress(ByteBuffer dense, StDType type, int rows, int cols) {
    int eb = type.bytes();
    if (type != StDType.F32 && type != StDType.I8) {
      throw new IllegalArgumentException("bitmask compression of " + type);
    }
    int stride = Bitmask.maskStride(cols);
    ByteBuffer mask = direct((long) rows * stride);
    long[] offsets = new long[rows];
    long nnz = 0;
    for (int r = 0; r < rows; r++) {
      offsets[r] = nnz;
      for (int c = 0; c < cols; c++) {
        if (!isZero(dense, type, (long) r * cols + c)) {
          int byteIndex = r * stride + c / 8;
          mask.put(byteIndex, (byte) (mask.get(byteIndex) | (1 << (c % 8))));
          nnz++;
        }
      }
    }
    ByteBuffer values = direct(nnz * eb);
    long k = 0;
    for (long i = 0; i < (long) rows * cols; i++) {
      if (!isZero(dense, type, i)) {
        copyElement(dense, i, values, k++, eb);
      }
    }
    return new Bitmask(rows, cols, type, values, mask, offsets);
  }

  private static boolean isZero(ByteBuffer b, StDType type, long i) {
    return type == StDType.I8 ? b.get(Math.toIntExact(i)) == 0 : b.getFloat(Math.toIntExact(i * 4)) == 0f;
  }

  private static void copyElement(ByteBuffer from, long i, ByteBuffer to, long j, int eb) {
    int src = Math.toIntExact(i * eb);
    int dst = Math.toIntExact(j * eb);
    for (int k = 0; k < eb; k++) {
      to.put(dst + k, from.get(src + k));
    }
  }

  /**
   * Expands a bitmask weight to dense: F32 for float values (F16/BF16 widened), I8 for int8 values. Every index
   * is checked first (value count against the mask's popcount, row offsets against the running count, padding
   * bits clear), so a corrupt file is reported, never read past.
   */
  public static Tensor decompress(Bitmask m, String where) {
    int stride = Bitmask.maskStride(m.cols());
    if (m.bitmask().capacity() != (long) m.rows() * stride) {
      throw new SparsejException(where + ": bitmask has " + m.bitmask().capacity() + " bytes, shape ["
          + m.rows() + ", " + m.cols() + "] needs " + (long) m.rows() * stride);
    }
    if (m.rowOffsets().length != m.rows()) {
      throw new SparsejException(where + ": row_offsets has " + m.rowOffsets().length + " entries, expected "
          + m.rows());
    }
    long count = 0;
    int padBits = stride * 8 - m.cols();
    for (int r = 0; r < m.rows(); r++) {
      if (m.rowOffsets()[r] != count) {
        throw new SparsejException(where + ": row_offsets[" + r + "] is " + m.rowOffsets()[r]
            + ", the bitmask gives " + count);
      }
      for (int i = 0; i < stride; i++) {
        count += Integer.bitCount(m.bitmask().get(r * stride + i) & 0xff);
      }
      if (padBits > 0 && (m.bitmask().get(r * stride + stride - 1) & 0xff) >>> (8 - padBits) != 0) {
        throw new SparsejException(where + ": bitmask row " + r + " sets bits past column " + m.cols());
      }
    }
    if (count != m.nonZeros()) {
      throw new SparsejException(where + ": bitmask marks " + count + " values, compressed holds "
          + m.nonZeros());
    }
    boolean int8 = m.valueType() == StDType.I8;
    Tensor dense = int8 ? Tensor.allocate(DType.I8, m.rows(), m.cols()) : Tensor.allocate(DType.F32, m.rows(),
        m.cols());
    ByteBuffer out = dense.bytes();
    long k = 0;
    for (int r = 0; r < m.rows(); r++) {
      for (int c = 0; c < m.cols(); c++) {
        if ((m.bitmask().get(r * stride + c / 8) >>> (c % 8) & 1) == 0) {
          continue;
        }
        long i = (long) r * m.cols() + c;
        if (int8) {
          out.put(Math.toIntExact(i), m.values().get(Math.toIntExact(k)));
        } else {
          out.putFloat(Math.toIntExact(i * 4), floatAt(m.values(), m.valueType(), k));
        }
        k++;
      }
    }
    return dense;
  }

  static float floatAt(ByteBuffer b, StDType type, long i) {
    switch (type) {
      case F32: return b.getFloat(Math.toIntExact(i * 4));
      case F16: return Halfs.f16ToF32(b.getShort(Math.toIntExact(i * 2)));
      case BF16: return Halfs.bf16ToF32(b.getShort(Math.toIntExact(i * 2)));
      default: throw new IllegalArgumentException("not a float type: " + type);
    }
  }

  /** W = (q - zero_point) · scale per group, as F32. */
  public static Tensor dequantize(Int8 q) {
    Tensor dense = Tensor.allocate(DType.F32, q.rows(), q.cols());
    int g = q.groupSize();
    for (int r = 0; r < q.rows(); r++) {
      for (int c = 0; c < q.cols(); c++) {
        long i = (long) r * q.cols() + c;
        int v = q.values().get(Math.toIntExact(i));
        if (q.zeroPoints() != null) {
          v -= q.zeroPoints().get(r * q.groups() + c / g);
        }
        dense.setFloat(i, v * q.scale(r, c / g));
      }
    }
    return dense;
  }

  static ByteBuffer direct(long bytes) {
    if (bytes > Integer.MAX_VALUE) {
      throw new SparsejException("compressed tensor of " + bytes + " bytes exceeds 2 GiB");
    }
    return ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
  }
}
