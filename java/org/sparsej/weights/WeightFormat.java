package org.sparsej.weights;

import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.weights.StoredWeight.Layout;

/**
 * The trait table of weight storage formats. A row says how the format is laid out, how a stored weight decodes
 * into it ({@link #decode}) and how it is built from a dense matrix ({@link #fromDense}); its class says how it
 * is stored again ({@link LinearWeight#stored}) and computes ({@link LinearWeight#referenceMatmul}); each
 * backend keys its kernels on the row (CpuBackend's MATMULS). A new format is a new row, a class and its kernels,
 * never a branch in a reader, writer or the model.
 */
public enum WeightFormat {
  DENSE_F32("dense-f32", 32.0, "row-major float32", Layout.DENSE, Precision.F32,
      (s, p) -> new DenseF32Weight(s.dequantized().toDenseLayout().values()),
      (d, m, p) -> new DenseF32Weight(masked(d, m))),
  /** BF16 / F16 as the file stores them (never widened at load); built from F32 by rounding to nearest even. */
  DENSE_BF16("dense-bf16", 16.0, "row-major bfloat16, f32 activations", Layout.DENSE, Precision.F32,
      (s, p) -> new DenseHalfWeight(s.values().reshape(s.rows(), s.cols())),
      (d, m, p) -> DenseHalfWeight.round(masked(d, m), DType.BF16)),
  DENSE_F16("dense-f16", 16.0, "row-major float16, f32 activations", Layout.DENSE, Precision.F32,
      (s, p) -> new DenseHalfWeight(s.values().reshape(s.rows(), s.cols())),
      (d, m, p) -> DenseHalfWeight.round(masked(d, m), DType.F16)),
  /** GGUF's Q8_0: per row, blocks of 32 int8 values each with one f16 scale (34 bytes per 32 weights). */
  Q8_0("q8_0", 8.5, "row-major blocks of 32 int8 + one f16 scale (llama.cpp Q8_0)", Layout.DENSE, Precision.INT8,
      (s, p) -> Q8_0Weight.fromStored(s.toDenseLayout()),
      (d, m, p) -> Q8_0Weight.quantize(masked(d, m))),
  /**
   * GGUF's Q4_0: per row, blocks of 32 4-bit values (minus 8) with one f16 scale (18 bytes per 32 weights). Its
   * int8 view is Q8_0's with values in [-8, 7]; an HF directory stores it so, and loads it back as Q4_0.
   */
  Q4_0("q4_0", 4.5, "row-major blocks of 32 4-bit values + one f16 scale (llama.cpp Q4_0)", Layout.DENSE,
      Precision.INT8, (s, p) -> Q4_0Weight.fromStored(s.toDenseLayout()),
      (d, m, p) -> Q4_0Weight.quantize(masked(d, m))),
  DENSE_W8A16("dense-w8a16", 8.0, "row-major int8, f32 scale per row, f32 activations", Layout.DENSE,
      Precision.INT8, WeightFormat::denseInt8, (d, m, p) -> DenseInt8Weight.quantize(masked(d, m), p)),
  DENSE_W8A8("dense-w8a8", 8.0, "row-major int8, f32 scale per row, int8 activations per token", Layout.DENSE,
      Precision.W8A8, WeightFormat::denseInt8, (d, m, p) -> DenseInt8Weight.quantize(masked(d, m), p)),
  // Sparse rows: bits per weight of a matrix with no zeros; the values part shrinks with the density, the index
  // part (1 bit per weight) does not. Layouts in native/include/sparsej/spmv_bitmask.h and sparse24.h.
  SPARSE_BITMASK_F32("sparse-bitmask-f32", 33.0, "compressed-tensors bitmask + packed float32 values",
      Layout.BITMASK, Precision.F32, WeightFormat::bitmask, BitmaskSparseWeight::fromDense),
  SPARSE_BITMASK_I8("sparse-bitmask-i8", 9.0, "bitmask + packed int8 values, f32 scale per row, f32 activations",
      Layout.BITMASK, Precision.INT8, WeightFormat::bitmask, BitmaskSparseWeight::fromDense),
  SPARSE_BITMASK_W8A8("sparse-bitmask-w8a8", 9.0, "bitmask + packed int8 values, int8 activations per token",
      Layout.BITMASK, Precision.W8A8, WeightFormat::bitmask, BitmaskSparseWeight::fromDense),
  SPARSE_24_F32("sparse-2:4-f32", 17.0, "2 float32 values + two 2-bit indices per group of 4", Layout.TWO_FOUR,
      Precision.F32, WeightFormat::twoFour, Sparse24Weight::fromDense),
  SPARSE_24_I8("sparse-2:4-i8", 5.0, "2 int8 values + two 2-bit indices per group of 4, f32 activations",
      Layout.TWO_FOUR, Precision.INT8, WeightFormat::twoFour, Sparse24Weight::fromDense),
  SPARSE_24_W8A8("sparse-2:4-w8a8", 5.0, "2 int8 values + two 2-bit indices per group of 4, int8 activations",
      Layout.TWO_FOUR, Precision.W8A8, WeightFormat::twoFour, Sparse24Weight::fromDense);

  /**
   * Below this fraction of zeros a bitmask weight runs faster as a dense one (the kernels save too few bytes;
   * docs/benchmarks.md), so a stored sparse-bitmask weight that dense is loaded dense.
   */
  public static final double MIN_BITMASK_SPARSITY = 0.3;

  /** Turns a stored weight (in this row's layout, or one that expands to it) into this format. */
  private interface Decoder {
    LinearWeight decode(StoredWeight s, Precision p);
  }

  /** Builds this format from an F32 [rows][cols] matrix, keeping where mask (I8, 1 = keep; null: non-zeros). */
  private interface Builder {
    LinearWeight build(Tensor dense, Tensor mask, Precision p);
  }

  private final String id;
  private final double bitsPerWeight;
  private final String description;
  private final Layout layout;
  private final Precision precision;
  private final Decoder decoder;
  private final Builder builder;

  WeightFormat(String id, double bitsPerWeight, String description, Layout layout, Precision precision,
               Decoder decoder, Builder builder) {
    this.id = id;
    this.bitsPerWeight = bitsPerWeight;
    this.description = description;
    this.layout = layout;
    this.precision = precision;
    this.decoder = decoder;
    this.builder = builder;
  }

  public String id() {
    return id;
  }

  /** Storage bits per weight of a dense matrix in this format (index overhead included, zeros not dropped). */
  public double bitsPerWeight() {
    return bitsPerWeight;
  }

  public String layout() {
    return description;
  }

  /** How files store this format (compressed-tensors' dense, sparse-bitmask or sparse-24-bitmask). */
  public Layout storedLayout() {
    return layout;
  }

  public Precision precision() {
    return precision;
  }

  /** This format built from a dense F32 [rows][cols] matrix; mask (I8, non-zero = keep) may be null. */
  public LinearWeight fromDense(Tensor dense, Tensor mask) {
    return builder.build(dense, mask, precision);
  }

  public static WeightFormat parse(String id) {
    for (WeightFormat f : values()) {
      if (f.id.equalsIgnoreCase(id.trim())) {
        return f;
      }
    }
    throw new org.sparsej.util.SparsejException("unknown weight format '" + id + "' (expected one of "
        + java.util.Arrays.stream(values()).map(WeightFormat::id).toList() + ")");
  }

  /**
   * The format a stored weight runs in, as stored: float or int8 values keep their precision and sparse layout;
   * a bitmask weight under {@link #MIN_BITMASK_SPARSITY} zeros runs dense; int8 with group-32 f16 scales is
   * Q8_0 (Q4_0 when every value is in [-8, 7]); int8 with other groups (neither per row nor Q8_0) is dequantized to dense F32; BF16/F16 values stay
   * BF16/F16.
   */
  public static WeightFormat forStored(StoredWeight s) {
    return forStored(s, s.layout() == Layout.TWO_FOUR
        || s.layout() == Layout.BITMASK && s.sparsity() >= MIN_BITMASK_SPARSITY);
  }

  private static WeightFormat forStored(StoredWeight s, boolean sparse) {
    if (s.half()) {  // BF16/F16 values are always DENSE (StoredWeight)
      return s.values().dtype() == DType.BF16 ? DENSE_BF16 : DENSE_F16;
    }
    if (s.int8() && s.groups() != 1) {
      boolean q8 = s.groups() * Q8_0Weight.BLOCK == s.cols() && s.scales().dtype() == DType.F16;
      return !q8 ? DENSE_F32 : Q4_0Weight.holds(s) ? Q4_0 : Q8_0;
    }
    Layout layout = sparse ? s.layout() : Layout.DENSE;
    for (WeightFormat f : values()) {
      if (f != Q8_0 && f != Q4_0 && f != DENSE_BF16 && f != DENSE_F16 && f.layout == layout
          && f.precision == s.precision()) {
        return f;
      }
    }
    throw new IllegalStateException("no format for " + layout + " " + s.precision());
  }

  /** A stored weight in the format it runs in ({@link #forStored}), with no dense F32 copy on the way. */
  public static LinearWeight decode(StoredWeight s) {
    WeightFormat f = forStored(s);
    return f.decoder.decode(s, f.precision);
  }

  /** As {@link #decode}, but a bitmask weight stays sparse-bitmask whatever its sparsity. */
  public static LinearWeight decodeAsStored(StoredWeight s) {
    WeightFormat f = forStored(s, s.layout() != Layout.DENSE);
    return f.decoder.decode(s, f.precision);
  }

  /**
   * What saving with sparse compression and loading again makes of a weight: a dense one that is 2:4 (every group
   * of 4 columns at most 2 non-zeros) becomes 2:4, one with at least {@link #MIN_BITMASK_SPARSITY} zeros becomes
   * sparse-bitmask, in its own precision; anything else is returned as it is. For pruned weights held dense.
   */
  public static LinearWeight sparseIfPruned(LinearWeight w) {
    if (w.format().layout != Layout.DENSE || w.format() == Q8_0 || w.format() == Q4_0) {
      return w;
    }
    StoredWeight s = w.stored();
    if (s.sparsity() < MIN_BITMASK_SPARSITY) {
      return w;
    }
    return decode(s.compressed(s.isTwoFour()));
  }

  /**
   * As {@link #sparseIfPruned} for a weight as a file stores it (dense-stored sparse models): a DENSE float or
   * per-row int8 weight with at least {@link #MIN_BITMASK_SPARSITY} zeros is compressed straight from the stored
   * values (BF16/F16 widened one weight at a time), anything else decodes as {@link #decode} does.
   */
  public static LinearWeight decodeSparseIfPruned(StoredWeight s) {
    boolean candidate = s.layout() == Layout.DENSE && (!s.int8() || s.groups() == 1);
    if (!candidate || s.sparsity() < MIN_BITMASK_SPARSITY) {
      return decode(s);
    }
    return decode(s.compressed(s.isTwoFour()));
  }

  private static LinearWeight denseInt8(StoredWeight s, Precision p) {
    StoredWeight d = s.toDenseLayout();
    return DenseInt8Weight.of(d.values().reshape(s.rows(), s.cols()), s.rowScalesF32(), p);
  }

  private static LinearWeight bitmask(StoredWeight s, Precision p) {
    return BitmaskSparseWeight.fromCompressed(s.rows(), s.cols(), s.values(), s.bitmask(), null,
        p.int8Values() ? s.rowScalesF32() : null, p);
  }

  private static LinearWeight twoFour(StoredWeight s, Precision p) {
    return Sparse24Weight.fromBitmask(s.rows(), s.cols(), s.values(), s.bitmask(),
        p.int8Values() ? s.rowScalesF32() : null, p);
  }

  private static Tensor masked(Tensor dense, Tensor mask) {
    dense.requireDType(DType.F32);
    if (mask == null) {
      return dense;
    }
    mask.requireSize("mask", dense.size());
    Tensor m = Tensor.allocate(DType.F32, dense.shape());
    m.bytes().put(dense.bytes());
    java.nio.ByteBuffer keep = mask.bytes();
    for (long i = 0; i < m.size(); i++) {
      if (keep.get((int) i) == 0) {
        m.setFloat(i, 0f);
      }
    }
    return m;
  }
}
