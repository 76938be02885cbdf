package org.sparsej.prune;

import java.util.stream.IntStream;
import org.bytedeco.javacpp.DoublePointer;

/**
 * SparseGPT (Frantar &amp; Alistarh, "SparseGPT: Massive Language Models Can Be Accurately Pruned in One-Shot",
 * ICML 2023, arXiv:2301.00774), Algorithm 1.
 *
 * <p>For W [rows][cols] with layer Hessian H = 2·X·Xᵀ over the calibration tokens: inputs that never fire
 * (H_ii = 0) get H_ii = 1 and their weights zeroed; the diagonal is dampened by 1% of its mean; U is the upper
 * Cholesky factor of H⁻¹ (H⁻¹ = Uᵀ·U; {@link HessianFactor}, shared by the linears that read the same inputs). Columns are then visited left to right in blocks of 128. At the start of a
 * block the mask is chosen adaptively from the current (already updated) weights: unstructured, the fraction
 * {@code sparsity} of the block with the lowest w²/U_ii²; n:m, per row and per group of m columns as the group is
 * reached. Each column's pruning error (w - q)/U_ii is spread over the block's later columns through row i of U,
 * and once per block over all later columns (the paper's lazy batch update).
 *
 * <p>Where the work goes: H⁻¹'s factor (LAPACK, O(cols³)) and the lazy batch updates (one dgemm per block,
 * O(rows·cols²) in all) run on OpenBLAS in double; the column sweep inside a block (O(rows·128·cols)) runs in
 * Java, rows in parallel, on a copy of the block's columns.
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
  public double prune(double[] w, int rows, int cols, InputStatistics inputs, double sparsity,
                      SparsityPattern pattern) {
    try (InputGroup group = sharing(inputs)) {
      return group.prune(w, rows, cols, sparsity, pattern);
    }
  }

  /** Factors the Hessian at the group's first linear and reuses it for the others. */
  @Override
  public InputGroup sharing(InputStatistics inputs) {
    return new InputGroup() {
      private HessianFactor factor;

      @Override
      public double prune(double[] w, int rows, int cols, double sparsity, SparsityPattern pattern) {
        if (factor == null) {
          factor = HessianFactor.of(inputs, dampening);
        }
        return SparseGpt.this.prune(w, rows, cols, factor, sparsity, pattern);
      }

      @Override
      public void close() {
        if (factor != null) {
          factor.close();
        }
      }
    };
  }

  private double prune(double[] w, int rows, int cols, HessianFactor h, double sparsity, SparsityPattern pattern) {
    h.zeroDeadInputs(w, rows);
    double sweepLoss = 0;  // Σ of the scaled errors squared
    try (DoublePointer weights = DoubleBlas.copyOf(w)) {
      // n:m groups must not straddle blocks.
      int block = pattern.unstructured() ? blockSize : Math.max(pattern.m(), blockSize / pattern.m() * pattern.m());
      try (DoublePointer errors = new DoublePointer((long) rows * block)) {
        for (int b1 = 0; b1 < cols; b1 += block) {
          int b2 = Math.min(b1 + block, cols);
          double[] err = pruneBlock(weights, rows, cols, h.u(), b1, b2, sparsity, pattern);
          for (double e : err) {
            sweepLoss += e * e;
          }
          // Lazy batch update of every later column: W[:, b2:] -= Err · U[b1:b2, b2:].
          DoubleBlas.write(errors, 0, err, 0, err.length);
          DoubleBlas.gemm(rows, cols - b2, b2 - b1, -1, errors, 0, b2 - b1, h.u(), (long) b1 * cols + b2, cols, 1,
              weights, b2, cols);
        }
      }
      // The sweep changed each row by Δ = e·U, and U·H·Uᵀ = I, so Σe² = tr(ΔHΔᵀ): the output change plus damp·‖Δ‖²
      // (dead inputs have Δ = 0). That spares the caller a second cols²·rows product to measure it.
      double[] row = new double[cols];
      double moved = 0;
      for (int r = 0; r < rows; r++) {
        DoubleBlas.read(weights, (long) r * cols, row, 0, cols);
        for (int c = 0; c < cols; c++) {
          double d = w[r * cols + c] - row[c];
          moved += d * d;
        }
        System.arraycopy(row, 0, w, r * cols, cols);
      }
      return Math.max(0, sweepLoss - h.damp() * moved);
    }
  }

  /**
   * Columns [b1, b2) of every row: chooses the mask, sweeps the columns (the pruned weights and the block's own
   * updates written back to {@code weights}) and returns each row's scaled errors Err [rows][b2 - b1].
   */
  private static double[] pruneBlock(DoublePointer weights, int rows, int cols, DoublePointer u, int b1, int b2,
                                     double sparsity, SparsityPattern pattern) {
    int count = b2 - b1;
    double[] wb = new double[rows * count];  // W[:, b1:b2]
    for (int r = 0; r < rows; r++) {
      DoubleBlas.read(weights, (long) r * cols + b1, wb, r * count, count);
    }
    double[] ub = new double[count * count];  // U[b1:b2, b1:b2]
    for (int i = 0; i < count; i++) {
      DoubleBlas.read(u, (long) (b1 + i) * cols + b1, ub, i * count, count);
    }
    boolean[] mask = new boolean[rows * count];  // true = prune; [rows][count]
    if (pattern.unstructured()) {
      double[] score = new double[rows * count];
      for (int r = 0; r < rows; r++) {
        for (int i = 0; i < count; i++) {
          double wi = wb[r * count + i];
          double d = ub[i * count + i];
          score[r * count + i] = wi * wi / (d * d);
        }
      }
      Selection.markSmallest(score, 0, score.length, Selection.countFloor(score.length, sparsity), mask);
    }
    double[] err = new double[rows * count];
    // Rows are independent given U; the parallel stream shares them among the cores.
    IntStream.range(0, rows).parallel().forEach(r -> sweepRow(wb, err, r, count, ub, mask, pattern));
    for (int r = 0; r < rows; r++) {
      DoubleBlas.write(weights, (long) r * cols + b1, wb, r * count, count);
    }
    return err;
  }

  /** Row r of the block, column by column: prune (or keep) it and spread its error over the block's later columns. */
  private static void sweepRow(double[] wb, double[] err, int r, int count, double[] ub, boolean[] mask,
                               SparsityPattern pattern) {
    int row = r * count;
    double[] score = pattern.unstructured() ? null : new double[pattern.m()];
    boolean[] groupMask = pattern.unstructured() ? null : new boolean[pattern.m()];
    for (int i = 0; i < count; i++) {
      if (!pattern.unstructured() && i % pattern.m() == 0) {
        // Choose this group's zeros from the weights as updated so far.
        for (int g = 0; g < pattern.m(); g++) {
          double wg = wb[row + i + g];
          double d = ub[(i + g) * count + i + g];
          score[g] = wg * wg / (d * d);
          groupMask[g] = false;
        }
        Selection.markSmallest(score, 0, pattern.m(), pattern.zerosPerGroup(), groupMask);
        for (int g = 0; g < pattern.m(); g++) {
          mask[row + i + g] = groupMask[g];
        }
      }
      double wi = wb[row + i];
      double q = mask[row + i] ? 0 : wi;
      double e = (wi - q) / ub[i * count + i];
      err[row + i] = e;
      if (e != 0) {
        int ui = i * count;
        for (int j = i + 1; j < count; j++) {
          wb[row + j] -= e * ub[ui + j];
        }
      }
      wb[row + i] = q;
    }
  }
}
