package org.sparsej.engine;

import org.sparsej.generate.Sampler;

/**
 * How one sequence picks its tokens.
 *
 * @param temperature 0 = greedy
 * @param topP nucleus mass in (0, 1]; 1 = off
 * @param topK keep the k most likely tokens; 0 = off
 * @param seed fixes the sequence's own random generator (sequences never share one)
 */
public record SamplingParams(float temperature, float topP, int topK, long seed) {
  public static SamplingParams greedy() {
    return new SamplingParams(0f, 1f, 0, 0);
  }

  /** Null if valid, else why not (one line). */
  String problem() {
    if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
      return "temperature must be a finite number >= 0, got " + temperature;
    }
    if (!(topP > 0f && topP <= 1f)) {
      return "top_p must be in (0, 1], got " + topP;
    }
    if (topK < 0) {
      return "top_k must be >= 0 (0 = off), got " + topK;
    }
    return null;
  }

  Sampler newSampler() {
    return new Sampler(temperature, topP, topK, seed);
  }
}
