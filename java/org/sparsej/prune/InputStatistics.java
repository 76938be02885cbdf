package org.sparsej.prune;

import java.util.stream.IntStream;
import org.bytedeco.javacpp.DoublePointer;
import org.sparsej.backend.Backend;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.weights.DenseF32Weight;

/**
 * What the compression methods need to know about a linear layer's inputs over the calibration tokens: the Gram
 * matrix G = Σ_t x_t·x_tᵀ [cols][cols], accumulated in double, and each input channel's range max_t |x_t[c]|.
 * SparseGPT's layer Hessian is H = 2·G (up to the 1/N the reference scales by, which cancels); Wanda uses its
 * diagonal, the squared input norms; SmoothQuant and the selective-quantization ranking read the ranges. Holding one
 * of these per linear group of a block bounds the memory to a few cols² doubles; {@link #rangesOnly} skips the Gram
 * matrix (and its matmul) when only ranges are read.
 */
public final class InputStatistics {
  private static final int CHUNK = 256;
  private final int cols;
  private final double[] gram;  // upper triangle filled during accumulation; symmetric after finish(); null: ranges only
  private final double[] chunk;  // [cols][CHUNK] column-major copy of the rows being added
  private final float[] absMax;  // max |x[c]| over the tokens added
  private Tensor xt;       // [cols][n] transposed inputs for the backend path
  private Tensor product;  // [cols][cols]
  private long tokens;
  private boolean finished;

  public InputStatistics(int cols) {
    this(cols, true);
  }

  private InputStatistics(int cols, boolean withGram) {
    this.cols = cols;
    this.gram = withGram ? new double[cols * cols] : null;
    this.chunk = withGram ? new double[cols * CHUNK] : null;
    this.absMax = new float[cols];
  }

  /** Statistics that keep only the channel ranges (no Gram matrix). */
  public static InputStatistics rangesOnly(int cols) {
    return new InputStatistics(cols, false);
  }

  public boolean hasGram() {
    return gram != null;
  }

  /** max_t |x_t[c]| over the tokens added (0 for a channel that was always zero). */
  public float absMax(int c) {
    return absMax[c];
  }

  /** The largest |x| over all channels and tokens: the input's activation range. */
  public float range() {
    float m = 0;
    for (float v : absMax) {
      m = Math.max(m, v);
    }
    return m;
  }

  private void requireGram() {
    if (gram == null) {
      throw new IllegalStateException("these statistics keep ranges only");
    }
  }

  public int cols() {
    return cols;
  }

  public long tokens() {
    return tokens;
  }

  /** Adds {@code n} input rows of {@code cols} floats each (a [n][cols] tensor or view). */
  public void add(Tensor x, int n) {
    x.requireSize("calibration inputs", (long) n * cols);
    addRanges(x.floats(), n);
    if (gram == null) {
      tokens += n;
      return;
    }
    for (int r0 = 0; r0 < n; r0 += CHUNK) {
      int rowsInChunk = Math.min(CHUNK, n - r0);
      for (int r = 0; r < rowsInChunk; r++) {
        long base = (long) (r0 + r) * cols;
        for (int c = 0; c < cols; c++) {
          chunk[c * CHUNK + r] = x.getFloat(base + c);
        }
      }
      addChunk(rowsInChunk);
    }
    tokens += n;
    finished = false;
  }

  /**
   * Adds {@code n} input rows like {@link #add(Tensor, int)}, but forms XᵀX with the backend's matmul (float
   * products summed over the n rows of one call, then accumulated in double): the fast path for calibration.
   */
  public void add(Tensor x, int n, Backend backend) {
    x.requireSize("calibration inputs", (long) n * cols);
    addRanges(x.floats(), n);
    if (gram == null) {
      tokens += n;
      return;
    }
    if (xt == null || xt.dim(1) != n) {
      xt = Tensor.allocate(DType.F32, cols, n);
      product = Tensor.allocate(DType.F32, cols, cols);
    }
    java.nio.FloatBuffer in = x.floats();
    java.nio.FloatBuffer out = xt.floats();
    for (int t = 0; t < n; t++) {
      for (int c = 0; c < cols; c++) {
        out.put(c * n + t, in.get(t * cols + c));
      }
    }
    backend.matmul(product, xt, new DenseF32Weight(xt), cols);  // product[i][j] = Σ_t x[t][i]·x[t][j]
    java.nio.FloatBuffer p = product.floats();
    for (int i = 0; i < cols; i++) {
      for (int j = i; j < cols; j++) {
        gram[i * cols + j] += p.get(i * cols + j);
      }
    }
    tokens += n;
    finished = false;
  }

  /** Adds rows of a plain array [n][cols] (tests). */
  public void add(double[] rows, int n) {
    for (int i = 0; i < n * cols; i++) {
      absMax[i % cols] = Math.max(absMax[i % cols], (float) Math.abs(rows[i]));
    }
    if (gram == null) {
      tokens += n;
      return;
    }
    for (int r0 = 0; r0 < n; r0 += CHUNK) {
      int rowsInChunk = Math.min(CHUNK, n - r0);
      for (int r = 0; r < rowsInChunk; r++) {
        for (int c = 0; c < cols; c++) {
          chunk[c * CHUNK + r] = rows[(r0 + r) * cols + c];
        }
      }
      addChunk(rowsInChunk);
    }
    tokens += n;
    finished = false;
  }

  private void addRanges(java.nio.FloatBuffer in, int n) {
    for (int t = 0; t < n; t++) {
      int base = t * cols;
      for (int c = 0; c < cols; c++) {
        absMax[c] = Math.max(absMax[c], Math.abs(in.get(base + c)));
      }
    }
  }

  private void addChunk(int n) {
    // Rows of the upper triangle are independent; the parallel stream balances their unequal lengths.
    IntStream.range(0, cols).parallel().forEach(i -> {
      int ai = i * CHUNK;
      for (int j = i; j < cols; j++) {
        int aj = j * CHUNK;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int t = 0;
        for (; t + 3 < n; t += 4) {
          s0 += chunk[ai + t] * chunk[aj + t];
          s1 += chunk[ai + t + 1] * chunk[aj + t + 1];
          s2 += chunk[ai + t + 2] * chunk[aj + t + 2];
          s3 += chunk[ai + t + 3] * chunk[aj + t + 3];
        }
        for (; t < n; t++) {
          s0 += chunk[ai + t] * chunk[aj + t];
        }
        gram[i * cols + j] += (s0 + s1) + (s2 + s3);
      }
    });
  }

  private void finish() {
    if (!finished) {
      for (int i = 0; i < cols; i++) {
        for (int j = i + 1; j < cols; j++) {
          gram[j * cols + i] = gram[i * cols + j];
        }
      }
      finished = true;
    }
  }

  /** Σ_t x_t[c]², the squared norm of input c. */
  public double sumOfSquares(int c) {
    requireGram();
    return gram[c * cols + c];
  }

  /** A copy of the full symmetric Gram matrix, row-major [cols][cols]. */
  public double[] gramCopy() {
    requireGram();
    finish();
    return gram.clone();
  }

  /** The Gram matrix itself (read-only by contract). */
  double[] gram() {
    requireGram();
    finish();
    return gram;
  }

  /**
   * ‖(W - Ŵ)·X‖² / ‖W·X‖² over the calibration inputs, = tr(Δ G Δᵀ) / tr(W G Wᵀ): how much of the layer's output
   * the pruning changed. Each trace is ⟨G, AᵀA⟩ with AᵀA from OpenBLAS dsyrk: rows·cols² multiply-adds, half of
   * what forming A·G would take.
   */
  public double relativeError(double[] original, double[] pruned, int rows) {
    double[] delta = new double[rows * cols];
    for (int i = 0; i < delta.length; i++) {
      delta[i] = original[i] - pruned[i];
    }
    return relativeError(original, trace(delta, rows), rows);
  }

  /** The same ratio where the change's trace tr(Δ G Δᵀ) is known (SparseGPT's sweep gives it): one trace, not two. */
  public double relativeError(double[] original, double outputChange, int rows) {
    double den = trace(original, rows);
    return den == 0 ? 0 : outputChange / den;
  }

  /** tr(A G Aᵀ) = Σ_ij G_ij (AᵀA)_ij for A [rows][cols]. */
  private double trace(double[] a, int rows) {
    double[] g = gram();
    double[] upper = new double[cols];
    double sum = 0;
    try (DoublePointer an = DoubleBlas.copyOf(a);
         DoublePointer s = new DoublePointer((long) cols * cols)) {
      DoubleBlas.syrkUpperTransposed(cols, rows, an, s);
      for (int i = 0; i < cols; i++) {
        int n = cols - i;
        DoubleBlas.read(s, (long) i * cols + i, upper, 0, n);
        double off = 0;
        for (int j = 1; j < n; j++) {
          off += g[i * cols + i + j] * upper[j];
        }
        sum += g[i * cols + i] * upper[0] + 2 * off;
      }
    }
    return sum;
  }
}
