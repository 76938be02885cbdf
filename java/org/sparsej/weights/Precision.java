package org.sparsej.weights;

import java.util.Locale;
import org.sparsej.util.SparsejException;

/** How a sparse weight keeps its values, and what the matmul does with the activations. */
public enum Precision {
  /** float32 values, float32 activations. */
  F32,
  /** int8 values with one float32 scale per output row; activations stay float32 (weight-only). */
  INT8,
  /** int8 values as in INT8; activations are quantized per token to int8 and the sums run in int32. */
  W8A8;

  public boolean int8Values() {
    return this != F32;
  }

  public int valueBytes() {
    return this == F32 ? 4 : 1;
  }

  public static Precision parse(String name) {
    switch (name.trim().toLowerCase(Locale.ROOT)) {
      case "f32": return F32;
      case "int8": case "i8": return INT8;
      case "w8a8": return W8A8;
      default: throw new SparsejException("unknown precision '" + name + "' (expected f32, int8 or w8a8)");
    }
  }
}
