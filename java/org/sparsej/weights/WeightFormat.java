package org.sparsej.weights;

/**
 * The trait table of weight storage formats: a new format is a new row here plus a {@link LinearWeight}
 * class and a kernel per backend, never a branch in the model.
 */
public enum WeightFormat {
  DENSE_F32("dense-f32", 32.0, "row-major float32"),
  /** GGUF's Q8_0: per row, blocks of 32 int8 values each with one f16 scale (34 bytes per 32 weights). */
  Q8_0("q8_0", 8.5, "row-major blocks of 32 int8 + one f16 scale (llama.cpp Q8_0)"),
  // Sparse rows: bits per weight of a matrix with no zeros; the values part shrinks with the density, the index
  // part (1 bit per weight) does not. Layouts in native/include/sparsej/spmv_bitmask.h and sparse24.h.
  SPARSE_BITMASK_F32("sparse-bitmask-f32", 33.0, "compressed-tensors bitmask + packed float32 values"),
  SPARSE_BITMASK_I8("sparse-bitmask-i8", 9.0, "bitmask + packed int8 values, f32 scale per row, f32 activations"),
  SPARSE_BITMASK_W8A8("sparse-bitmask-w8a8", 9.0, "bitmask + packed int8 values, int8 activations per token"),
  SPARSE_24_F32("sparse-2:4-f32", 17.0, "2 float32 values + two 2-bit indices per group of 4"),
  SPARSE_24_I8("sparse-2:4-i8", 5.0, "2 int8 values + two 2-bit indices per group of 4, f32 activations"),
  SPARSE_24_W8A8("sparse-2:4-w8a8", 5.0, "2 int8 values + two 2-bit indices per group of 4, int8 activations");

  private final String id;
  private final double bitsPerWeight;
  private final String layout;

  WeightFormat(String id, double bitsPerWeight, String layout) {
    this.id = id;
    this.bitsPerWeight = bitsPerWeight;
    this.layout = layout;
  }

  public String id() {
    return id;
  }

  /** Storage bits per weight of a dense matrix in this format (index overhead included, zeros not dropped). */
  public double bitsPerWeight() {
    return bitsPerWeight;
  }

  public String layout() {
    return layout;
  }
}
