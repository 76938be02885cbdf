package org.sparsej.backend;

import static org.sparsej.testing.TensorAssert.assertClose;

import org.junit.jupiter.api.Test;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.RandomTensors;
import org.sparsej.weights.DenseF32Weight;

/** OpenBLAS sgemv / sgemm on tensors wrapped by address (the opt-in dense F32 path) against the Java oracle. */
class OpenBlasMatmulTest {
  @Test
  void sgemvAndSgemmMatchTheOracle() {
    RandomTensors random = new RandomTensors(31);
    try (JavaBackend oracle = new JavaBackend(1)) {
      for (int[] s : new int[][] {{1, 37, 96}, {9, 37, 96}, {70, 301, 771}}) {
        DenseF32Weight w = new DenseF32Weight(random.uniform(s[1], s[2]));
        Tensor x = random.uniform(s[0], s[2]);
        Tensor expected = RandomTensors.poisoned(s[0], s[1]);
        Tensor actual = RandomTensors.poisoned(s[0], s[1]);
        oracle.matmul(expected, x, w, s[0]);
        OpenBlasMatmul.matmul(OpenBlasMatmul.pointer(actual), OpenBlasMatmul.pointer(x),
            OpenBlasMatmul.pointer(w.values()), s[0], s[1], s[2]);
        assertClose(expected, actual, (long) s[0] * s[1], 1e-4, "openblas batch " + s[0]);
      }
    }
  }
}
