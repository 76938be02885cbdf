package org.sparsej.prune;

/**
 * Wanda, "pruning by Weights and activations" (Sun, Liu, Bair, Kolter, "A Simple and Effective Pruning Approach
 * for Large Language Models", 2023, arXiv:2306.11695): score each weight by |W_ij|·‖X_j‖₂, the norm of input j
 * over the calibration tokens, and zero the lowest scores within each output row (unstructured: the same fraction
 * of every row, floor(cols·sparsity); n:m: per group of m inputs). No weight update.
 */
public final class Wanda implements Pruner {
  @Override
  public String name() {
    return "wanda";
  }

  @Override
  public double prune(double[] w, int rows, int cols, InputStatistics inputs, double sparsity,
                    SparsityPattern pattern) {
    double[] norm = new double[cols];
    for (int c = 0; c < cols; c++) {
      norm[c] = Math.sqrt(inputs.sumOfSquares(c));
    }
    double[] score = new double[rows * cols];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        score[r * cols + c] = Math.abs(w[r * cols + c]) * norm[c];
      }
    }
    boolean[] prune = new boolean[score.length];
    if (pattern.unstructured()) {
      int perRow = Selection.countFloor(cols, sparsity);
      for (int r = 0; r < rows; r++) {
        Selection.markSmallest(score, r * cols, cols, perRow, prune);
      }
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
