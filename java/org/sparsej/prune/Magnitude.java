package org.sparsej.prune;

/**
 * Magnitude pruning: zero the weights of smallest |W|. Unstructured: the smallest fraction of the whole matrix
 * (per layer, as the baseline in SparseGPT and Wanda); n:m: the smallest in each group of m inputs of a row.
 * No calibration data, no update. (Han et al., "Learning both Weights and Connections for Efficient Neural
 * Networks", NeurIPS 2015; the one-shot LLM baseline of Frantar &amp; Alistarh 2023 and Sun et al. 2023.)
 */
public final class Magnitude implements Pruner {
  @Override
  public String name() {
    return "magnitude";
  }

  @Override
  public boolean needsCalibration() {
    return false;
  }

  @Override
  public double prune(double[] w, int rows, int cols, InputStatistics inputs, double sparsity,
                    SparsityPattern pattern) {
    double[] score = new double[rows * cols];
    for (int i = 0; i < score.length; i++) {
      score[i] = Math.abs(w[i]);
    }
    boolean[] prune = new boolean[score.length];
    if (pattern.unstructured()) {
      Selection.markSmallest(score, 0, score.length, Selection.countFloor(score.length, sparsity), prune);
    } else {
      Selection.markSmallestPerGroup(score, rows, cols, pattern.m(), pattern.zerosPerGroup(), prune);
    }
    for (int i = 0; i < w.length; i++) {
      if (prune[i]) {
        w[i] = 0;
      }
    }
    return Double.NaN;  // not known here: the caller measures the output change
  }
}
