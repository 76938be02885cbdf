package org.sparsej.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.util.SparsejException;

class CheckpointTest {
  @TempDir Path tmp;

  private static List<Parameter> model(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] w = new float[5 * 7];
    for (int i = 0; i < w.length; i++) {
      w[i] = i % 2 == 0 ? 0f : (float) r.nextGaussian();
    }
    int[] kept = java.util.stream.IntStream.range(0, w.length).filter(i -> i % 2 == 1).toArray();
    float[] g = new float[3];
    for (int i = 0; i < 3; i++) {
      g[i] = (float) r.nextGaussian();
    }
    return List.of(new Parameter("layers.0.w", new int[] {5, 7}, w, kept, true),
        new Parameter("norm", new int[] {3}, g, null, false));
  }

  private static void randomGradientsAndStep(List<Parameter> ps, AdamW adam, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    for (Parameter p : ps) {
      for (int i = 0; i < p.size(); i++) {
        p.grad()[i] = (float) r.nextGaussian();
      }
    }
    adam.step(0.01f);
  }

  @Test
  void savedStateResumesBitForBit() {
    List<Parameter> a = model(1);
    AdamW adamA = new AdamW(a, AdamW.Settings.defaults());
    randomGradientsAndStep(a, adamA, 10);
    randomGradientsAndStep(a, adamA, 11);
    Path dir = tmp.resolve("ck");
    Checkpoint.save(dir, a, adamA, new Checkpoint.State(2, 12.5, Map.of("batch", "8"), "step\n1\n"));
    Checkpoint.save(dir, a, adamA, new Checkpoint.State(2, 12.5, Map.of("batch", "8"), "step\n1\n"));  // replaces

    List<Parameter> b = model(99);  // other values, same structure
    AdamW adamB = new AdamW(b, AdamW.Settings.defaults());
    Checkpoint.State s = Checkpoint.load(dir, b, adamB);
    assertEquals(2, s.step());
    assertEquals(12.5, s.elapsedSeconds());
    assertEquals(Map.of("batch", "8"), s.options());
    assertEquals("step\n1\n", s.csv());
    assertEquals(2, adamB.steps());
    randomGradientsAndStep(a, adamA, 12);
    randomGradientsAndStep(b, adamB, 12);
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(a.get(i).value(), b.get(i).value(), 0f, "moments and step restored: same next update");
    }
  }

  @Test
  void anotherModelOrADamagedFileIsOneClearError() throws Exception {
    List<Parameter> a = model(1);
    AdamW adam = new AdamW(a, AdamW.Settings.defaults());
    Path dir = tmp.resolve("ck");
    Checkpoint.save(dir, a, adam, new Checkpoint.State(0, 0, Map.of(), ""));
    List<Parameter> other = List.of(new Parameter("layers.0.w", new int[] {5, 7}, new float[35], null, true),
        a.get(1));
    SparsejException e = assertThrows(SparsejException.class,
        () -> Checkpoint.load(dir, other, new AdamW(other, AdamW.Settings.defaults())));
    assertTrue(e.getMessage().contains("another model or mask"), e.getMessage());

    Path bin = dir.resolve("parameters.bin");
    long size = Files.size(bin);
    try (var ch = java.nio.channels.FileChannel.open(bin, StandardOpenOption.WRITE)) {
      ch.truncate(size - 5);
    }
    e = assertThrows(SparsejException.class, () -> Checkpoint.load(dir, a, adam));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    e = assertThrows(SparsejException.class, () -> Checkpoint.load(tmp.resolve("none"), a, adam));
    assertTrue(e.getMessage().contains("not a checkpoint"), e.getMessage());
  }
}
