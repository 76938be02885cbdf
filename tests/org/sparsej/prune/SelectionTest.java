package org.sparsej.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The selection behind every pruning mask: the k-th smallest as a full sort gives it, and exactly k marked. */
class SelectionTest {
  private static double[] scores(Random rnd, int n, int distinct) {
    double[] a = new double[n];
    for (int i = 0; i < n; i++) {
      a[i] = distinct > 0 ? rnd.nextInt(distinct) : rnd.nextGaussian();
      if (rnd.nextInt(50) == 0) {
        a[i] = rnd.nextBoolean() ? Double.NaN : rnd.nextBoolean() ? -0.0 : 0.0;
      }
    }
    return a;
  }

  @Test
  void kthSmallestIsTheSortedElement() {
    Random rnd = new Random(11);
    for (int trial = 0; trial < 300; trial++) {
      int n = 1 + rnd.nextInt(trial < 100 ? 20 : 3000);
      double[] a = scores(rnd, n, trial % 3 == 0 ? 1 + rnd.nextInt(5) : 0);
      double[] sorted = a.clone();
      Arrays.sort(sorted);
      int k = rnd.nextInt(n);
      assertEquals(Double.doubleToLongBits(sorted[k]), Double.doubleToLongBits(Selection.kthSmallest(a.clone(), k)),
          "n " + n + " k " + k);
    }
  }

  /** markSmallest as it was written with a full sort: the reference the selection must match bit for bit. */
  private static boolean[] bySort(double[] scores, int k) {
    boolean[] prune = new boolean[scores.length];
    double[] sorted = scores.clone();
    Arrays.sort(sorted);
    double threshold = sorted[k - 1];
    int equalAllowed = k;
    for (int i = 0; i < k; i++) {
      equalAllowed -= sorted[i] < threshold ? 1 : 0;
    }
    for (int i = 0; i < scores.length; i++) {
      if (scores[i] < threshold) {
        prune[i] = true;
      } else if (scores[i] == threshold && equalAllowed > 0) {
        prune[i] = true;
        equalAllowed--;
      }
    }
    return prune;
  }

  @Test
  void marksTheSameAsASortWithTiesAndOddSizes() {
    Random rnd = new Random(5);
    for (int trial = 0; trial < 200; trial++) {
      int n = 2 + rnd.nextInt(5000);
      double[] a = scores(rnd, n, trial % 2 == 0 ? 1 + rnd.nextInt(7) : 0);
      for (int i = 0; i < n; i++) {
        a[i] = Math.abs(a[i]);  // as the pruners' scores are
      }
      int k = 1 + rnd.nextInt(n - 1);
      boolean[] got = new boolean[n];
      Selection.markSmallest(a, 0, n, k, got);
      assertArrayEquals(bySort(a, k), got, "n " + n + " k " + k);
      int marked = 0;
      for (boolean b : got) {
        marked += b ? 1 : 0;
      }
      if (Arrays.stream(a).noneMatch(Double::isNaN)) {
        assertEquals(k, marked);  // a NaN threshold marks fewer, with the sort as without it
      }
    }
  }
}
