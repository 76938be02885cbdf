package org.sparsej.weights;

import java.nio.ByteBuffer;
import org.sparsej.tensor.DType;
import org.sparsej.weights.StoredWeight.Layout;

/**
 * What a writer must know about a {@link StoredWeight} before its bytes: shape, layout, value count, non-zeros,
 * whether it is 2:4, int8 scales. A streamed compression keeps only this of each compressed linear until the
 * writer asks for the data, so the file header (which needs every size) can be made first.
 *
 * @param valueCount the elements of {@code values} (BITMASK: the kept values; TWO_FOUR: rows·cols/2)
 * @param nonZeros   the matrix's non-zero entries (-0.0 counts as zero, as compressed-tensors' {@code != 0})
 * @param scaleType  the int8 scales' dtype, null for float values
 * @param valueType  the values' dtype: F32, I8, or BF16/F16 as the file stored them (DENSE only)
 */
public record StoredSummary(int rows, int cols, Layout layout, Precision precision, long valueCount, long nonZeros,
                            boolean twoFour, int groups, DType scaleType, DType valueType) {
  public static StoredSummary of(StoredWeight s) {
    long nonZeros = countNonZeros(s);
    long total = (long) s.rows() * s.cols();
    // isTwoFour scans only what may be 2:4: at least half zeros
    boolean twoFour = s.layout() == Layout.TWO_FOUR
        || s.layout() == Layout.DENSE && 2 * nonZeros <= total && s.isTwoFour();
    return new StoredSummary(s.rows(), s.cols(), s.layout(), s.precision(), s.values().size(), nonZeros, twoFour,
        s.groups(), s.scales() == null ? null : s.scales().dtype(), s.values().dtype());
  }

  public boolean int8() {
    return precision.int8Values();
  }

  /** As {@link StoredWeight#half()}: BF16 or F16 values. */
  public boolean half() {
    return valueType == DType.BF16 || valueType == DType.F16;
  }

  /** As {@link StoredWeight#sparsity()}: zeros of the matrix for DENSE, of the bitmask otherwise. */
  public double sparsity() {
    long total = (long) rows * cols;
    if (layout == Layout.DENSE) {
      return (double) (total - nonZeros) / total;  // as StoredWeight counts it, to the last bit
    }
    return layout == Layout.TWO_FOUR ? 0.5 : 1.0 - (double) valueCount / total;
  }

  /** This summary after {@link StoredWeight#compressed(boolean)}. */
  public StoredSummary compressed(boolean asTwoFour) {
    return new StoredSummary(rows, cols, asTwoFour ? Layout.TWO_FOUR : Layout.BITMASK, precision,
        asTwoFour ? (long) rows * cols / 2 : nonZeros, nonZeros, twoFour, groups, scaleType, sparseValueType());
  }

  /** This summary after {@code toDenseLayout().compressed(false)}. */
  public StoredSummary asBitmask() {
    return new StoredSummary(rows, cols, Layout.BITMASK, precision, nonZeros, nonZeros, twoFour, groups, scaleType,
        sparseValueType());
  }

  /** This summary after {@link StoredWeight#toDenseLayout()}. */
  public StoredSummary asDense() {
    return new StoredSummary(rows, cols, Layout.DENSE, precision, (long) rows * cols, nonZeros, twoFour, groups,
        scaleType, valueType);
  }

  /** The sparse layouts keep F32 or int8 values: BF16/F16 is widened on compression. */
  private DType sparseValueType() {
    return half() ? DType.F32 : valueType;
  }

  private static long countNonZeros(StoredWeight s) {
    ByteBuffer b = s.values().bytes();
    long n = 0;
    long size = s.values().size();
    DType type = s.values().dtype();
    for (long i = 0; i < size; i++) {
      boolean zero = switch (type) {
        case I8 -> b.get((int) i) == 0;
        case BF16, F16 -> (b.getShort((int) (2 * i)) & 0x7fff) == 0;  // -0.0 counts as zero
        default -> b.getFloat((int) (4 * i)) == 0f;
      };
      n += zero ? 0 : 1;
    }
    return n;
  }
}
