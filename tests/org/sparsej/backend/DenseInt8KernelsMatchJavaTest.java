package org.sparsej.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.Isa;
import org.sparsej.testing.RandomTensors;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.SparsityMasks;
import org.sparsej.weights.WeightFormat;

/**
 * The dense int8 native kernels (W8A16, W8A8; decode and prefill) on every ISA this CPU runs against the Java
 * oracle: odd sizes around every vector width (8, 16, 32, 64 columns per step, two steps unrolled), all-zero rows
 * (scale 0), batches 1, 3, 17 and 70, outputs poisoned with NaN. W8A8 sums are exact and the final expression is
 * the oracle's, so W8A8 must match bit for bit.
 */
class DenseInt8KernelsMatchJavaTest {
  @RegisterExtension
  static final KernelFixture kernels = new KernelFixture();

  static Stream<Arguments> cases() {
    return Isa.runnableWith(WeightFormat.DENSE_W8A16, WeightFormat.DENSE_W8A8);
  }

  /** Random weights with rows 0 and every 7th from row 3 all zero. */
  private static Tensor weights(RandomTensors random, int rows, int cols) {
    Tensor w = random.uniform(rows, cols);
    for (int r = 0; r < rows; r += r == 0 ? 3 : 7) {
      for (int c = 0; c < cols; c++) {
        w.setFloat((long) r * cols + c, 0f);
      }
    }
    return w;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void nativeMatchesOracle(String isa, WeightFormat format) {
    RandomTensors random = new RandomTensors(21);
    int[][] shapes = {{1, 1}, {5, 7}, {3, 8}, {37, 33}, {4, 64}, {6, 127}, {64, 128}, {33, 259}, {130, 1031},
        {9, 4133}, {2, 4096}};
    double tol = format == WeightFormat.DENSE_W8A8 ? 0 : 1e-5;
    Isa.with(isa, () -> {
      for (int[] s : shapes) {
        LinearWeight w = format.fromDense(weights(random, s[0], s[1]), null);
        kernels.check(w, random, tol, isa + " " + format.id() + " " + s[0] + "x" + s[1]);
      }
    });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("org.sparsej.testing.Isa#runnable")
  void aGroupQuantizesItsInputOnceAndMatchesSeparateMatmuls(String isa) {
    RandomTensors random = new RandomTensors(22);
    int cols = 96;
    Tensor dense = random.uniform(40, cols);
    LinearWeight[] group = {WeightFormat.DENSE_W8A8.fromDense(dense, null),
        WeightFormat.SPARSE_BITMASK_W8A8.fromDense(random.uniform(24, cols), SparsityMasks.random(24, cols, 0.6, 3)),
        WeightFormat.DENSE_F32.fromDense(random.uniform(8, cols), null),
        WeightFormat.SPARSE_24_W8A8.fromDense(dense, SparsityMasks.twoFour(dense))};
    Isa.with(isa, () -> {
      for (int batch : KernelFixture.BATCHES) {
        Tensor x = random.uniform(batch, cols);
        Tensor[] outs = new Tensor[group.length];
        for (int i = 0; i < group.length; i++) {
          outs[i] = RandomTensors.poisoned(batch, group[i].rows());
        }
        long before = QuantizedActivations.quantizations();
        kernels.cpu.matmulGroup(outs, x, group, batch);
        assertEquals(1, QuantizedActivations.quantizations() - before, "one quantization for three W8A8 weights");
        for (int i = 0; i < group.length; i++) {
          Tensor alone = RandomTensors.poisoned(batch, group[i].rows());
          kernels.cpu.matmul(alone, x, group[i], batch);
          assertArrayEquals(alone.toFloatArray(), outs[i].toFloatArray(), isa + " weight " + i + " batch " + batch);
        }
      }
    });
  }

  @Test
  void w8a8OfAnAllZeroInputIsZeroNotNaN() {
    LinearWeight w = WeightFormat.DENSE_W8A8.fromDense(new RandomTensors(23).uniform(9, 70), null);
    Tensor x = Tensor.allocate(org.sparsej.tensor.DType.F32, 2, 70);
    Tensor out = RandomTensors.poisoned(2, 9);
    kernels.cpu.matmul(out, x, w, 2);
    assertArrayEquals(new float[18], out.toFloatArray());
  }
}
