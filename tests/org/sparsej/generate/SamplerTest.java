package org.sparsej.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/** Top-k restricts draws to the k most likely tokens; samplers with the same seed draw the same tokens. */
class SamplerTest {
  private static float[] logits(int n, long seed) {
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    float[] l = new float[n];
    for (int i = 0; i < n; i++) {
      l[i] = (float) (r.nextDouble() * 4 - 2);
    }
    return l;
  }

  private static Set<Integer> topIds(float[] l, int k) {
    Integer[] ids = new Integer[l.length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = i;
    }
    java.util.Arrays.sort(ids, (a, b) -> Float.compare(l[b], l[a]));
    return new HashSet<>(java.util.Arrays.asList(ids).subList(0, k));
  }

  @Test
  void topKDrawsOnlyTheKMostLikely() {
    float[] l = logits(1000, 1);
    for (int k : new int[] {1, 3, 40}) {
      Set<Integer> allowed = topIds(l, k);
      Set<Integer> seen = new HashSet<>();
      Sampler s = new Sampler(1.5f, 1f, k, 7);
      for (int i = 0; i < 4000; i++) {
        int t = s.sample(l, 0, l.length);
        assertTrue(allowed.contains(t), "k=" + k + " drew " + t);
        seen.add(t);
      }
      assertEquals(k, seen.size(), "every one of the top " + k + " is drawn at a high temperature");
    }
    // Top-k 1 is greedy.
    assertEquals(Sampler.argmax(l, 0, l.length), new Sampler(1f, 1f, 1, 3).sample(l, 0, l.length));
  }

  @Test
  void topKThenTopPKeepsTheNucleusOfTheK() {
    float[] l = new float[] {5f, 4.9f, 0f, -1f, 4.8f, -3f};
    // At temperature 1 the three large logits hold nearly all the mass; top-p 0.5 of them keeps the two largest.
    Sampler s = new Sampler(1f, 0.5f, 3, 11);
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 2000; i++) {
      seen.add(s.sample(l, 0, l.length));
    }
    assertEquals(Set.of(0, 1), seen);
  }

  @Test
  void sameSeedSameDrawsAndTensorPathAgrees() {
    float[] l = logits(300, 2);
    Sampler a = new Sampler(0.8f, 0.9f, 0, 42);
    Sampler b = new Sampler(0.8f, 0.9f, 0, 42);
    Tensor t = Tensor.of(l, l.length);
    for (int i = 0; i < 200; i++) {
      assertEquals(a.sample(l, 0, l.length), b.sample(t, l.length));
    }
    assertThrows(SparsejException.class, () -> new Sampler(1f, 1f, -1, 0));
  }
}
