package org.sparsej.generate;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/**
 * Picks the next token from logits: greedy at temperature 0, else softmax at the temperature, restricted to the
 * topK most likely tokens (0 = all), then to the smallest set of those whose probability reaches topP (nucleus
 * sampling), drawn with a seeded generator. One sampler per sequence: its generator is that sequence's state, so
 * sequences sampled side by side never disturb each other's draws. Not thread-safe.
 */
public final class Sampler {
  private final float temperature;
  private final float topP;
  private final int topK;
  private final SplittableRandom random;
  private float[] probs = new float[0];
  private float[] values = new float[0];

  public Sampler(float temperature, float topP, long seed) {
    this(temperature, topP, 0, seed);
  }

  public Sampler(float temperature, float topP, int topK, long seed) {
    if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
      throw new SparsejException("temperature must be >= 0, got " + temperature);
    }
    if (!(topP > 0f && topP <= 1f)) {
      throw new SparsejException("top-p must be in (0, 1], got " + topP);
    }
    if (topK < 0) {
      throw new SparsejException("top-k must be >= 0 (0 = off), got " + topK);
    }
    this.temperature = temperature;
    this.topP = topP;
    this.topK = topK;
    this.random = new SplittableRandom(seed);
  }

  public static Sampler greedy() {
    return new Sampler(0f, 1f, 0, 0);
  }

  /** Samples from the first {@code vocab} values of logits (which it does not modify). */
  public int sample(Tensor logits, int vocab) {
    if (values.length < vocab) {
      values = new float[vocab];
    }
    logits.floats().get(values, 0, vocab);
    return sample(values, 0, vocab);
  }

  /** Samples from logits[offset .. offset+vocab) (not modified). */
  public int sample(float[] logits, int offset, int vocab) {
    requireFinite(logits, offset, vocab);
    if (vocab == 1) {
      return 0;
    }
    if (temperature == 0f) {
      return argmax(logits, offset, vocab);
    }
    if (probs.length < vocab) {
      probs = new float[vocab];
    }
    float[] p = probs;
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < vocab; i++) {
      p[i] = logits[offset + i] / temperature;
      max = Math.max(max, p[i]);
    }
    double sum = 0;
    for (int i = 0; i < vocab; i++) {
      p[i] = (float) Math.exp(p[i] - max);
      sum += p[i];
    }
    for (int i = 0; i < vocab; i++) {
      p[i] /= (float) sum;
    }
    if (topK > 0 && topK < vocab) {
      return sampleTopK(p, vocab);
    }
    return topP < 1f ? sampleNucleus(p, vocab) : sampleAll(p, vocab);
  }

  /**
   * Refuses logits a token cannot be drawn from: a NaN or +Inf (from corrupt weights or an overflow) would pick an
   * arbitrary token, or none, and all -Inf leaves nothing to pick. Cheap next to the matmul that made them.
   */
  static void requireFinite(float[] logits, int offset, int vocab) {
    boolean any = false;
    for (int i = 0; i < vocab; i++) {
      float v = logits[offset + i];
      if (Float.isNaN(v) || v == Float.POSITIVE_INFINITY) {
        throw nonFinite(i, v);
      }
      any |= v != Float.NEGATIVE_INFINITY;
    }
    if (!any) {
      throw new SparsejException("the model produced -Infinity for every token (corrupt weights or a numeric "
          + "overflow); no token was sampled");
    }
  }

  private static SparsejException nonFinite(int id, float v) {
    return new SparsejException("the model produced a " + v + " logit (token " + id + "; corrupt weights or a "
        + "numeric overflow); no token was sampled");
  }

  public static int argmax(Tensor logits, int vocab) {
    int best = 0;
    float bestValue = logits.getFloat(0);
    if (Float.isNaN(bestValue) || bestValue == Float.POSITIVE_INFINITY) {
      throw nonFinite(0, bestValue);
    }
    for (int i = 1; i < vocab; i++) {
      float v = logits.getFloat(i);
      if (Float.isNaN(v) || v == Float.POSITIVE_INFINITY) {
        throw nonFinite(i, v);
      }
      if (v > bestValue) {
        best = i;
        bestValue = v;
      }
    }
    return best;
  }

  /** The first index of the largest value (the same rule as {@link #argmax(Tensor, int)}). */
  public static int argmax(float[] logits, int offset, int vocab) {
    int best = 0;
    float bestValue = logits[offset];
    for (int i = 1; i < vocab; i++) {
      float v = logits[offset + i];
      if (v > bestValue) {
        best = i;
        bestValue = v;
      }
    }
    return best;
  }

  private int sampleAll(float[] probs, int n) {
    double r = random.nextDouble();
    double cdf = 0;
    for (int i = 0; i < n; i++) {
      cdf += probs[i];
      if (r < cdf) {
        return i;
      }
    }
    return n - 1;
  }

  private int sampleNucleus(float[] probs, int n) {
    // Tokens below (1 - topP) / (n - 1) cannot be in the nucleus: drop them before sorting.
    float cutoff = (1f - topP) / (n - 1);
    Integer[] candidates = new Integer[n];
    int count = 0;
    for (int i = 0; i < n; i++) {
      if (probs[i] >= cutoff) {
        candidates[count++] = i;
      }
    }
    Integer[] sorted = Arrays.copyOf(candidates, count);
    Arrays.sort(sorted, (a, b) -> Float.compare(probs[b], probs[a]));
    return drawFromSorted(probs, sorted, count, 1.0);
  }

  /** The topK most likely tokens (ties to the lower id), then top-p within their mass. */
  private int sampleTopK(float[] probs, int n) {
    // A min-heap of the k best seen so far: O(n log k), k is small (tens).
    int k = topK;
    int[] heap = new int[k];
    int size = 0;
    for (int i = 0; i < n; i++) {
      if (size < k) {
        heap[size] = i;
        siftUp(heap, size++, probs);
      } else if (better(i, heap[0], probs)) {
        heap[0] = i;
        siftDown(heap, size, probs);
      }
    }
    Integer[] sorted = new Integer[size];
    for (int i = 0; i < size; i++) {
      sorted[i] = heap[i];
    }
    Arrays.sort(sorted, (a, b) -> better(a, b, probs) ? -1 : better(b, a, probs) ? 1 : 0);
    double kept = 0;
    for (Integer id : sorted) {
      kept += probs[id];
    }
    return drawFromSorted(probs, sorted, size, kept);
  }

  /** Smallest prefix of the sorted ids holding topP of {@code total}, then one draw within it. */
  private int drawFromSorted(float[] probs, Integer[] sorted, int n, double total) {
    double mass = 0;
    int last = n - 1;
    for (int i = 0; i < n; i++) {
      mass += probs[sorted[i]];
      if (mass >= topP * total) {
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

  private static boolean better(int a, int b, float[] probs) {
    return probs[a] > probs[b] || (probs[a] == probs[b] && a < b);
  }

  private static void siftUp(int[] heap, int i, float[] probs) {
    while (i > 0) {
      int parent = (i - 1) / 2;
      if (!better(heap[parent], heap[i], probs)) {
        break;
      }
      int t = heap[parent];
      heap[parent] = heap[i];
      heap[i] = t;
      i = parent;
    }
  }

  private static void siftDown(int[] heap, int size, float[] probs) {
    int i = 0;
    while (true) {
      int l = 2 * i + 1;
      int r = l + 1;
      int worst = i;
      if (l < size && better(heap[worst], heap[l], probs)) {
        worst = l;
      }
      if (r < size && better(heap[worst], heap[r], probs)) {
        worst = r;
      }
      if (worst == i) {
        return;
      }
      int t = heap[worst];
      heap[worst] = heap[i];
      heap[i] = t;
      i = worst;
    }
  }
}
