package org.sparsej.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.Isa;
import org.sparsej.testing.RandomTensors;
import org.sparsej.weights.BitmaskSparseWeight;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.Precision;
import org.sparsej.weights.Sparse24Weight;
import org.sparsej.weights.SparsityMasks;

/**
 * Every sparse native kernel (bitmask and 2:4; f32, int8, w8a8; decode and prefill paths) on every ISA this CPU
 * runs, against the Java oracle: random inputs, sizes that are no multiple of any vector width, sparsity 0% to
 * 100%, empty rows, outputs poisoned with NaN.
 */
class SparseKernelsMatchJavaTest {
  // batch 1 and 3 take the per-row decode kernels, 17 and 70 the tiled prefill kernels (70 > one 64-token tile);
  // rows of more than 4096 columns span several of the prefill kernels' 1024-column blocks.
  private static final int[] BATCHES = {1, 3, 17, 70};
  private static final double[] SPARSITIES = {0.0, 0.5, 0.7, 0.93, 1.0};

  private static JavaBackend oracle;
  private static CpuBackend cpu;

  @BeforeAll
  static void open() {
    oracle = new JavaBackend(2);
    cpu = new CpuBackend(2);
  }

  @AfterAll
  static void close() {
    oracle.close();
    cpu.close();
  }

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    Isa.runnable().forEach(isa -> {
      for (Precision p : Precision.values()) {
        cases.add(Arguments.of(isa, p));
      }
    });
    return cases.stream();
  }

  /** A dense matrix with every 5th row empty, so kernels meet rows without a kept weight. */
  private static Tensor denseWithEmptyRows(RandomTensors random, int rows, int cols) {
    Tensor w = random.uniform(rows, cols);
    for (int r = 2; r < rows; r += 5) {
      for (int c = 0; c < cols; c++) {
        w.setFloat((long) r * cols + c, 0f);
      }
    }
    return w;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void bitmask(String isa, Precision precision) {
    RandomTensors random = new RandomTensors(11);
    int[][] shapes = {{1, 1}, {5, 7}, {37, 33}, {64, 100}, {33, 259}, {130, 1031}, {9, 4133}};
    Isa.with(isa, () -> {
      for (int[] s : shapes) {
        for (double sparsity : SPARSITIES) {
          Tensor dense = denseWithEmptyRows(random, s[0], s[1]);
          Tensor mask = SparsityMasks.random(s[0], s[1], sparsity, random.nextInt(1000));
          check(BitmaskSparseWeight.fromDense(dense, mask, precision), random, isa + " bitmask " + precision
              + " " + s[0] + "x" + s[1] + " sparsity " + sparsity);
        }
      }
    });
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void sparse24(String isa, Precision precision) {
    RandomTensors random = new RandomTensors(12);
    int[][] shapes = {{1, 4}, {5, 12}, {37, 36}, {64, 100}, {33, 260}, {130, 1028}, {9, 4132}};
    Isa.with(isa, () -> {
      for (int[] s : shapes) {
        for (boolean sparser : new boolean[] {false, true}) {
          Tensor dense = denseWithEmptyRows(random, s[0], s[1]);
          Tensor mask = SparsityMasks.twoFour(dense);
          if (sparser) {  // groups keeping fewer than 2: the format pads them with zeros
            Tensor drop = SparsityMasks.random(s[0], s[1], 0.5, 7);
            for (long i = 0; i < mask.size(); i++) {
              mask.bytes().put((int) i, (byte) (mask.bytes().get((int) i) & drop.bytes().get((int) i)));
            }
          }
          check(Sparse24Weight.fromDense(dense, mask, precision), random, isa + " 2:4 " + precision + " "
              + s[0] + "x" + s[1] + (sparser ? " sparser" : ""));
        }
      }
    });
  }

  private static void check(LinearWeight w, RandomTensors random, String what) {
    for (int batch : BATCHES) {
      Tensor x = random.uniform(batch, w.cols());
      Tensor expected = RandomTensors.poisoned(batch, w.rows());
      Tensor actual = RandomTensors.poisoned(batch, w.rows());
      oracle.matmul(expected, x, w, batch);
      cpu.matmul(actual, x, w, batch);
      Tensor magnitude = magnitudes(w.toDense(), x, batch);
      for (long i = 0; i < (long) batch * w.rows(); i++) {
        float a = actual.getFloat(i);
        if (Float.isNaN(a)) {
          fail(what + " batch " + batch + ": output " + i + " was never written");
        }
        // Summation order differs between kernels: allow a small fraction of the sum of |terms|.
        double tol = 1e-5 * magnitude.getFloat(i) + 1e-6;
        assertEquals(expected.getFloat(i), a, tol, what + " batch " + batch + ": output " + i);
      }
    }
  }

  /** Σ_c |W[r][c]·x[b][c]| for each output: the scale of the rounding error any summation order may make. */
  private static Tensor magnitudes(Tensor dense, Tensor x, int batch) {
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
