package org.sparsej.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparsej.util.SparsejException;

class CalibrationTest {
  @Test
  void drawsMatchCPythonsRandom() {
    // python3 -c "import random; random.seed(0); print([random.randint(0, 1000) for _ in range(5)])"
    PythonRandom small = new PythonRandom(0);
    int[] got = new int[5];
    for (int i = 0; i < 5; i++) {
      got[i] = small.randint(0, 1000);
    }
    assertArrayEquals(new int[] {864, 394, 776, 911, 430}, got);
    // random.seed(0); [random.randint(0, 2000000 - 256 - 1) for _ in range(5)]
    PythonRandom large = new PythonRandom(0);
    for (int i = 0; i < 5; i++) {
      got[i] = large.randint(0, 2000000 - 256 - 1);
    }
    assertArrayEquals(new int[] {1770880, 807917, 1589545, 1866976, 882002}, got);
  }

  @Test
  void samplesAreWindowsOfTheStreamAtTheDrawnOffsets() {
    int[] ids = new int[1000];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = i;
    }
    List<int[]> samples = Calibration.sample(ids, 3, 10, 0, line -> { });
    PythonRandom random = new PythonRandom(0);
    for (int[] s : samples) {
      int start = random.randint(0, 1000 - 10 - 1);
      assertEquals(10, s.length);
      assertEquals(start, s[0]);
      assertEquals(start + 9, s[9]);
    }
  }

  @Test
  void shortTextIsSaidAndUsedAsFarAsItGoes() {
    List<String> warnings = new ArrayList<>();
    List<int[]> samples = Calibration.sample(new int[55], 8, 10, 0, warnings::add);
    assertEquals(5, samples.size());
    assertEquals(1, warnings.size());
    assertTrue(warnings.get(0).contains("only 55 tokens"), warnings.get(0));
  }

  @Test
  void textShorterThanOneSampleStops() {
    SparsejException e = assertThrows(SparsejException.class,
        () -> Calibration.sample(new int[8], 4, 10, 0, line -> { }));
    assertTrue(e.getMessage().contains("8 tokens"), e.getMessage());
  }
}
