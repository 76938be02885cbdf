package org.sparsej.prune;

import java.util.Arrays;

/** Picks the k smallest of a set of scores: the common step of every pruning metric. */
final class Selection {
  private Selection() {}

  /**
   * Marks in {@code prune} the {@code k} smallest of scores[from .. from+count) (ties broken by lower index, like
   * a stable sort). Exactly k entries are marked.
   */
  static void markSmallest(double[] scores, int from, int count, int k, boolean[] prune) {
    if (k <= 0) {
      return;
    }
    if (k >= count) {
      Arrays.fill(prune, from, from + count, true);
      return;
    }
    double[] sorted = Arrays.copyOfRange(scores, from, from + count);
    Arrays.sort(sorted);
    double threshold = sorted[k - 1];
    int below = 0;
    for (int i = 0; i < k; i++) {
      if (sorted[i] < threshold) {
        below++;
      }
    }
    int equalAllowed = k - below;
    for (int i = from; i < from + count; i++) {
      double s = scores[i];
      if (s < threshold) {
        prune[i] = true;
      } else if (s == threshold && equalAllowed > 0) {
        prune[i] = true;
        equalAllowed--;
      }
    }
  }

  /** For each row and each group of m consecutive inputs, marks the {@code zeros} smallest scores. */
  static void markSmallestPerGroup(double[] scores, int rows, int cols, int m, int zeros, boolean[] prune) {
    for (int r = 0; r < rows; r++) {
      for (int g = 0; g < cols; g += m) {
        markSmallest(scores, r * cols + g, m, zeros, prune);
      }
    }
  }

  static int countFloor(long total, double sparsity) {
    return (int) Math.floor(total * sparsity + 1e-9);
  }
}
