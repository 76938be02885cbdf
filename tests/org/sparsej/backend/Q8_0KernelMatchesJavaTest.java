package org.sparsej.backend;

import org.junit.jupiter.api.Test;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.TensorAssert;
import org.sparsej.weights.Q8_0Weight;

/** Q8_0's rounding on a hand-made block; the kernels against the Java reference: BlockQuantKernelsMatchJavaTest. */
class Q8_0KernelMatchesJavaTest {
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
