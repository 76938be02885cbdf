package org.sparsej.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.sparsej.util.SparsejException;

/** Min-p, the repeat penalty and top-logit recording against distributions worked out by hand. */
class SamplerOptionsTest {
  private static final int DRAWS = 40_000;

  /** Logits whose probabilities relative to the top token are 1, 1/2, 1/4, 1/8. */
  private static float[] halving() {
    return new float[] {(float) Math.log(4), (float) Math.log(2), 0f, (float) Math.log(0.5)};
  }

  private static double[] frequencies(Sampler s, float[] logits) {
    double[] f = new double[logits.length];
    for (int i = 0; i < DRAWS; i++) {
      s.begin(new int[0]);
      f[s.sample(logits, 0, logits.length)] += 1.0 / DRAWS;
    }
    return f;
  }

  private static Sampler minP(float temperature, float p, int topK) {
    return new Sampler(temperature, 1f, topK, p, 1f, 0, 5);
  }

  @Test
  void minPKeepsExactlyTheTokensAtLeastPTimesTheTopAndRenormalizes() {
    // p = 0.2 keeps relative probabilities 1, 1/2, 1/4 (not 1/8): 4/7, 2/7, 1/7 after renormalizing.
    for (int topK : new int[] {0, 3, 4}) {
      double[] f = frequencies(minP(1f, 0.2f, topK), halving());
      assertEquals(0.0, f[3], "token 3 is below min-p (topK " + topK + ")");
      assertEquals(4.0 / 7, f[0], 0.012);
      assertEquals(2.0 / 7, f[1], 0.012);
      assertEquals(1.0 / 7, f[2], 0.012);
    }
    // p = 0.3 also drops 1/4: 2/3, 1/3.
    double[] f = frequencies(minP(1f, 0.3f, 0), halving());
    assertEquals(0.0, f[2] + f[3]);
    assertEquals(2.0 / 3, f[0], 0.012);
  }

  @Test
  void minPIsInclusiveAndOneIsGreedy() {
    float[] l = {0f, (float) Math.log(0.5), -5f};
    double[] f = frequencies(minP(1f, 0.5f, 0), l);
    assertEquals(0.0, f[2]);
    assertEquals(2.0 / 3, f[0], 0.012);  // exactly 0.5 * p_max is kept
    assertEquals(1.0, frequencies(minP(1.5f, 1f, 0), halving())[0], 1e-9);
  }

  @Test
  void minPIsMeasuredBeforeTemperatureAsLlamaCppDoes() {
    // At temperature 3 token 3's probability is 0.125^(1/3) = 0.5 of the top's: min-p 0.2 on the tempered
    // probabilities would keep it, but llama.cpp compares the logits before temperature, which drop it.
    double[] f = frequencies(minP(3f, 0.2f, 0), halving());
    assertEquals(0.0, f[3]);
    // Tempered and renormalized over the three kept: 4^(1/3), 2^(1/3), 1.
    double a = Math.cbrt(4);
    double b = Math.cbrt(2);
    double z = a + b + 1;
    assertEquals(a / z, f[0], 0.012);
    assertEquals(b / z, f[1], 0.012);
    assertEquals(1 / z, f[2], 0.012);
  }

  private static Sampler penalty(float r, int lastN) {
    return new Sampler(0f, 1f, 0, 0f, r, lastN, 1);
  }

  @Test
  void repeatPenaltyDividesPositiveLogitsAndMultipliesNegativeOnes() {
    float[] positive = {3f, 2.5f, -1f};
    Sampler s = penalty(1.5f, 64);
    s.begin(new int[] {0});
    assertEquals(1, s.sample(positive, 0, 3), "3 / 1.5 = 2 < 2.5");
    s.begin(new int[0]);
    assertEquals(0, s.sample(positive, 0, 3), "nothing seen, nothing penalized");

    float[] negative = {-1f, -1.2f, -3f};
    s.begin(new int[] {0});
    assertEquals(1, s.sample(negative, 0, 3), "-1 * 1.5 = -1.5 < -1.2 (dividing would have raised it)");

    // Below 1 it favours repeats: 2.5 / 0.8 = 3.125 > 3.
    Sampler favour = penalty(0.8f, 64);
    favour.begin(new int[] {1});
    assertEquals(1, favour.sample(positive, 0, 3));
  }

  @Test
  void repeatPenaltyCountsATokenOnceAndOnlyInsideTheWindow() {
    float[] l = {3f, 1.9f};
    Sampler s = penalty(1.5f, 2);
    s.begin(new int[] {0, 0});
    assertEquals(0, s.sample(l, 0, 2), "once: 3 / 1.5 = 2 > 1.9 (twice would be 1.33)");
    float[] close = {3f, 2.1f, 0f};
    s.begin(new int[] {2, 0});
    assertEquals(1, s.sample(close, 0, 3), "in the window: 3 / 1.5 = 2 < 2.1");
    s.begin(new int[] {0, 2, 2});
    assertEquals(0, s.sample(close, 0, 3), "token 0 is 3 tokens back, outside a window of 2");
  }

  @Test
  void drawnTokensJoinTheHistory() {
    float[] l = {1f, 0.9f, 0.8f};
    Sampler s = penalty(100f, 2);
    s.begin(new int[0]);
    int[] drawn = new int[6];
    for (int i = 0; i < drawn.length; i++) {
      drawn[i] = s.sample(l, 0, 3);
    }
    assertArrayEquals(new int[] {0, 1, 2, 0, 1, 2}, drawn);
  }

  @Test
  void repeatPenaltyShapesTheSampledDistribution() {
    // Equal logits ln 2; token 0 seen, R = 2: its logit becomes ln 2 / 2, so p0 = sqrt2 / (sqrt2 + 2).
    float[] l = {(float) Math.log(2), (float) Math.log(2)};
    Sampler s = new Sampler(1f, 1f, 0, 0f, 2f, 64, 9);
    double zero = 0;
    for (int i = 0; i < DRAWS; i++) {
      s.begin(new int[] {0});
      zero += s.sample(l, 0, 2) == 0 ? 1.0 / DRAWS : 0;
    }
    assertEquals(Math.sqrt(2) / (Math.sqrt(2) + 2), zero, 0.01);
    assertEquals((float) Math.log(2), l[0], "the caller's logits are not modified");
  }

  @Test
  void outOfRangeValuesAreRefusedWithOneLine() {
    Object[][] bad = {
        {0f, 1f, -0.1f, 1f, 64, "min-p"}, {0f, 1f, 1.5f, 1f, 64, "min-p"}, {0f, 1f, Float.NaN, 1f, 64, "min-p"},
        {0f, 1f, 0f, 0f, 64, "repeat penalty"}, {0f, 1f, 0f, -1f, 64, "repeat penalty"},
        {0f, 1f, 0f, Float.NaN, 64, "repeat penalty"}, {0f, 1f, 0f, 1000f, 64, "repeat penalty"},
        {0f, 1f, 0f, 1.1f, -1, "repeat-last-n"}, {0f, 1f, 0f, 1.1f, 1 << 20, "repeat-last-n"}};
    for (Object[] b : bad) {
      SparsejException e = assertThrows(SparsejException.class, () -> new Sampler((float) b[0], (float) b[1], 0,
          (float) b[2], (float) b[3], (int) b[4], 0));
      assertTrue(e.getMessage().startsWith((String) b[5]) && !e.getMessage().contains("\n"), e.getMessage());
    }
    assertThrows(SparsejException.class, () -> new Sampler(0f, 1f, 0, 0f, 1f, 64, -1, 0));
    assertThrows(SparsejException.class, () -> new Sampler(0f, 1f, 0, 0f, 1f, 64, Sampler.MAX_TOP_LOGITS + 1, 0));
  }

  @Test
  void topLogitsAreTheModelsLargestLargestFirstTiesToTheLowerId() {
    Sampler s = new Sampler(0f, 1f, 0, 0f, 1.5f, 64, 3, 0);
    s.begin(new int[] {1});
    float[] l = {1f, 5f, 3f, 5f};
    assertEquals(3, s.sample(l, 0, 4), "the penalty moved token 1 down");
    s.sample(new float[] {2f, 7f}, 0, 2);  // a vocabulary smaller than k is padded with -1
    assertArrayEquals(new int[] {1, 3, 2, 1, 0, -1}, s.topLogitIds());
    // Reported as the model gave them, before the penalty.
    assertArrayEquals(new float[] {5f, 5f, 3f, 7f, 2f, Float.NEGATIVE_INFINITY}, s.topLogitValues());
    assertEquals(0, new Sampler(0f, 1f, 0, 0).topLogitIds().length);
  }
}
