package org.sparsej.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.Isa;
import org.sparsej.testing.RandomTensors;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.Q4_0Weight;
import org.sparsej.weights.Q8_0Weight;

/**
 * The ggml block formats Q8_0 and Q4_0, one body for both: the native matmul on every ISA against the Java
 * reference, and the reference against the dense matmul of the dequantized matrix. What is particular to one format
 * (its rounding, its stored layout, a GGUF of it) is in Q8_0KernelMatchesJavaTest and Q4_0KernelMatchesJavaTest.
 */
class BlockQuantKernelsMatchJavaTest {
  /** A block format: how a random matrix is quantized to it, and the seed its cases draw from. */
  enum Format {
    Q8_0(Q8_0Weight::quantize, 11),
    Q4_0(Q4_0Weight::quantize, 21);

    final Function<Tensor, LinearWeight> quantize;
    final long seed;

    Format(Function<Tensor, LinearWeight> quantize, long seed) {
      this.quantize = quantize;
      this.seed = seed;
    }
  }

  @RegisterExtension
  static final KernelFixture kernels = new KernelFixture();

  static Stream<Arguments> formatsAndIsas() {
    return Stream.of(Format.values()).flatMap(f -> Isa.runnable().map(isa -> Arguments.of(f, isa)));
  }

  // batch, rows, cols: rows not multiples of 4 or of any vector width, cols multiples of the 32-value block.
  private static final int[][] SHAPES = {{1, 1, 32}, {1, 5, 64}, {3, 37, 96}, {17, 64, 288}, {2, 301, 768},
      {1, 1031, 4096}};

  @ParameterizedTest
  @MethodSource("formatsAndIsas")
  void nativeMatchesReference(Format format, String isa) {
    RandomTensors random = new RandomTensors(format.seed);
    Isa.with(isa, () -> {
      for (int[] s : SHAPES) {
        LinearWeight w = format.quantize.apply(random.uniform(s[1], s[2]));
        // the shape's own batch, and every kernel path's (decode, prefill past one tile) on the smaller shapes
        int[] batches = s[2] <= 768 ? new int[] {s[0], 1, 3, 17, 70} : new int[] {s[0]};
        // Scalar sums in the reference's order: bit for bit. SIMD sums the int32 block dots in lanes.
        double tol = isa.equals("scalar") ? 0 : 1e-5;
        kernels.check(w, random, batches, tol, isa + " " + format + " matmul " + Arrays.toString(s));
      }
    });
  }

  @ParameterizedTest
  @EnumSource(Format.class)
  void referenceEqualsDenseMatmulOfDequantizedWeights(Format format) {
    RandomTensors random = new RandomTensors(format.seed + 1);
    for (int[] s : SHAPES) {
      LinearWeight w = format.quantize.apply(random.uniform(s[1], s[2]));
      Tensor x = random.uniform(s[0], s[2]);
      Tensor expected = RandomTensors.poisoned(s[0], s[1]);
      Tensor actual = RandomTensors.poisoned(s[0], s[1]);
      kernels.oracle.matmul(expected, x, new DenseF32Weight(w.toDense()), s[0]);
      kernels.oracle.matmul(actual, x, w, s[0]);
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
          assertEquals(expected.getFloat(i), actual.getFloat(i), bound,
              format + " vs dequantized " + Arrays.toString(s));
        }
      }
    }
  }
}
