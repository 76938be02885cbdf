package org.sparsej.weights;

/**
 * Symmetric per-output-row int8 quantization of a linear weight that keeps its sparsity structure: dense stays
 * dense (W8A8 or W8A16), sparse-bitmask stays sparse-bitmask and 2:4 stays 2:4 over the same kept positions.
 * Each row gets scale = max|w| / 127 and q = round-half-even(w / scale) in [-127, 127] ({@link Int8Quantizer});
 * an all-zero row gets scale 0 and q = 0, so no NaN can arise.
 */
public final class Int8Quantization {
  private Int8Quantization() {}

  /**
   * The int8 form of {@code w}: W8A8 (activations quantized per token) when {@code int8Activations}, else weight-
   * only (W8A16). A weight that is per-row int8 already keeps its numbers and changes only the activations. A
   * dense weight stays dense whatever its zeros; see {@link #toInt8(LinearWeight, boolean, boolean)} for pruned
   * ones held dense.
   */
  public static LinearWeight toInt8(LinearWeight w, boolean int8Activations) {
    StoredWeight q = w.stored().quantized(int8Activations ? Precision.W8A8 : Precision.INT8);
    return WeightFormat.decodeAsStored(q);
  }

  /**
   * As {@link #toInt8(LinearWeight, boolean)}; when {@code pruned}, a dense weight with at least
   * {@link WeightFormat#MIN_BITMASK_SPARSITY} zeros first becomes sparse as the loader would make it
   * ({@link WeightFormat#sparseIfPruned}: 2:4 when every group of 4 keeps at most 2, else sparse-bitmask).
   */
  public static LinearWeight toInt8(LinearWeight w, boolean int8Activations, boolean pruned) {
    return toInt8(pruned ? WeightFormat.sparseIfPruned(w) : w, int8Activations);
  }
}
