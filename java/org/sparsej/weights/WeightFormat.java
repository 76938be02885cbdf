package org.sparsej.weights;

/**
 * The trait table of weight storage formats: a new format is a new row here plus a {@link LinearWeight}
 * class and a kernel per backend, never a branch in the model.
 */
public enum WeightFormat {
  DENSE_F32("dense-f32", 32.0, "row-major float32"),
  /** GGUF's Q8_0: per row, blocks of 32 int8 values each with one f16 scale (34 bytes per 32 weights). */
  Q8_0("q8_0", 8.5, "row-major blocks of 32 int8 + one f16 scale (llama.cpp Q8_0)");

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
