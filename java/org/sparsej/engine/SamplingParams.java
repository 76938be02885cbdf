package org.sparsej.engine;

import org.sparsej.generate.Sampler;

/**
 * How one sequence picks its tokens.
 *
 * @param temperature 0 = greedy
 * @param topP nucleus mass in (0, 1]; 1 = off
 * @param topK keep the k most likely tokens; 0 = off
 * @param minP keep tokens with probability >= minP * the most likely one's (before temperature); 0 = off
 * @param repeatPenalty llama.cpp's repeat penalty over the last repeatLastN tokens (prompt included); 1 = off
 * @param repeatLastN tokens the repeat penalty looks back over; 0 = off
 * @param topLogits record the model's topLogits largest logits for every generated token; 0 = off
 * @param seed fixes the sequence's own random generator (sequences never share one)
 */
public record SamplingParams(float temperature, float topP, int topK, float minP, float repeatPenalty,
                             int repeatLastN, int topLogits, long seed) {
  /** llama.cpp's default window for the repeat penalty. */
  public static final int DEFAULT_REPEAT_LAST_N = 64;

  /** Without min-p or repeat penalty. */
  public SamplingParams(float temperature, float topP, int topK, long seed) {
    this(temperature, topP, topK, 0f, 1f, DEFAULT_REPEAT_LAST_N, 0, seed);
  }

  public static SamplingParams greedy() {
    return new SamplingParams(0f, 1f, 0, 0);
  }

  /** Null if valid, else why not (one line). */
  String problem() {
    String p = Sampler.problem(temperature, topP, topK, minP, repeatPenalty, repeatLastN);
    if (p == null && (topLogits < 0 || topLogits > Sampler.MAX_TOP_LOGITS)) {
      p = "top_logits must be in 0.." + Sampler.MAX_TOP_LOGITS + " (0 = off), got " + topLogits;
    }
    // The engine's words name the request fields (top_p, top_k) as its callers and tests know them.
    return p == null ? null : p.replace("top-p", "top_p").replace("top-k", "top_k");
  }

  Sampler newSampler() {
    return new Sampler(temperature, topP, topK, minP, repeatPenalty, repeatLastN, topLogits, seed);
  }
}
