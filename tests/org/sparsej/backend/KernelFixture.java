package org.sparsej.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.RandomTensors;
import org.sparsej.weights.LinearWeight;

/**
 * What every native-kernel test shares: the Java oracle and the cpu backend, and one check of a weight's native
 * matmul against the oracle on random activations at the batches that reach each kernel path (1 and 3: one group
 * of tokens, 17 and 70: several, 70 past a 64-token tile), outputs poisoned with NaN so a skipped element fails.
 * A test class holds it as a JUnit extension, {@code @RegisterExtension static final KernelFixture kernels = new
 * KernelFixture();}, which opens the backends before its tests and closes them after; run checks inside
 * {@code Isa.with}.
 */
final class KernelFixture implements BeforeAllCallback, AfterAllCallback {
  static final int[] BATCHES = {1, 3, 17, 70};

  JavaBackend oracle;
  CpuBackend cpu;

  @Override
  public void beforeAll(ExtensionContext context) {
    oracle = new JavaBackend(2);
    cpu = new CpuBackend(2);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (oracle != null) {  // null when opening failed: let that error show, not a NullPointerException over it
      oracle.close();
    }
    if (cpu != null) {
      cpu.close();
    }
  }

  /**
   * Native against oracle for each batch. Summation orders differ, so each output may differ by
   * {@code relTol} times Σ_c |W[r][c]·x[b][c]| (0 demands bit-identical results).
   */
  void check(LinearWeight w, RandomTensors random, int[] batches, double relTol, String what) {
    Tensor dense = relTol > 0 ? w.toDense() : null;
    for (int batch : batches) {
      Tensor x = random.uniform(batch, w.cols());
      Tensor expected = RandomTensors.poisoned(batch, w.rows());
      Tensor actual = RandomTensors.poisoned(batch, w.rows());
      oracle.matmul(expected, x, w, batch);
      cpu.matmul(actual, x, w, batch);
      Tensor magnitude = relTol > 0 ? magnitudes(dense, x, batch) : null;
      for (long i = 0; i < (long) batch * w.rows(); i++) {
        float a = actual.getFloat(i);
        if (Float.isNaN(a)) {
          fail(what + " batch " + batch + ": output " + i + " was never written");
        }
        double tol = relTol > 0 ? relTol * magnitude.getFloat(i) + 1e-6 : 0;
        assertEquals(expected.getFloat(i), a, tol, what + " batch " + batch + ": output " + i);
      }
    }
  }

  void check(LinearWeight w, RandomTensors random, double relTol, String what) {
    check(w, random, BATCHES, relTol, what);
  }

  /** Σ_c |W[r][c]·x[b][c]| for each output: the scale of the rounding error any summation order may make. */
  static Tensor magnitudes(Tensor dense, Tensor x, int batch) {
    int rows = dense.dim(0);
    int cols = dense.dim(1);
    Tensor m = Tensor.allocate(DType.F32, batch, rows);
    for (int b = 0; b < batch; b++) {
      for (int r = 0; r < rows; r++) {
        double s = 0;
        for (int c = 0; c < cols; c++) {
          s += Math.abs(dense.getFloat((long) r * cols + c) * x.getFloat((long) b * cols + c));
        }
        m.setFloat((long) b * rows + r, (float) s);
      }
    }
    return m;
  }
}
