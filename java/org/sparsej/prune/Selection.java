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
    // The k-th smallest by selection, not a full sort (the same value: Arrays.sort's order, NaN last); every
    // score below it is among the k smallest.
    double threshold = kthSmallest(Arrays.copyOfRange(scores, from, from + count), k - 1);
    int below = 0;
    for (int i = from; i < from + count; i++) {
      if (scores[i] < threshold) {
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

  /** The element that would be at index {@code k} of {@code a} sorted by Arrays.sort (Hoare's select; a is reordered). */
  static double kthSmallest(double[] a, int k) {
    if (a.length <= 16 || !plainOrder(a)) {
      Arrays.sort(a);
      return a[k];
    }
    int lo = 0;
    int hi = a.length - 1;
    while (lo < hi) {
      double pivot = medianOfThree(a[lo], a[(lo + hi) >>> 1], a[hi]);
      int i = lo;
      int j = hi;
      while (i <= j) {
        while (a[i] < pivot) {
          i++;
        }
        while (a[j] > pivot) {
          j--;
        }
        if (i <= j) {
          double t = a[i];
          a[i] = a[j];
          a[j] = t;
          i++;
          j--;
        }
      }
      if (k <= j) {
        hi = j;
      } else if (k >= i) {
        lo = i;
      } else {
        return a[k];
      }
    }
    return a[k];
  }

  /** No NaN and no -0.0: then {@code <} is Arrays.sort's order and the select may use it. */
  private static boolean plainOrder(double[] a) {
    for (double v : a) {
      if (v != v || Double.doubleToRawLongBits(v) == Long.MIN_VALUE) {
        return false;
      }
    }
    return true;
  }

  private static double medianOfThree(double a, double b, double c) {
    if (a > b) {
      double t = a;
      a = b;
      b = t;
    }
    if (b > c) {
      b = c;
    }
    return a > b ? a : b;
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
