package org.sparsej.generate;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/**
 * Picks the next token from logits: first the repeat penalty (llama.cpp's: each distinct token among the last
 * repeatLastN tokens has a positive logit divided by repeatPenalty, a negative one multiplied), then greedy at
 * temperature 0, else softmax at the temperature, restricted to the topK most likely tokens (0 = all), then to the
 * smallest set of those whose probability reaches topP (nucleus sampling), then to the tokens whose probability is
 * at least minP times the most likely one's (min-p, measured before temperature as llama.cpp does), drawn with a
 * seeded generator. One sampler per sequence: its generator and its token history are that sequence's state, so
 * sequences sampled side by side never disturb each other. Not thread-safe.
 */
public final class Sampler {
  private final float temperature;
  private final float topP;
  private final int topK;
  private final float minP;
  private final float repeatPenalty;
  private final int topLogits;
  // Per drawn token, topLogits (id, logit) pairs, largest first; -1 ids pad when the vocabulary is smaller.
  private int[] recordedIds = new int[0];
  private float[] recordedValues = new float[0];
  // Per drawn token when recording: its own logit and log(sum exp) of the step's logits, so that any recorded
  // logit minus it is that token's log-softmax (the model's raw distribution: what OpenAI logprobs report).
  private float[] recordedTokenLogits = new float[0];
  private double[] recordedLogSumExps = new double[0];
  private int recorded;
  private final SplittableRandom random;
  private float[] probs = new float[0];
  private float[] values = new float[0];
  private float[] penalized = new float[0];
  // The last repeatLastN tokens (prompt and generated), a ring; empty when the penalty is off.
  private final int[] history;
  private int historyCount;
  private int historyNext;
  private final int[] distinct;
  // Min-p's cut for the current draw, on the (penalized) logits: keep a token iff its logit >= minLogit.
  private float minLogit;
  private float[] curLogits;
  private int curOffset;

  /** Most tokens the repeat penalty may look back over (bounds the history it keeps). */
  public static final int MAX_REPEAT_LAST_N = 1 << 16;
  /** Most logits per token {@link #topLogitIds()} may report. */
  public static final int MAX_TOP_LOGITS = 1000;
  public static final float MIN_REPEAT_PENALTY = 0.01f;
  public static final float MAX_REPEAT_PENALTY = 100f;

  public Sampler(float temperature, float topP, long seed) {
    this(temperature, topP, 0, seed);
  }

  public Sampler(float temperature, float topP, int topK, long seed) {
    this(temperature, topP, topK, 0f, 1f, 0, seed);
  }

  /**
   * @param minP keep tokens with probability >= minP * the top token's (0 = off), in [0, 1]
   * @param repeatPenalty in [0.01, 100]; 1 = off, above 1 discourages repeats, below 1 encourages them
   * @param repeatLastN how many recent tokens the penalty looks at, 0..{@link #MAX_REPEAT_LAST_N} (0 = off)
   */
  public Sampler(float temperature, float topP, int topK, float minP, float repeatPenalty, int repeatLastN,
                 long seed) {
    this(temperature, topP, topK, minP, repeatPenalty, repeatLastN, 0, seed);
  }

  /**
   * @param topLogits record, for every token drawn, the topLogits largest logits the model gave (0 = off, at most
   *     {@link #MAX_TOP_LOGITS}); read them with {@link #topLogitIds()} and {@link #topLogitValues()}
   */
  public Sampler(float temperature, float topP, int topK, float minP, float repeatPenalty, int repeatLastN,
                 int topLogits, long seed) {
    String problem = problem(temperature, topP, topK, minP, repeatPenalty, repeatLastN);
    if (problem != null) {
      throw new SparsejException(problem);
    }
    this.temperature = temperature;
    this.topP = topP;
    this.topK = topK;
    this.minP = minP;
    this.repeatPenalty = repeatPenalty;
    boolean penalize = repeatPenalty != 1f && repeatLastN > 0;
    this.history = new int[penalize ? repeatLastN : 0];
    this.distinct = new int[history.length];
    if (topLogits < 0 || topLogits > MAX_TOP_LOGITS) {
      throw new SparsejException("top logits must be in 0.." + MAX_TOP_LOGITS + " (0 = off), got " + topLogits);
    }
    this.topLogits = topLogits;
    this.random = new SplittableRandom(seed);
  }

  /**
   * Null if the settings are valid, else why not (one line); the one check the sampler, the engine and the API
   * share, so each refuses the same values with the same words.
   */
  public static String problem(float temperature, float topP, int topK, float minP, float repeatPenalty,
                               int repeatLastN) {
    if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
      return "temperature must be >= 0, got " + temperature;
    }
    if (!(topP > 0f && topP <= 1f)) {
      return "top-p must be in (0, 1], got " + topP;
    }
    if (topK < 0) {
      return "top-k must be >= 0 (0 = off), got " + topK;
    }
    if (!(minP >= 0f && minP <= 1f)) {
      return "min-p must be in [0, 1] (0 = off), got " + minP;
    }
    // Bounded so that dividing a logit by it cannot overflow to +Infinity (which no token could be drawn from).
    if (!(repeatPenalty >= MIN_REPEAT_PENALTY && repeatPenalty <= MAX_REPEAT_PENALTY)) {
      return "repeat penalty must be in " + MIN_REPEAT_PENALTY + ".." + MAX_REPEAT_PENALTY + " (1 = off), got "
          + repeatPenalty;
    }
    if (repeatLastN < 0 || repeatLastN > MAX_REPEAT_LAST_N) {
      return "repeat-last-n must be in 0.." + MAX_REPEAT_LAST_N + " (0 = off), got " + repeatLastN;
    }
    return null;
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

  /**
   * Starts a sequence: forgets the token history and records the prompt's tokens in it (llama.cpp's repeat
   * penalty counts the prompt too). Tokens this sampler draws join the history by themselves.
   */
  public void begin(int[] prompt) {
    historyCount = 0;
    historyNext = 0;
    for (int t : prompt) {
      remember(t);
    }
  }

  private void remember(int token) {
    if (history.length == 0) {
      return;
    }
    history[historyNext] = token;
    historyNext = (historyNext + 1) % history.length;
    historyCount = Math.min(historyCount + 1, history.length);
  }

  /** Samples from logits[offset .. offset+vocab) (not modified). */
  public int sample(float[] logits, int offset, int vocab) {
    requireFinite(logits, offset, vocab);
    if (topLogits > 0) {
      record(logits, offset, vocab);
    }
    float[] l = logits;
    int off = offset;
    if (historyCount > 0) {
      l = penalize(logits, offset, vocab);
      off = 0;
    }
    int token = pick(l, off, vocab);
    if (topLogits > 0) {
      recordedTokenLogits[recorded - 1] = logits[offset + token];
    }
    remember(token);
    return token;
  }

  /** The model's logits as given (before the repeat penalty and temperature): what a script wants to inspect. */
  private void record(float[] logits, int offset, int vocab) {
    int k = topLogits;
    if (recordedIds.length < (recorded + 1) * k) {
      int cap = Math.max((recorded + 1) * k, recordedIds.length * 2);
      recordedIds = Arrays.copyOf(recordedIds, cap);
      recordedValues = Arrays.copyOf(recordedValues, cap);
    }
    if (recordedLogSumExps.length == recorded) {
      recordedLogSumExps = Arrays.copyOf(recordedLogSumExps, Math.max(16, recorded * 2));
      recordedTokenLogits = Arrays.copyOf(recordedTokenLogits, recordedLogSumExps.length);
    }
    recordedLogSumExps[recorded] = logSumExp(logits, offset, vocab);
    int base = recorded * k;
    int size = 0;
    // Insertion into a sorted list of k: k is small next to the vocabulary, and this runs only when asked.
    for (int i = 0; i < vocab; i++) {
      float v = logits[offset + i];
      if (size == k && !(v > recordedValues[base + k - 1])) {
        continue;  // ties keep the lower id, as argmax does
      }
      int j = size < k ? size++ : k - 1;
      while (j > 0 && v > recordedValues[base + j - 1]) {
        recordedValues[base + j] = recordedValues[base + j - 1];
        recordedIds[base + j] = recordedIds[base + j - 1];
        j--;
      }
      recordedValues[base + j] = v;
      recordedIds[base + j] = i;
    }
    for (int j = size; j < k; j++) {
      recordedIds[base + j] = -1;
      recordedValues[base + j] = Float.NEGATIVE_INFINITY;
    }
    recorded++;
  }

  /** Top logits' ids, topLogits per drawn token in order, largest first (-1 pads a vocabulary smaller than k). */
  public int[] topLogitIds() {
    return Arrays.copyOf(recordedIds, recorded * topLogits);
  }

  /** The logits matching {@link #topLogitIds()}. */
  public float[] topLogitValues() {
    return Arrays.copyOf(recordedValues, recorded * topLogits);
  }

  /** With top logits recorded: each drawn token's own logit (as given, before penalty and temperature). */
  public float[] tokenLogits() {
    return Arrays.copyOf(recordedTokenLogits, recorded);
  }

  /**
   * With top logits recorded: per drawn token, log(sum exp) of the logits it was drawn from (as given); a logit
   * minus it is that token's log-probability under the model's own distribution.
   */
  public double[] logSumExps() {
    return Arrays.copyOf(recordedLogSumExps, recorded);
  }

  /** The last drawn token's recorded step (top ids, their logits, its logit, log-sum-exp); null when not recording. */
  public Step lastStep() {
    if (topLogits == 0 || recorded == 0) {
      return null;
    }
    int base = (recorded - 1) * topLogits;
    return new Step(Arrays.copyOfRange(recordedIds, base, base + topLogits),
        Arrays.copyOfRange(recordedValues, base, base + topLogits), recordedTokenLogits[recorded - 1],
        recordedLogSumExps[recorded - 1]);
  }

  /**
   * One drawn token's recorded logits.
   *
   * @param ids the top logits' ids, largest first (-1 pads a vocabulary smaller than k)
   * @param logits their logits
   * @param tokenLogit the drawn token's logit
   * @param logSumExp log(sum exp) over the step's whole vocabulary
   */
  public record Step(int[] ids, float[] logits, float tokenLogit, double logSumExp) {}

  /** log(sum exp(logits)), in double with the max taken out (PassRunner.logProb's rule). */
  static double logSumExp(float[] logits, int offset, int vocab) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < vocab; i++) {
      max = Math.max(max, logits[offset + i]);
    }
    double sum = 0;
    for (int i = 0; i < vocab; i++) {
      sum += Math.exp(logits[offset + i] - max);
    }
    return max + Math.log(sum);
  }

  /** How many (id, logit) pairs per drawn token {@link #topLogitIds()} holds. */
  public int topLogits() {
    return topLogits;
  }

  /** A copy of the logits with the repeat penalty applied once to each distinct token in the history. */
  private float[] penalize(float[] logits, int offset, int vocab) {
    if (penalized.length < vocab) {
      penalized = new float[vocab];
    }
    System.arraycopy(logits, offset, penalized, 0, vocab);
    System.arraycopy(history, 0, distinct, 0, historyCount);
    Arrays.sort(distinct, 0, historyCount);
    for (int i = 0; i < historyCount; i++) {
      int t = distinct[i];
      if ((i > 0 && t == distinct[i - 1]) || t < 0 || t >= vocab) {
        continue;  // once per token however often it occurred, as llama.cpp's repeat penalty does
      }
      float v = penalized[t];
      penalized[t] = v <= 0f ? v * repeatPenalty : v / repeatPenalty;
    }
    return penalized;
  }

  private int pick(float[] logits, int offset, int vocab) {
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
    float maxLogit = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < vocab; i++) {
      p[i] = logits[offset + i] / temperature;
      max = Math.max(max, p[i]);
      maxLogit = Math.max(maxLogit, logits[offset + i]);
    }
    double sum = 0;
    for (int i = 0; i < vocab; i++) {
      p[i] = (float) Math.exp(p[i] - max);
      sum += p[i];
    }
    for (int i = 0; i < vocab; i++) {
      p[i] /= (float) sum;
    }
    // p_i >= minP * p_max  <=>  logit_i >= maxLogit + ln(minP), compared on the logits so the cut is exact.
    minLogit = minP > 0f ? maxLogit + (float) Math.log(minP) : Float.NEGATIVE_INFINITY;
    curLogits = logits;
    curOffset = offset;
    if (topK > 0 && topK < vocab) {
      return sampleTopK(p, vocab);
    }
    return topP < 1f || minP > 0f ? sampleNucleus(p, vocab) : sampleAll(p, vocab);
  }

  private boolean passesMinP(int id) {
    return curLogits[curOffset + id] >= minLogit;
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
      if (probs[i] >= cutoff && passesMinP(i)) {
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
    // Min-p after top-p, as llama.cpp orders them: top-p's mass is that of all k, then min-p cuts the tail.
    int passing = 0;
    while (passing < size && passesMinP(sorted[passing])) {
      passing++;
    }
    return drawFromSorted(probs, sorted, Math.max(passing, 1), kept);
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
