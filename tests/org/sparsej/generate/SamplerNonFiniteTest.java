package org.sparsej.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/**
 * Logits no token can be drawn from (NaN, +Inf, all -Inf) are reported, never sampled: before, NaN made the nucleus
 * draw throw ArrayIndexOutOfBounds at the default temperature. A vocabulary of one token always yields it.
 */
class SamplerNonFiniteTest {
  private static final Sampler[] SAMPLERS = {Sampler.greedy(), new Sampler(0.8f, 0.9f, 1), new Sampler(1f, 1f, 2),
      new Sampler(0.8f, 0.9f, 40, 3)};

  private static float[] logits(int n, int at, float value) {
    float[] l = new float[n];
    for (int i = 0; i < n; i++) {
      l[i] = (float) Math.sin(i);
    }
    l[at] = value;
    return l;
  }

  @Test
  void nanAndPositiveInfinityAreReportedBySamplers() {
    for (Sampler s : SAMPLERS) {
      for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
        for (int at : new int[] {0, 17, 99}) {
          SparsejException e = assertThrows(SparsejException.class, () -> s.sample(logits(100, at, bad), 0, 100));
          assertTrue(e.getMessage().contains(bad + " logit (token " + at), e.getMessage());
        }
      }
    }
  }

  @Test
  void allNegativeInfinityIsReported() {
    float[] l = new float[10];
    java.util.Arrays.fill(l, Float.NEGATIVE_INFINITY);
    for (Sampler s : SAMPLERS) {
      SparsejException e = assertThrows(SparsejException.class, () -> s.sample(l, 0, 10));
      assertTrue(e.getMessage().contains("-Infinity for every token"), e.getMessage());
    }
  }

  @Test
  void someNegativeInfinityIsAMaskAndFine() {
    float[] l = logits(50, 3, 5f);
    for (int i = 0; i < 50; i++) {
      if (i != 3 && i != 7) {
        l[i] = Float.NEGATIVE_INFINITY;
      }
    }
    for (Sampler s : SAMPLERS) {
      for (int draw = 0; draw < 50; draw++) {
        int t = s.sample(l, 0, 50);
        assertTrue(t == 3 || t == 7, "drew masked token " + t);
      }
    }
  }

  @Test
  void tensorArgmaxReportsNanToo() {
    Tensor t = Tensor.of(logits(8, 5, Float.NaN), 8);
    assertThrows(SparsejException.class, () -> Sampler.argmax(t, 8));
    assertEquals(0, Sampler.argmax(Tensor.of(new float[] {3f, 1f}, 2), 2));
  }

  @Test
  void vocabularyOfOneAlwaysYieldsToken0() {
    for (Sampler s : SAMPLERS) {
      assertEquals(0, s.sample(new float[] {-3f}, 0, 1));
    }
  }

  @Test
  void vocabularyOfTwoDrawsBoth() {
    Sampler s = new Sampler(1f, 0.9f, 5);
    boolean[] seen = new boolean[2];
    for (int i = 0; i < 200; i++) {
      seen[s.sample(new float[] {0f, 0.1f}, 0, 2)] = true;
    }
    assertTrue(seen[0] && seen[1]);
  }
}
