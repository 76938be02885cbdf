package org.sparsej.generate;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/**
 * Picks the next token from logits: greedy at temperature 0, else softmax at the temperature, restricted to the
 * smallest set of tokens whose probability reaches topP (nucleus sampling), drawn with a seeded generator.
 */
public final class Sampler {
  private final float temperature;
  private final float topP;
  private final SplittableRandom random;

  public Sampler(float temperature, float topP, long seed) {
    if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
      throw new SparsejException("temperature must be >= 0, got " + temperature);
    }
    if (!(topP > 0f && topP <= 1f)) {
      throw new SparsejException("top-p must be in (0, 1], got " + topP);
    }
    this.temperature = temperature;
    this.topP = topP;
    this.random = new SplittableRandom(seed);
  }

  public static Sampler greedy() {
    return new Sampler(0f, 1f, 0);
  }

  /** Samples from the first {@code vocab} values of logits (which it does not modify). */
  public int sample(Tensor logits, int vocab) {
    if (temperature == 0f) {
      return argmax(logits, vocab);
    }
    float[] probs = new float[vocab];
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < vocab; i++) {
      probs[i] = logits.getFloat(i) / temperature;
      max = Math.max(max, probs[i]);
    }
    double sum = 0;
    for (int i = 0; i < vocab; i++) {
      probs[i] = (float) Math.exp(probs[i] - max);
      sum += probs[i];
    }
    for (int i = 0; i < vocab; i++) {
      probs[i] /= (float) sum;
    }
    return topP < 1f ? sampleNucleus(probs) : sampleAll(probs);
  }

  public static int argmax(Tensor logits, int vocab) {
    int best = 0;
    float bestValue = logits.getFloat(0);
    for (int i = 1; i < vocab; i++) {
      float v = logits.getFloat(i);
      if (v > bestValue) {
        best = i;
        bestValue = v;
      }
    }
    return best;
  }

  private int sampleAll(float[] probs) {
    double r = random.nextDouble();
    double cdf = 0;
    for (int i = 0; i < probs.length; i++) {
      cdf += probs[i];
      if (r < cdf) {
        return i;
      }
    }
    return probs.length - 1;
  }

  private int sampleNucleus(float[] probs) {
    // Tokens below (1 - topP) / (n - 1) cannot be in the nucleus: drop them before sorting.
    float cutoff = (1f - topP) / (probs.length - 1);
    Integer[] candidates = new Integer[probs.length];
    int n = 0;
    for (int i = 0; i < probs.length; i++) {
      if (probs[i] >= cutoff) {
        candidates[n++] = i;
      }
    }
    Integer[] sorted = Arrays.copyOf(candidates, n);
    Arrays.sort(sorted, (a, b) -> Float.compare(probs[b], probs[a]));
    double mass = 0;
    int last = n - 1;
    for (int i = 0; i < n; i++) {
      mass += probs[sorted[i]];
      if (mass >= topP) {
        last = i;
        break;
      }
    }
    double r = random.nextDouble() * mass;
    double cdf = 0;
    for (int i = 0; i <= last; i++) {
      cdf += probs[sorted[i]];
      if (r < cdf) {
        return sorted[i];
      }
    }
    return sorted[last];
  }
}
