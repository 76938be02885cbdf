package org.sparsej.api;

import java.util.List;
import org.sparsej.engine.SamplingParams;
import org.sparsej.generate.Sampler;

/**
 * How to generate: an immutable value; start from {@link #defaults()} or {@link #greedy()} and change fields with
 * the {@code with...} methods.
 *
 * @param maxTokens most tokens to generate; -1 = until end of sequence or the context is full
 * @param temperature 0 = greedy (always the most likely token), else softmax temperature
 * @param topP nucleus sampling: sample only from the most likely tokens whose probability adds up to topP (1 = off)
 * @param topK sample only from the topK most likely tokens (0 = off)
 * @param minP sample only from tokens whose probability is at least minP times the most likely token's, measured
 *     before temperature as llama.cpp does (0 = off), in [0, 1]
 * @param repeatPenalty llama.cpp's repeat penalty: each distinct token among the last repeatLastN (prompt
 *     included) has a positive logit divided by it and a negative one multiplied (1 = off), in [0.01, 100]
 * @param repeatLastN how many recent tokens the repeat penalty looks at (0 = off; default 64)
 * @param topLogits report the model's topLogits largest logits for each generated token in
 *     {@link Completion#topLogits()} (0 = off), at most {@link Sampler#MAX_TOP_LOGITS}
 * @param seed seed of this request's own random generator; null = a fresh one each time
 * @param stop strings that end the generation when they appear in the text (not included in it); at most 4
 * @param ignoreEos go on after an end-of-sequence token (for benchmarks that want exactly maxTokens tokens)
 */
public record GenerationOptions(int maxTokens, float temperature, float topP, int topK, float minP,
                                float repeatPenalty, int repeatLastN, int topLogits, Long seed, List<String> stop,
                                boolean ignoreEos) {
  /** Most stop strings a request may give (as OpenAI allows). */
  public static final int MAX_STOP_STRINGS = 4;

  public GenerationOptions {
    stop = stop == null ? List.of() : List.copyOf(stop);
  }

  /** Until the context is full, temperature 1, no top-p or top-k cut, random seed, no stop strings. */
  public static GenerationOptions defaults() {
    return new GenerationOptions(-1, 1f, 1f, 0, 0f, 1f, SamplingParams.DEFAULT_REPEAT_LAST_N, 0, null, List.of(),
        false);
  }

  /** Like {@link #defaults()} at temperature 0: deterministic. */
  public static GenerationOptions greedy() {
    return defaults().withTemperature(0f);
  }

  public GenerationOptions withMaxTokens(int n) {
    return new GenerationOptions(n, temperature, topP, topK, minP, repeatPenalty, repeatLastN,
        topLogits, seed, stop, ignoreEos);
  }

  public GenerationOptions withTemperature(float t) {
    return new GenerationOptions(maxTokens, t, topP, topK, minP, repeatPenalty, repeatLastN,
        topLogits, seed, stop, ignoreEos);
  }

  public GenerationOptions withTopP(float p) {
    return new GenerationOptions(maxTokens, temperature, p, topK, minP, repeatPenalty, repeatLastN,
        topLogits, seed, stop, ignoreEos);
  }

  public GenerationOptions withTopK(int k) {
    return new GenerationOptions(maxTokens, temperature, topP, k, minP, repeatPenalty, repeatLastN,
        topLogits, seed, stop, ignoreEos);
  }

  public GenerationOptions withMinP(float p) {
    return new GenerationOptions(maxTokens, temperature, topP, topK, p, repeatPenalty, repeatLastN,
        topLogits, seed, stop, ignoreEos);
  }

  /** The repeat penalty and how many recent tokens it looks back over. */
  public GenerationOptions withRepeatPenalty(float penalty, int lastN) {
    return new GenerationOptions(maxTokens, temperature, topP, topK, minP, penalty, lastN,
        topLogits, seed, stop, ignoreEos);
  }

  public GenerationOptions withTopLogits(int k) {
    return new GenerationOptions(maxTokens, temperature, topP, topK, minP, repeatPenalty, repeatLastN,
        k, seed, stop, ignoreEos);
  }

  public GenerationOptions withSeed(Long s) {
    return new GenerationOptions(maxTokens, temperature, topP, topK, minP, repeatPenalty, repeatLastN,
        topLogits, s, stop, ignoreEos);
  }

  public GenerationOptions withStop(List<String> strings) {
    return new GenerationOptions(maxTokens, temperature, topP, topK, minP, repeatPenalty, repeatLastN,
        topLogits, seed, strings, ignoreEos);
  }

  public GenerationOptions withIgnoreEos(boolean ignore) {
    return new GenerationOptions(maxTokens, temperature, topP, topK, minP, repeatPenalty, repeatLastN,
        topLogits, seed, stop, ignore);
  }

  /** Throws {@link ModelException} (INVALID_REQUEST) naming the first field out of range. */
  void validate() {
    if (maxTokens == 0 || maxTokens < -1) {
      throw invalid("max tokens must be at least 1 (or -1 for the rest of the context), got " + maxTokens);
    }
    String sampling = Sampler.problem(temperature, topP, topK, minP, repeatPenalty, repeatLastN);
    if (sampling != null) {
      throw invalid(sampling);
    }
    if (topLogits < 0 || topLogits > Sampler.MAX_TOP_LOGITS) {
      throw invalid("top logits must be in 0.." + Sampler.MAX_TOP_LOGITS + " (0 = off), got " + topLogits);
    }
    if (stop.size() > MAX_STOP_STRINGS) {
      throw invalid("at most " + MAX_STOP_STRINGS + " stop strings, got " + stop.size());
    }
    for (String s : stop) {
      if (s == null || s.isEmpty()) {
        throw invalid("stop strings must not be empty");
      }
    }
  }

  private static ModelException invalid(String message) {
    return new ModelException(ModelException.Kind.INVALID_REQUEST, message);
  }
}
