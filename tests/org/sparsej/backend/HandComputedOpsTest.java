package org.sparsej.backend;

import static org.sparsej.testing.TensorAssert.assertValues;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparsej.tensor.Tensor;

/** Small cases worked out by hand, on both backends, so the oracle itself is checked. */
class HandComputedOpsTest {
  static Stream<Backend> backends() {
    return Stream.of(new JavaBackend(1), new CpuBackend(1));
  }

  @ParameterizedTest
  @MethodSource("backends")
  void rmsnorm(Backend backend) {
    // rms([1,2,3,4]) = sqrt(30/4) = 2.738613; out = x / rms * w
    Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 1, 4);
    Tensor w = Tensor.of(new float[] {0.5f, 1, 2, -1}, 4);
    Tensor out = Tensor.of(new float[4], 1, 4).fill(Float.NaN);
    backend.rmsnorm(out, x, w, 1, 4, 0f);
    assertValues(new float[] {0.182574f, 0.730297f, 2.190890f, -1.460593f}, out, 1e-5, backend.name() + " rmsnorm");
  }

  @ParameterizedTest
  @MethodSource("backends")
  void ropeInterleavedAndHalf(Backend backend) {
    // head size 4 at position 1: pair 0 turns by 1 rad, pair 1 by 1/10000^(2/4) = 0.01 rad.
    float c1 = (float) Math.cos(1);
    float s1 = (float) Math.sin(1);
    float c2 = (float) Math.cos(0.01);
    float s2 = (float) Math.sin(0.01);
    Tensor q = Tensor.of(new float[] {1, 0, 0, 1}, 1, 4);
    Tensor k = Tensor.of(new float[] {1, 0, 0, 1}, 1, 4);
    backend.rope(q, k, 1, 1, 1, 1, 4, 10000f, RopeStyle.INTERLEAVED);
    // pairs (0,1) = (1,0) -> (c1, s1); (2,3) = (0,1) -> (-s2, c2)
    assertValues(new float[] {c1, s1, -s2, c2}, q, 1e-6, backend.name() + " rope interleaved");
    Tensor q2 = Tensor.of(new float[] {1, 0, 0, 1}, 1, 4);
    Tensor k2 = Tensor.of(new float[] {1, 0, 0, 1}, 1, 4);
    backend.rope(q2, k2, 1, 1, 1, 1, 4, 10000f, RopeStyle.HALF);
    // pairs (0,2) = (1,0) -> (c1, s1); (1,3) = (0,1) -> (-s2, c2)
    assertValues(new float[] {c1, -s2, s1, c2}, q2, 1e-6, backend.name() + " rope half");
  }

  @ParameterizedTest
  @MethodSource("backends")
  void ropeAtPositionZeroIsIdentity(Backend backend) {
    Tensor q = Tensor.of(new float[] {0.3f, -0.7f, 1.5f, 2f}, 1, 4);
    Tensor k = Tensor.of(new float[] {-1f, 0.25f, 0.5f, 4f}, 1, 4);
    backend.rope(q, k, 1, 0, 1, 1, 4, 10000f, RopeStyle.INTERLEAVED);
    assertValues(new float[] {0.3f, -0.7f, 1.5f, 2f}, q, 0, backend.name() + " rope pos 0");
    assertValues(new float[] {-1f, 0.25f, 0.5f, 4f}, k, 0, backend.name() + " rope pos 0");
  }

  @ParameterizedTest
  @MethodSource("backends")
  void softmax(Backend backend) {
    // e^(x - 3) / sum: [e^-2, e^-1, 1] / 1.503215
    Tensor x = Tensor.of(new float[] {1, 2, 3}, 3);
    backend.softmax(x, 3);
    assertValues(new float[] {0.090031f, 0.244728f, 0.665241f}, x, 1e-6, backend.name() + " softmax");
  }

  @ParameterizedTest
  @MethodSource("backends")
  void attentionOverOnePositionReturnsItsValue(Backend backend) {
    // With a single cached position the softmax weight is 1: the output is that value row.
    Tensor q = Tensor.of(new float[] {0.5f, -2f}, 1, 2);
    Tensor keys = Tensor.of(new float[] {3f, 1f}, 1, 2);
    Tensor values = Tensor.of(new float[] {7f, -3f}, 1, 2);
    Tensor out = Tensor.of(new float[2], 1, 2).fill(Float.NaN);
    backend.attention(out, q, keys, values, 1, 0, 1, 1, 2);
    assertValues(new float[] {7f, -3f}, out, 1e-6, backend.name() + " attention");
  }
}
