package org.sparsej.prune;

import java.util.stream.IntStream;

/**
 * SparseGPT (Frantar &amp; Alistarh, "SparseGPT: Massive Language Models Can Be Accurately Pruned in One-Shot",
 * ICML 2023, arXiv:2301.00774), Algorithm 1.
 *
 * <p>For W [rows][cols] with layer Hessian H = 2·X·Xᵀ over the calibration tokens: inputs that never fire
 * (H_ii = 0) get H_ii = 1 and their weights zeroed; the diagonal is dampened by 1% of its mean; U is the upper
 * Cholesky factor of H⁻¹ (H⁻¹ = Uᵀ·U). Columns are then visited left to right in blocks of 128. At the start of a
 * block the mask is chosen adaptively from the current (already updated) weights: unstructured, the fraction
 * {@code sparsity} of the block with the lowest w²/U_ii²; n:m, per row and per group of m columns as the group is
 * reached. Each column's pruning error (w - q)/U_ii is spread over the block's later columns through row i of U,
 * and once per block over all later columns (the paper's lazy batch update). Rows are independent given the mask,
 * so they run in parallel.
 */
public final class SparseGpt implements Pruner {
  private final int blockSize;
  private final double dampening;

  public SparseGpt() {
    this(128, 0.01);
  }

  public SparseGpt(int blockSize, double dampening) {
    this.blockSize = blockSize;
    this.dampening = dampening;
  }

  @Override
  public String name() {
    return "sparsegpt";
  }

  @Override
  public void prune(double[] w, int rows, int cols, InputStatistics inputs, double sparsity,
                    SparsityPattern pattern) {
    double[] h = inputs.gramCopy();
    double meanDiag = 0;
    for (int i = 0; i < cols; i++) {
      if (h[i * cols + i] == 0) {  // dead input: nothing to preserve, keep H invertible
        h[i * cols + i] = 1;
        for (int r = 0; r < rows; r++) {
          w[r * cols + i] = 0;
        }
      }
      meanDiag += h[i * cols + i];
    }
    double damp = dampening * meanDiag / cols;
    for (int i = 0; i < cols; i++) {
      h[i * cols + i] += damp;
    }
    double[] u = Cholesky.upper(Cholesky.inverseFromLower(Cholesky.lower(h, cols), cols), cols);

    // n:m groups must not straddle blocks.
    int block = pattern.unstructured() ? blockSize : Math.max(pattern.m(), blockSize / pattern.m() * pattern.m());
    for (int i1 = 0; i1 < cols; i1 += block) {
      final int b1 = i1;
      final int b2 = Math.min(i1 + block, cols);
      final int count = b2 - b1;
      final boolean[] mask = new boolean[rows * count];  // true = prune; [rows][count]
      if (pattern.unstructured()) {
        double[] score = new double[rows * count];
        for (int r = 0; r < rows; r++) {
          for (int i = 0; i < count; i++) {
            double wi = w[r * cols + b1 + i];
            double d = u[(b1 + i) * cols + b1 + i];
            score[r * count + i] = wi * wi / (d * d);
          }
        }
        Selection.markSmallest(score, 0, score.length, Selection.countFloor(score.length, sparsity), mask);
      }
      IntStream.range(0, rows).parallel().forEach(r -> pruneRowBlock(w, r, cols, u, b1, b2, mask, pattern));
    }
  }

  private static void pruneRowBlock(double[] w, int r, int cols, double[] u, int b1, int b2, boolean[] mask,
                                    SparsityPattern pattern) {
    int count = b2 - b1;
    int row = r * cols;
    double[] err = new double[count];
    double[] score = pattern.unstructured() ? null : new double[pattern.m()];
    boolean[] groupMask = pattern.unstructured() ? null : new boolean[pattern.m()];
    for (int i = 0; i < count; i++) {
      int col = b1 + i;
      if (!pattern.unstructured() && i % pattern.m() == 0) {
        // Choose this group's zeros from the weights as updated so far.
        for (int g = 0; g < pattern.m(); g++) {
          double wg = w[row + col + g];
          double d = u[(col + g) * cols + col + g];
          score[g] = wg * wg / (d * d);
          groupMask[g] = false;
        }
        Selection.markSmallest(score, 0, pattern.m(), pattern.zerosPerGroup(), groupMask);
        for (int g = 0; g < pattern.m(); g++) {
          mask[r * count + i + g] = groupMask[g];
        }
      }
      double wi = w[row + col];
      double q = mask[r * count + i] ? 0 : wi;
      double d = u[col * cols + col];
      double e = (wi - q) / d;
      err[i] = e;
      if (e != 0) {
        int ui = col * cols;
        for (int j = col + 1; j < b2; j++) {
          w[row + j] -= e * u[ui + j];
        }
      }
      w[row + col] = q;
    }
    // Lazy batch update of every later column: W[:, b2:] -= Err · U[b1:b2, b2:].
    for (int i = 0; i < count; i++) {
      double e = err[i];
      if (e != 0) {
        int ui = (b1 + i) * cols;
        for (int j = b2; j < cols; j++) {
          w[row + j] -= e * u[ui + j];
        }
      }
    }
  }
}
