package org.sparsej.weights;

import java.util.SplittableRandom;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/** Keep-masks (I8 [rows][cols], 1 = keep) for building sparse weights from dense ones. */
public final class SparsityMasks {
  private SparsityMasks() {}

  /** Drops each weight independently with probability {@code sparsity}, so rows differ in kept counts. */
  public static Tensor random(int rows, int cols, double sparsity, long seed) {
    if (sparsity < 0 || sparsity > 1) {
      throw new SparsejException("sparsity must be in [0, 1], got " + sparsity);
    }
    SplittableRandom random = new SplittableRandom(seed);
    Tensor mask = Tensor.allocate(DType.I8, rows, cols);
    byte[] row = new byte[cols];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        row[c] = (byte) (random.nextDouble() >= sparsity ? 1 : 0);
      }
      mask.bytes().position(r * cols).put(row);
    }
    return mask;
  }

  /** 2:4 by magnitude: keeps the 2 largest |w| of every group of 4 columns. */
  public static Tensor twoFour(Tensor dense) {
    dense.requireDType(DType.F32);
    int rows = dense.dim(0);
    int cols = dense.dim(1);
    if (cols % 4 != 0) {
      throw new SparsejException("2:4 sparsity: " + cols + " columns do not divide into groups of 4");
    }
    Tensor mask = Tensor.allocate(DType.I8, rows, cols);
    float[] row = new float[cols];
    byte[] keep = new byte[cols];
    for (int r = 0; r < rows; r++) {
      dense.floats().position(r * cols).get(row);
      java.util.Arrays.fill(keep, (byte) 0);
      for (int g = 0; g < cols; g += 4) {
        int a = g;
        for (int i = g + 1; i < g + 4; i++) {
          a = Math.abs(row[i]) > Math.abs(row[a]) ? i : a;
        }
        int b = a == g ? g + 1 : g;
        for (int i = g; i < g + 4; i++) {
          b = i != a && Math.abs(row[i]) > Math.abs(row[b]) ? i : b;
        }
        keep[a] = 1;
        keep[b] = 1;
      }
      mask.bytes().position(r * cols).put(keep);
    }
    return mask;
  }
}
