package org.sparsej.backend;

import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
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
  // Batches (KernelFixture.BATCHES): 1 and 3 fill one group of tokens, 17 and 70 several, and rows of more than
  // 4096 columns split 70 tokens into several blocks (sparse_rows_common.h, token_block). W8A8 rows are expanded
  // for the dense W8A8 kernel at 17 and 70 tokens (bitmask) and at 70 (2:4).
  private static final double[] SPARSITIES = {0.0, 0.5, 0.7, 0.93, 1.0};

  @RegisterExtension
  static final KernelFixture kernels = new KernelFixture();

  static Stream<Arguments> cases() {
    return Isa.runnableWith((Object[]) Precision.values());
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
    kernels.check(w, random, 1e-5, what);
  }
}
