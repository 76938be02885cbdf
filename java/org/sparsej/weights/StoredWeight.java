package org.sparsej.weights;

import java.nio.ByteBuffer;
import java.util.function.IntUnaryOperator;
import org.sparsej.format.Halfs;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/**
 * A linear weight as a file stores it, independent of any one file format: the compressed-tensors model of a
 * weight (values, an optional bitmask, optional int8 scales). Readers build one from a file's tensors and
 * {@link WeightFormat#decode} turns it into the format that runs; {@link LinearWeight#stored()} gives it back to
 * the writers. The parts are views where they can be (a mapped file's bytes, a weight's own buffers).
 *
 * @param values  DENSE: F32, I8, or BF16/F16 as a file stores them [rows][cols]; BITMASK: the kept values in row-major order, 1-D;
 *                TWO_FOUR: [rows][cols/2], two per group of 4 columns
 * @param bitmask I8 [rows][ceil(cols/8)], bit c%8 of byte c/8 set where column c is kept (numpy packbits,
 *                little bit order); null for DENSE. TWO_FOUR sets exactly 2 bits per group of 4.
 * @param scales  int8 values only: F32 or F16 [rows][groups], W[r][c] = q[r][c] · scale[r][c / (cols/groups)]
 * @param precision F32 for float values; INT8 (weight-only, W8A16) or W8A8 (int8 activations) for int8 values
 */
public record StoredWeight(int rows, int cols, Layout layout, Tensor values, Tensor bitmask, Tensor scales,
                           int groups, Precision precision) {
  /** How the values are laid out; the names are compressed-tensors' formats. */
  public enum Layout {
    DENSE("dense"), BITMASK("sparse-bitmask"), TWO_FOUR("sparse-24-bitmask");

    private final String compressedTensorsName;

    Layout(String name) {
      this.compressedTensorsName = name;
    }

    public String compressedTensorsName() {
      return compressedTensorsName;
    }
  }

  public StoredWeight {
    if (rows <= 0 || cols <= 0) {
      throw new SparsejException("weight shape [" + rows + ", " + cols + "] is empty");
    }
    boolean int8 = values.dtype() == DType.I8;
    boolean half = values.dtype() == DType.BF16 || values.dtype() == DType.F16;
    if (!int8 && values.dtype() != DType.F32 && !(half && layout == Layout.DENSE)) {
      throw new IllegalArgumentException("stored values are F32 or I8 (BF16/F16 dense), got " + values.dtype()
          + " " + layout);
    }
    if (int8 != precision.int8Values()) {
      throw new IllegalArgumentException(values.dtype() + " values with precision " + precision);
    }
    if (int8 && (scales == null || groups < 1 || cols % groups != 0 || scales.size() != (long) rows * groups)) {
      throw new SparsejException("int8 weight [" + rows + ", " + cols + "]: needs " + rows + " x groups scales");
    }
    if ((layout == Layout.DENSE) != (bitmask == null)) {
      throw new IllegalArgumentException(layout + " with" + (bitmask == null ? "out" : "") + " a bitmask");
    }
  }

  public static int maskStride(int cols) {
    return (cols + 7) / 8;
  }

  public static StoredWeight dense(Tensor values, Tensor scales, int groups, Precision precision) {
    return new StoredWeight(values.dim(0), values.dim(1), Layout.DENSE, values, null, scales, groups, precision);
  }

  public boolean int8() {
    return precision.int8Values();
  }

  /** Whether the values are BF16 or F16 as the file stores them (DENSE only). */
  public boolean half() {
    return values.dtype() == DType.BF16 || values.dtype() == DType.F16;
  }

  /** Bytes per stored value: 1 for int8, 2 for BF16/F16, 4 for F32. */
  private int valueBytes() {
    return int8() ? 1 : half() ? 2 : 4;
  }

  /** BF16/F16 values widened to a DENSE F32 copy (exact); any other weight as it is. */
  public StoredWeight widened() {
    return half() ? dense(new DenseHalfWeight(values).toDense(), null, 0, Precision.F32) : this;
  }

  /** Fraction of zeros: of the whole matrix for DENSE (counted), of the bitmask for the sparse layouts. */
  public double sparsity() {
    long total = (long) rows * cols;
    if (layout != Layout.DENSE) {
      return layout == Layout.TWO_FOUR ? 0.5 : 1.0 - (double) values.size() / total;
    }
    long zeros = 0;
    ByteBuffer b = values.bytes();
    int valueBytes = valueBytes();
    for (long i = 0; i < total; i++) {
      zeros += isZero(b, valueBytes, i) ? 1 : 0;  // one view for the loop: a view per element costs more
    }
    return (double) zeros / total;
  }

  /** Per-row F32 scales [rows] of int8 values with one group (F16 ones widened). */
  public Tensor rowScalesF32() {
    if (groups != 1) {
      throw new IllegalStateException("per-row scales of a weight with " + groups + " groups");
    }
    if (scales.dtype() == DType.F32) {
      return scales.reshape(rows);
    }
    Tensor f = Tensor.allocate(DType.F32, rows);
    for (int r = 0; r < rows; r++) {
      f.setFloat(r, scale(r, 0));
    }
    return f;
  }

  public float scale(int r, int g) {
    int i = r * groups + g;
    switch (scales.dtype()) {
      case F32: return scales.getFloat(i);
      case F16: return Halfs.f16ToF32(scales.bytes().getShort(2 * i));
      default: throw new IllegalStateException("scales of dtype " + scales.dtype());
    }
  }

  /** Each row's first value in {@code values} for the sparse layouts, [rows + 1]; checks the mask on the way. */
  public int[] rowStarts() {
    int[] starts = new int[rows + 1];
    int stride = maskStride(cols);
    ByteBuffer bits = bitmask.bytes();
    long total = 0;
    int padBits = stride * 8 - cols;
    for (int r = 0; r < rows; r++) {
      starts[r] = (int) total;
      for (int j = 0; j < stride; j++) {
        total += Integer.bitCount(bits.get(r * stride + j) & 0xff);
      }
      if (padBits > 0 && (bits.get(r * stride + stride - 1) & 0xff) >>> (8 - padBits) != 0) {
        throw new SparsejException(layout.compressedTensorsName() + ": row " + r + " sets bits past column " + cols);
      }
      if (total > Integer.MAX_VALUE - 64) {
        throw new SparsejException(layout.compressedTensorsName() + ": more than 2^31 kept values");
      }
    }
    if (total != values.size()) {
      throw new SparsejException(layout.compressedTensorsName() + ": the bitmask keeps " + total + " weights but "
          + values.size() + " values are stored");
    }
    starts[rows] = (int) total;
    return starts;
  }

  /** The same weight in the DENSE layout (zeros where the bitmask keeps nothing), same dtype and scales. */
  public StoredWeight toDenseLayout() {
    if (layout == Layout.DENSE) {
      return this;
    }
    int[] starts = rowStarts();
    int eb = values.dtype().bytes();
    Tensor dense = Tensor.allocate(values.dtype(), rows, cols);
    ByteBuffer out = dense.bytes();
    ByteBuffer in = values.bytes();
    ByteBuffer bits = bitmask.bytes();
    int stride = maskStride(cols);
    for (int r = 0; r < rows; r++) {
      int k = starts[r];
      for (int c = 0; c < cols; c++) {
        if ((bits.get(r * stride + (c >> 3)) >> (c & 7) & 1) != 0) {
          for (int b = 0; b < eb; b++) {
            out.put(((r * cols) + c) * eb + b, in.get(k * eb + b));
          }
          k++;
        }
      }
    }
    return new StoredWeight(rows, cols, Layout.DENSE, dense, null, scales, groups, precision);
  }

  /** int8 values times their scales as DENSE F32. */
  public StoredWeight dequantized() {
    if (!int8()) {
      return widened();
    }
    StoredWeight d = toDenseLayout();
    Tensor f = Tensor.allocate(DType.F32, rows, cols);
    int g = cols / groups;
    ByteBuffer q = d.values.bytes();
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        f.setFloat((long) r * cols + c, q.get(r * cols + c) * scale(r, c / g));
      }
    }
    return dense(f, null, 0, Precision.F32);
  }

  /** Whether every group of 4 columns of this DENSE weight holds at most 2 non-zeros. */
  public boolean isTwoFour() {
    if (layout == Layout.TWO_FOUR) {
      return true;
    }
    if (layout != Layout.DENSE || cols % 4 != 0) {
      return false;
    }
    ByteBuffer in = values.bytes();
    int valueBytes = valueBytes();
    for (long g = 0; g < (long) rows * cols; g += 4) {
      int n = 0;
      for (int i = 0; i < 4; i++) {
        n += isZero(in, valueBytes, g + i) ? 0 : 1;
      }
      if (n > 2) {
        return false;
      }
    }
    return true;
  }

  /**
   * {@code in} is the values' bytes ({@code valueBytes} bytes each), fetched once by loops (a view per element costs
   * more than the test).
   */
  private static boolean isZero(ByteBuffer in, int valueBytes, long i) {
    // compressed-tensors' "tensor != 0": -0.0 counts as zero
    switch (valueBytes) {
      case 1:
        return in.get((int) i) == 0;
      case 2:  // BF16 or F16: every bit but the sign clear
        return (in.getShort((int) (2 * i)) & 0x7fff) == 0;
      default:
        return in.getFloat((int) (4 * i)) == 0f;
    }
  }

  /** A DENSE weight bitmask-compressed (non-zeros kept) or, when {@code twoFour}, as 2 kept per group of 4. */
  public StoredWeight compressed(boolean twoFour) {
    if (layout != Layout.DENSE) {
      throw new IllegalStateException("already " + layout);
    }
    if (half()) {  // the sparse layouts keep F32 or int8 values
      return widened().compressed(twoFour);
    }
    if (twoFour && !isTwoFour()) {
      throw new SparsejException("weight [" + rows + ", " + cols + "] is not 2:4 sparse");
    }
    int stride = maskStride(cols);
    Tensor mask = Tensor.allocate(DType.I8, rows, stride);
    ByteBuffer bits = mask.bytes();
    ByteBuffer vals = values.bytes();
    int valueBytes = valueBytes();
    long kept = 0;
    for (int r = 0; r < rows; r++) {
      for (int c0 = 0; c0 < cols; c0 += twoFour ? 4 : cols) {
        int width = twoFour ? 4 : cols;
        int need = twoFour ? 2 : 0;
        for (int i = 0; i < width; i++) {  // non-zeros first
          if (!isZero(vals, valueBytes, (long) r * cols + c0 + i)) {
            setBit(bits, r * stride, c0 + i);
            kept++;
            need--;
          }
        }
        for (int i = 0; need > 0 && i < width; i++) {  // 2:4 tops a group up with zeros, as compressed-tensors does
          if (isZero(vals, valueBytes, (long) r * cols + c0 + i)) {
            setBit(bits, r * stride, c0 + i);
            kept++;
            need--;
          }
        }
      }
    }
    int eb = values.dtype().bytes();
    Tensor out = twoFour ? Tensor.allocate(values.dtype(), rows, cols / 2)
        : Tensor.allocate(values.dtype(), Math.toIntExact(kept));
    ByteBuffer o = out.bytes();
    ByteBuffer in = values.bytes();
    int k = 0;
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        if ((bits.get(r * stride + (c >> 3)) >> (c & 7) & 1) != 0) {
          int at = r * cols + c;
          if (eb == 4) {
            o.putInt(4 * k, in.getInt(4 * at));  // the float's bits, whole
          } else {
            o.put(k, in.get(at));
          }
          k++;
        }
      }
    }
    return new StoredWeight(rows, cols, twoFour ? Layout.TWO_FOUR : Layout.BITMASK, out, mask, scales, groups,
        precision);
  }

  private static void setBit(ByteBuffer bits, int rowBase, int c) {
    bits.put(rowBase + (c >> 3), (byte) (bits.get(rowBase + (c >> 3)) | (1 << (c & 7))));
  }

  /**
   * The int8 form with activations {@code p} (INT8 or W8A8), same layout and kept positions: float values are
   * quantized per row (symmetric, {@link Int8Quantizer}; an all-zero row gets scale 0), per-row int8 values keep
   * their numbers, int8 with other groups is dequantized and quantized again per row.
   */
  public StoredWeight quantized(Precision p) {
    if (half()) {
      return widened().quantized(p);
    }
    if (!p.int8Values()) {
      throw new IllegalArgumentException("quantized to " + p);
    }
    if (int8() && groups == 1) {
      return new StoredWeight(rows, cols, layout, values, bitmask, scales, groups, p);
    }
    StoredWeight f = int8() ? (layout == Layout.DENSE ? dequantized()
        : new StoredWeight(rows, cols, layout, floatValues(), bitmask, null, 0, Precision.F32)) : this;
    int[] starts = layout == Layout.BITMASK ? rowStarts() : null;
    int perRow = layout == Layout.TWO_FOUR ? cols / 2 : cols;
    Tensor q = Tensor.allocate(DType.I8, Math.toIntExact(values.size()));
    Tensor s = Tensor.allocate(DType.F32, rows, 1);
    ByteBuffer in = f.values.bytes();
    ByteBuffer out = q.bytes();
    for (int r = 0; r < rows; r++) {
      int first = starts == null ? r * perRow : starts[r];
      int end = starts == null ? first + perRow : starts[r + 1];
      float absMax = 0f;
      for (int i = first; i < end; i++) {
        absMax = Math.max(absMax, Math.abs(in.getFloat(4 * i)));
      }
      float inv = Int8Quantizer.inverse(absMax);
      s.setFloat(r, Int8Quantizer.weightScale(absMax));
      for (int i = first; i < end; i++) {
        out.put(i, Int8Quantizer.quantize(in.getFloat(4 * i), inv));
      }
    }
    Tensor shaped = layout == Layout.BITMASK ? q : q.reshape(values.shape());
    return new StoredWeight(rows, cols, layout, shaped, bitmask, s, 1, p);
  }

  /** Sparse int8 values times their row's scale, same layout (for requantizing grouped int8). */
  private Tensor floatValues() {
    int[] starts = layout == Layout.BITMASK ? rowStarts() : null;
    int perRow = cols / 2;
    Tensor f = Tensor.allocate(DType.F32, Math.toIntExact(values.size()));
    ByteBuffer q = values.bytes();
    ByteBuffer bits = bitmask.bytes();
    int stride = maskStride(cols);
    int g = cols / groups;
    for (int r = 0; r < rows; r++) {
      int k = starts == null ? r * perRow : starts[r];
      for (int c = 0; c < cols; c++) {
        if ((bits.get(r * stride + (c >> 3)) >> (c & 7) & 1) != 0) {
          f.setFloat(k, q.get(k) * scale(r, c / g));
          k++;
        }
      }
    }
    return f;
  }

  /** The same weight with row r taken from row {@code source(r)} (q/k RoPE layouts), copied. */
  public StoredWeight permuteRows(IntUnaryOperator source) {
    int eb = values.dtype().bytes();
    Tensor newMask = null;
    Tensor newValues;
    if (layout == Layout.BITMASK) {
      int[] starts = rowStarts();
      int stride = maskStride(cols);
      newMask = permute(bitmask, rows, stride, source).reshape(rows, stride);
      newValues = Tensor.allocate(values.dtype(), Math.toIntExact(values.size()));
      ByteBuffer out = newValues.bytes();
      int k = 0;
      for (int r = 0; r < rows; r++) {
        int s = source.applyAsInt(r);
        int n = (starts[s + 1] - starts[s]) * eb;
        ByteBuffer src = values.bytes().duplicate();
        src.position(starts[s] * eb).limit(starts[s] * eb + n);
        out.position(k).put(src);
        k += n;
      }
      out.clear();
    } else {
      int rowElems = layout == Layout.TWO_FOUR ? cols / 2 : cols;
      newValues = permute(values, rows, rowElems * eb, source).reshape(rows, rowElems);
      if (layout == Layout.TWO_FOUR) {
        newMask = permute(bitmask, rows, maskStride(cols), source).reshape(rows, maskStride(cols));
      }
    }
    Tensor newScales = scales == null ? null
        : permute(scales, rows, groups * scales.dtype().bytes(), source).reshape(rows, groups);
    return new StoredWeight(rows, cols, layout, newValues, newMask, newScales, groups, precision);
  }

  private static Tensor permute(Tensor t, int rows, int rowBytes, IntUnaryOperator source) {
    Tensor out = Tensor.allocate(t.dtype(), Math.toIntExact(t.size()));
    ByteBuffer o = out.bytes();
    for (int r = 0; r < rows; r++) {
      int s = source.applyAsInt(r);
      ByteBuffer src = t.bytes().duplicate();
      src.position(s * rowBytes).limit(s * rowBytes + rowBytes);
      o.position(r * rowBytes).put(src);
    }
    o.clear();
    return out;
  }
}
