package org.sparsej.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.ref.WeakReference;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.RandomTensors;
import org.sparsej.weights.Precision;
import org.sparsej.weights.StoredWeight;

/** A spilled weight reads back as written, and the spill keeps nothing of the weight it was given. */
class SpillFileTest {
  @TempDir Path tmp;

  @Test
  void readsBackWhatWasWrittenAndDoesNotHoldTheOriginal() throws InterruptedException {
    try (SpillFile spill = new SpillFile(tmp)) {
      Tensor values = new RandomTensors(5).uniform(37, 41);
      float[] expected = new float[37 * 41];
      for (int i = 0; i < expected.length; i++) {
        expected[i] = values.getFloat(i);
      }
      WeakReference<Tensor> original = new WeakReference<>(values);
      LinearSource source = spill.put(StoredWeight.dense(values, null, 0, Precision.F32));
      values = null;
      // The streamed compressions spill a block and drop it: the source must not keep it reachable (it did, through
      // its read-back lambda, until a 7B-shaped run ran out of direct memory).
      for (int i = 0; i < 20 && original.get() != null; i++) {
        System.gc();
        Thread.sleep(10);
      }
      assertNull(original.get(), "the spilled weight's values are still reachable");
      StoredWeight back = source.load().get();
      assertEquals(37, back.rows());
      assertEquals(41, back.cols());
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], back.values().getFloat(i), "value " + i);
      }
    }
  }
}
