package org.sparsej.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.sparsej.util.SparsejException;

class TrainingDataTest {
  private static final int[] IDS = IntStream.range(100, 1100).toArray();  // id = 100 + position: windows are legible

  @Test
  void windowsAreBosThenConsecutiveTrainingIds() {
    TrainingData d = new TrainingData(IDS, 1, 17, 5, 60, 42);
    assertEquals(940, d.trainTokens());
    assertArrayEquals(Arrays.copyOfRange(IDS, 940, 1000), d.heldOut());
    for (long step = 0; step < 50; step++) {
      int[][] batch = d.batch(step);
      assertEquals(5, batch.length);
      for (int[] w : batch) {
        assertEquals(18, w.length, "seqLen + 1");
        assertEquals(1, w[0], "BOS first");
        for (int i = 2; i < w.length; i++) {
          assertEquals(w[i - 1] + 1, w[i], "consecutive ids");
        }
        assertTrue(w[w.length - 1] < 100 + 940, "never a held-out id: " + Arrays.toString(w));
      }
    }
  }

  @Test
  void batchesDependOnSeedAndStepOnly() {
    TrainingData a = new TrainingData(IDS, 1, 8, 4, 0, 7);
    TrainingData b = new TrainingData(IDS, 1, 8, 4, 0, 7);
    assertArrayEquals(a.batch(3), b.batch(3));
    assertArrayEquals(a.batch(1000), b.batch(1000), "no hidden state: any order, any step");
    assertFalse(Arrays.deepEquals(a.batch(3), a.batch(4)));
    assertFalse(Arrays.deepEquals(a.batch(3), new TrainingData(IDS, 1, 8, 4, 0, 8).batch(3)));
    // The starts cover the text: with 993 possible starts, 400 windows reach both ends' tenths.
    int min = Integer.MAX_VALUE;
    int max = 0;
    for (long s = 0; s < 100; s++) {
      for (int[] w : a.batch(s)) {
        min = Math.min(min, w[1]);
        max = Math.max(max, w[1]);
      }
    }
    assertTrue(min < 200 && max > 1000, min + ".." + max);
  }

  @Test
  void heldOutIsCappedAtATenth() {
    assertEquals(100, new TrainingData(IDS, 1, 8, 2, 5000, 0).heldOut().length);
  }

  @Test
  void tooLittleDataForOneBatchIsOneClearError() {
    SparsejException e = assertThrows(SparsejException.class, () -> new TrainingData(IDS, 1, 256, 8, 0, 0));
    assertTrue(e.getMessage().startsWith("too little data for one batch"), e.getMessage());
    assertTrue(e.getMessage().contains("8 x 256") && e.getMessage().contains("2048"), e.getMessage());
    assertThrows(SparsejException.class, () -> new TrainingData(new int[10], 1, 10, 1, 0, 0), "seqLen + 1 ids");
  }
}
