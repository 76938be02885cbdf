package org.sparsej.model;

import org.sparsej.util.SparsejException;

/**
 * How RoPE's rotation frequencies are stretched for contexts longer than the model was trained on, as Hugging Face
 * transformers defines each type (modeling_rope_utils): "linear" divides every frequency by {@code factor};
 * "llama3" (Llama 3.1+) divides the low frequencies, keeps the high ones and blends between; "yarn" blends
 * interpolated and extrapolated frequencies over a ramp of dimensions and scales cos/sin by an attention factor.
 *
 * @param type "default", "linear", "llama3" or "yarn"
 * @param factor the context stretch (1 for default)
 * @param originalContext the context the model was trained on (llama3, yarn)
 * @param lowFreqFactor llama3's low_freq_factor
 * @param highFreqFactor llama3's high_freq_factor
 * @param betaFast yarn's beta_fast
 * @param betaSlow yarn's beta_slow
 * @param attentionFactor what cos and sin are multiplied by (yarn; 1 otherwise)
 * @param truncate yarn's truncate (round the ramp's ends outwards)
 * @param frequencyDivisors "factors": each pair's frequency divided by its own value (GGUF's rope_freqs tensor,
 *     which llama.cpp's converter writes for llama3 scaling); null otherwise
 */
public record RopeScaling(String type, double factor, int originalContext, double lowFreqFactor,
                          double highFreqFactor, double betaFast, double betaSlow, double attentionFactor,
                          boolean truncate, float[] frequencyDivisors) {
  public static final RopeScaling NONE = new RopeScaling("default", 1, 0, 1, 4, 32, 1, 1, true, null);

  public RopeScaling {
    switch (type) {
      case "default":
        break;
      case "factors":
        for (float d : frequencyDivisors) {
          if (!(d > 0) || Float.isInfinite(d)) {
            throw new SparsejException("rope frequency factor " + d + " is not a positive number");
          }
        }
        break;
      case "linear":
      case "llama3":
      case "yarn":
        if (!(factor > 0) || Double.isInfinite(factor)) {
          throw new SparsejException("rope scaling '" + type + "' needs a positive factor, got " + factor);
        }
        if (!type.equals("linear") && originalContext <= 0) {
          throw new SparsejException("rope scaling '" + type + "' needs original_max_position_embeddings > 0");
        }
        if (type.equals("llama3") && !(highFreqFactor > lowFreqFactor)) {
          throw new SparsejException("rope scaling 'llama3' needs high_freq_factor > low_freq_factor");
        }
        if (!(attentionFactor > 0) || Double.isInfinite(attentionFactor)) {
          throw new SparsejException("rope scaling attention factor must be positive, got " + attentionFactor);
        }
        break;
      default:
        throw new SparsejException("rope scaling type '" + type + "' is not supported (default, linear, llama3, "
            + "yarn are)");
    }
  }

  public static RopeScaling linear(double factor) {
    return new RopeScaling("linear", factor, 0, 1, 4, 32, 1, 1, true, null);
  }

  public static RopeScaling llama3(double factor, int originalContext, double lowFreqFactor,
                                   double highFreqFactor) {
    return new RopeScaling("llama3", factor, originalContext, lowFreqFactor, highFreqFactor, 32, 1, 1, true,
        null);
  }

  /** yarn; attentionFactor NaN means transformers' default, 0.1·ln(factor) + 1 (or its mscale ratio). */
  public static RopeScaling yarn(double factor, int originalContext, double betaFast, double betaSlow,
                                 double attentionFactor, boolean truncate) {
    double a = Double.isNaN(attentionFactor) ? mscale(factor, 1) : attentionFactor;
    return new RopeScaling("yarn", factor, originalContext, 1, 4, betaFast, betaSlow, a, truncate, null);
  }

  /** Each pair's frequency divided by its own factor (GGUF's rope_freqs tensor). */
  public static RopeScaling divisors(float[] divisors) {
    return new RopeScaling("factors", 1, 0, 1, 4, 32, 1, 1, true, divisors.clone());
  }

  /** yarn's get_mscale. */
  public static double mscale(double scale, double m) {
    return scale <= 1 ? 1.0 : 0.1 * m * Math.log(scale) + 1.0;
  }

  /** The rotation frequency of each of a head's headSize/2 pairs: theta^(-2i/headSize), then scaled. */
  public float[] inverseFrequencies(float theta, int headSize) {
    int half = headSize / 2;
    float[] f = new float[half];
    for (int i = 0; i < half; i++) {
      f[i] = 1.0f / (float) Math.pow(theta, (2.0f * i) / headSize);
    }
    switch (type) {
      case "factors":
        if (frequencyDivisors.length != half) {
          throw new SparsejException("rope has " + frequencyDivisors.length + " frequency factors for " + half
              + " pairs");
        }
        for (int i = 0; i < half; i++) {
          f[i] /= frequencyDivisors[i];
        }
        break;
      case "linear":
        for (int i = 0; i < half; i++) {
          f[i] = (float) (f[i] / factor);
        }
        break;
      case "llama3": {
        double lowWavelen = originalContext / lowFreqFactor;
        double highWavelen = originalContext / highFreqFactor;
        for (int i = 0; i < half; i++) {
          double wavelen = 2 * Math.PI / f[i];
          if (wavelen > lowWavelen) {
            f[i] = (float) (f[i] / factor);
          } else if (wavelen >= highWavelen) {  // between the two: blend the divided and the kept frequency
            double smooth = (originalContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
            f[i] = (float) ((1 - smooth) * f[i] / factor + smooth * f[i]);
          }
        }
        break;
      }
      case "yarn": {
        double low = correctionDim(betaFast, headSize, theta, originalContext);
        double high = correctionDim(betaSlow, headSize, theta, originalContext);
        if (truncate) {
          low = Math.floor(low);
          high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, headSize - 1);
        if (low == high) {
          high += 0.001;  // as transformers: no zero-width ramp
        }
        for (int i = 0; i < half; i++) {
          double ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
          double extrapolation = 1 - ramp;  // 1: the pair keeps its frequency, 0: it is interpolated
          f[i] = (float) (f[i] / factor * (1 - extrapolation) + f[i] * extrapolation);
        }
        break;
      }
      default:
        break;
    }
    return f;
  }

  /** What the rotated q and k are multiplied by (cos and sin scaled, as transformers' attention_scaling). */
  public float cosSinScale() {
    return (float) attentionFactor;
  }

  private static double correctionDim(double rotations, int dim, double base, int context) {
    return dim * Math.log(context / (rotations * 2 * Math.PI)) / (2 * Math.log(base));
  }
}
