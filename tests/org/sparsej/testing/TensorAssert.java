package org.sparsej.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import org.sparsej.tensor.Tensor;

/** Element-wise comparison with a tolerance relative to each expected value (floored at 1). */
public final class TensorAssert {
  private TensorAssert() {}

  public static void assertClose(Tensor expected, Tensor actual, long count, double relTol, String what) {
    for (long i = 0; i < count; i++) {
      float e = expected.getFloat(i);
      float a = actual.getFloat(i);
      if (Float.isNaN(a)) {
        fail(what + ": element " + i + " was never written (still NaN)");
      }
      assertEquals(e, a, relTol * Math.max(1.0, Math.abs(e)), what + ": element " + i);
    }
  }

  public static void assertValues(float[] expected, Tensor actual, double tol, String what) {
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual.getFloat(i), tol, what + ": element " + i);
    }
  }
}
