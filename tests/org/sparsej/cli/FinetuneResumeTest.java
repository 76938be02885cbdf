package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.testing.ChildJvm;

/**
 * kill -9 of a child JVM in the middle of a fine-tuning run (between steps or while a checkpoint is written),
 * then --resume: the checkpoint left is whole, the run continues from it (losing at most --checkpoint-every
 * steps) to the end, and its log has every step exactly once.
 */
class FinetuneResumeTest {
  @TempDir static Path shared;
  @TempDir Path dir;

  @BeforeAll
  static void student() throws Exception {
    FinetuneCommandTest.prepare(shared);
  }

  private static long checkpointStep(Path ck) throws Exception {
    Path state = ck.resolve("state.json");
    if (!Files.exists(state)) {
      return -1;
    }
    Matcher m = Pattern.compile("\"step\" : (\\d+)").matcher(Files.readString(state));
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  @Test
  void aKilledRunResumesFromItsLastCheckpoint() throws Exception {
    long seed = System.nanoTime();
    SplittableRandom random = new SplittableRandom(seed);
    Path out = dir.resolve("out");
    Path ck = dir.resolve("out.checkpoint");
    List<String> args = FinetuneCommandTest.finetune(FinetuneCommandTest.student, out, "--steps", "8",
        "--checkpoint-every", "2", "--loss", "ce");
    Process p = new ProcessBuilder(ChildJvm.sparsej(args)).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (checkpointStep(ck) < 2 && p.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    Thread.sleep(random.nextLong(0, 600));  // between steps, or in a checkpoint's write
    p.destroyForcibly();
    p.waitFor();
    assertTrue(Files.exists(ck.resolve("state.json")), "no checkpoint after the kill (seed " + seed + ")");
    long at = checkpointStep(ck);

    List<String> again = new ArrayList<>(args);
    again.addAll(List.of("--resume", ck.toString()));
    CliRun r = FinetuneCommandTest.run(again);
    assertEquals(0, r.exitCode(), "seed " + seed + ":\n" + r.err());
    assertTrue(r.err().contains("resumed " + ck + " at step " + at), r.err());
    List<String> steps = Files.readAllLines(out.resolve("finetune.csv")).stream().skip(1)
        .map(l -> l.substring(0, l.indexOf(','))).toList();
    List<String> expected = new ArrayList<>();
    for (int s = 0; s <= 8; s++) {
      expected.add(Integer.toString(s));
    }
    assertEquals(expected, steps, "every step once (seed " + seed + ")");
    assertEquals(List.of(), FinetuneCommandTest.debris(dir), "seed " + seed);
  }
}
