package org.sparsej.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.sparsej.backend.JavaBackend;
import org.sparsej.tensor.Tensor;

/** The channel ranges the statistics keep beside the Gram matrix, and the ranges-only form. */
class InputStatisticsTest {
  @Test
  void rangesAreTheLargestMagnitudePerChannelOverEveryPath() {
    // 3 tokens x 4 channels; channel 2 is always zero.
    float[] x = {1, -5, 0, 2, -3, 4, 0, -0.5f, 2, 1, 0, 7};
    InputStatistics full = new InputStatistics(4);
    InputStatistics ranges = InputStatistics.rangesOnly(4);
    InputStatistics viaArray = InputStatistics.rangesOnly(4);
    try (JavaBackend b = new JavaBackend(1)) {
      full.add(Tensor.of(x, 3, 4), 3, b);
    }
    ranges.add(Tensor.of(x, 3, 4), 3);
    double[] d = new double[x.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = x[i];
    }
    viaArray.add(d, 3);
    for (InputStatistics s : new InputStatistics[] {full, ranges, viaArray}) {
      assertArrayEquals(new float[] {3, 5, 0, 7}, new float[] {s.absMax(0), s.absMax(1), s.absMax(2), s.absMax(3)});
      assertEquals(7f, s.range());
      assertEquals(3, s.tokens());
    }
    assertEquals(1 + 9 + 4, full.sumOfSquares(0), 1e-9);
    assertFalse(ranges.hasGram());
    assertThrows(IllegalStateException.class, () -> ranges.sumOfSquares(0));
  }
}
