package org.sparsej.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.Isa;
import org.sparsej.testing.RandomTensors;
import org.sparsej.testing.TensorAssert;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.Q8_0Weight;

/** The native Q8_0 matmul on every ISA against the Java reference, and the reference against dequantized F32. */
class Q8_0KernelMatchesJavaTest {
  private static KernelFixture kernels;
  private static JavaBackend oracle;

  @BeforeAll
  static void open() {
    kernels = new KernelFixture();
    oracle = kernels.oracle;
  }

  @AfterAll
  static void close() {
    kernels.close();
  }

  static Stream<String> isas() {
    return Isa.runnable();
  }

  // batch, rows, cols: rows not multiples of 4 or of any vector width, cols multiples of 32 as Q8_0 requires.
  private static final int[][] SHAPES = {{1, 1, 32}, {1, 5, 64}, {3, 37, 96}, {17, 64, 288}, {2, 301, 768},
      {1, 1031, 4096}};

  @ParameterizedTest
  @MethodSource("isas")
  void nativeMatchesReference(String isa) {
    RandomTensors random = new RandomTensors(11);
    Isa.with(isa, () -> {
      for (int[] s : SHAPES) {
        Q8_0Weight w = Q8_0Weight.quantize(random.uniform(s[1], s[2]));
        // the shape's own batch, and every kernel path's (decode, prefill past one tile) on the smaller shapes
        int[] batches = s[2] <= 768 ? new int[] {s[0], 1, 3, 17, 70} : new int[] {s[0]};
        // Scalar sums in the reference's order: bit for bit. SIMD sums the int32 block dots in lanes.
        double tol = isa.equals("scalar") ? 0 : 1e-5;
        kernels.check(w, random, batches, tol, isa + " q8_0 matmul " + Arrays.toString(s));
      }
    });
  }

  @Test
  void referenceEqualsDenseMatmulOfDequantizedWeights() {
    RandomTensors random = new RandomTensors(12);
    for (int[] s : SHAPES) {
      Q8_0Weight w = Q8_0Weight.quantize(random.uniform(s[1], s[2]));
      Tensor x = random.uniform(s[0], s[2]);
      Tensor expected = RandomTensors.poisoned(s[0], s[1]);
      Tensor actual = RandomTensors.poisoned(s[0], s[1]);
      oracle.matmul(expected, x, new DenseF32Weight(w.toDense()), s[0]);
      oracle.matmul(actual, x, w, s[0]);
      // The reference quantizes x to Q8_0 blocks as llama.cpp does, each value off by at most d/2 = max|x|/254
      // (x in [-1, 1]): an output is off by at most Σ_c |W[r][c]| / 254.
      Tensor dense = w.toDense();
      for (int b = 0; b < s[0]; b++) {
        for (int r = 0; r < s[1]; r++) {
          double bound = 1e-5;
          for (int c = 0; c < s[2]; c++) {
            bound += Math.abs(dense.getFloat((long) r * s[2] + c)) / 254;
          }
          int i = b * s[1] + r;
          assertEquals(expected.getFloat(i), actual.getFloat(i), bound, "q8_0 vs dequantized " + Arrays.toString(s));
        }
      }
    }
  }

  @Test
  void quantizeRoundsLikeLlamaCpp() {
    // One block: amax 2.54 -> d = 0.02; 1.27 / 0.02 = 63.5 rounds away from zero to 64 (and -63.5 to -64).
    float[] v = new float[32];
    v[0] = 2.54f;
    v[1] = 1.27f;
    v[2] = -1.27f;
    v[3] = 0.0099f;
    Q8_0Weight w = Q8_0Weight.quantize(Tensor.of(v, 1, 32));
    byte[] q = new byte[4];
    w.blocks().bytes().position(2).get(q);
    TensorAssert.assertValues(new float[] {2.54f, 1.28f, -1.28f, 0.0f}, w.toDense(), 2e-3, "dequantized block");
    org.junit.jupiter.api.Assertions.assertArrayEquals(new byte[] {127, 64, -64, 0}, q);
  }
}
