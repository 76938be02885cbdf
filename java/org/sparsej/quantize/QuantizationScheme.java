package org.sparsej.quantize;

import java.util.Locale;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.Int8Quantization;
import org.sparsej.weights.LinearWeight;

/**
 * The INT8 schemes, named as llm-compressor's presets: weights symmetric INT8 with one scale per output channel;
 * W8A8 also quantizes each linear's input dynamically per token (symmetric INT8), W8A16 keeps FP32 activations.
 */
public enum QuantizationScheme {
  W8A8(true),
  W8A16(false);

  private final boolean int8Activations;

  QuantizationScheme(boolean int8Activations) {
    this.int8Activations = int8Activations;
  }

  public boolean int8Activations() {
    return int8Activations;
  }

  public static QuantizationScheme parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new SparsejException("unknown quantization scheme '" + name + "' (expected W8A8 or W8A16)");
    }
  }

  /**
   * The linear in this scheme's INT8 format, keeping its sparsity: dense, bitmask or 2:4 stay so, and a pruned weight
   * held dense (a llama2.c file) becomes sparse INT8 as loading its saved form would make it.
   */
  public LinearWeight quantize(LinearWeight w) {
    return Int8Quantization.toInt8(w, int8Activations, true);
  }

  /** The classifier in this scheme's dense INT8 format (never pruned: it stays dense). */
  public LinearWeight quantizeClassifier(LinearWeight w) {
    return Int8Quantization.toInt8(w, int8Activations);
  }
}
