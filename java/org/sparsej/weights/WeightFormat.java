package org.sparsej.weights;

/**
 * The trait table of weight storage formats: a new format is a new row here plus a {@link LinearWeight}
 * class and a kernel per backend, never a branch in the model.
 */
public enum WeightFormat {
  DENSE_F32("dense-f32", 32.0, "row-major float32");

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
