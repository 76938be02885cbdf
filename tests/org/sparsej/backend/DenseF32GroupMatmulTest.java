package org.sparsej.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparsej.nativeops.SparsejNative;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.Isa;
import org.sparsej.testing.RandomTensors;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.WeightFormat;

/**
 * Dense F32 weights of one input run as one native job (sj_matmul_f32_group). Each output must equal its weight's
 * own matmul bit for bit, whatever the group and the thread count: the rows are dealt out in the blocks of four
 * the single matmul uses. Odd row counts (1, 5, 13: blocks cut short) and sj-7m's q, k, v shapes; batches 1 (decode)
 * to 70; outputs poisoned with NaN.
 */
class DenseF32GroupMatmulTest {
  @RegisterExtension
  static final KernelFixture kernels = new KernelFixture();

  @ParameterizedTest(name = "{0}")
  @MethodSource("org.sparsej.testing.Isa#runnable")
  void aGroupEqualsItsMatmulsOneByOne(String isa) {
    RandomTensors random = new RandomTensors(31);
    int[][] groups = {{288, 96, 96}, {768, 768}, {1, 5, 13}, {4, 3}, {1031, 7, 260, 1}};
    int[] colsOf = {288, 288, 37, 1, 130};
    int threads = SparsejNative.sj_get_threads();
    try {
      Isa.with(isa, () -> {
        for (int t : new int[] {1, 2, 3}) {
          SparsejNative.sj_set_threads(t);
          for (int g = 0; g < groups.length; g++) {
            int cols = colsOf[g];
            LinearWeight[] ws = new LinearWeight[groups[g].length];
            for (int i = 0; i < ws.length; i++) {
              ws[i] = WeightFormat.DENSE_F32.fromDense(random.uniform(groups[g][i], cols), null);
            }
            for (int batch : KernelFixture.BATCHES) {
              Tensor x = random.uniform(batch, cols);
              Tensor[] outs = new Tensor[ws.length];
              for (int i = 0; i < ws.length; i++) {
                outs[i] = RandomTensors.poisoned(batch, ws[i].rows());
              }
              kernels.cpu.matmulGroup(outs, x, ws, batch);
              for (int i = 0; i < ws.length; i++) {
                String what = isa + " " + t + " threads, group " + g + " weight " + i + " batch " + batch;
                Tensor alone = RandomTensors.poisoned(batch, ws[i].rows());
                kernels.cpu.matmul(alone, x, ws[i], batch);
                float[] got = outs[i].toFloatArray();
                for (float v : got) {
                  assertFalse(Float.isNaN(v), what + ": an output never written");
                }
                assertArrayEquals(alone.toFloatArray(), got, what);
              }
              // And the group against the Java oracle, as every native matmul is.
              Tensor expected = RandomTensors.poisoned(batch, ws[0].rows());
              kernels.oracle.matmul(expected, x, ws[0], batch);
              org.sparsej.testing.TensorAssert.assertClose(expected, outs[0], (long) batch * ws[0].rows(), 1e-4,
                  isa + " group " + g + " batch " + batch + " against the oracle");
            }
          }
        }
      });
    } finally {
      SparsejNative.sj_set_threads(threads);
    }
  }

  /** Weights of different input lengths in one group (allowed by the matmul's checks) leave the one-job path. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("org.sparsej.testing.Isa#runnable")
  void weightsOfDifferentInputLengthsEachReadTheirOwn(String isa) {
    RandomTensors random = new RandomTensors(37);
    Isa.with(isa, () -> {
      LinearWeight[] ws = {WeightFormat.DENSE_F32.fromDense(random.uniform(9, 64), null),
          WeightFormat.DENSE_F32.fromDense(random.uniform(6, 40), null)};
      Tensor x = random.uniform(1, 64);
      Tensor[] outs = {RandomTensors.poisoned(1, 9), RandomTensors.poisoned(1, 6)};
      kernels.cpu.matmulGroup(outs, x, ws, 1);
      for (int i = 0; i < ws.length; i++) {
        Tensor alone = RandomTensors.poisoned(1, ws[i].rows());
        kernels.oracle.matmul(alone, x, ws[i], 1);
        org.sparsej.testing.TensorAssert.assertClose(alone, outs[i], ws[i].rows(), 1e-5, isa + " weight " + i);
      }
    });
  }
}
