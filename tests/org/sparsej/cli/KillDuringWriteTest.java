package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.testing.ChildJvm;
import org.sparsej.testing.SharedData;

/**
 * kill -9 of a child JVM at random moments while it writes a model: the output is afterwards absent, or the
 * complete previous or new model, never a half-written one; the next write cleans up what the killed run left.
 * Keeps to ~20 s: few kills, small models.
 */
class KillDuringWriteTest {
  private static final String SHAPE = "dim=128,hidden=384,layers=4,heads=4,kv_heads=2,vocab=20000,seq=64";

  @TempDir Path tmp;

  private static Process child(String... args) throws IOException {
    return new ProcessBuilder(ChildJvm.sparsej(args)).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
  }

  /** Runs the command in a child JVM and kills it (SIGKILL) after a random delay, unless it finished first. */
  private static void runAndKill(SplittableRandom random, String... args) throws Exception {
    Process p = child(args);
    if (!p.waitFor(random.nextLong(150, 2000), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      p.waitFor();
    }
  }

  private static List<String> files(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }

  private static void assertSameTree(Path expected, Path actual) throws IOException {
    assertEquals(files(expected), files(actual), actual.toString());
    for (String f : files(expected)) {
      assertEquals(-1L, Files.mismatch(expected.resolve(f), actual.resolve(f)), actual + "/" + f + " differs");
    }
  }

  private List<String> leftovers(String name) throws IOException {
    try (Stream<Path> s = Files.list(tmp)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("." + name + ".sparsej-")).toList();
    }
  }

  @Test
  void aKilledSynthLeavesNoFileOrAWholeOne() throws Exception {
    long seed = System.nanoTime();
    SplittableRandom random = new SplittableRandom(seed);
    Path ref = tmp.resolve("ref.bin");
    assertEquals(0, CliRun.of("synth", "--shape", SHAPE, "-o", ref.toString()).exitCode());
    Path out = tmp.resolve("out.bin");
    for (int i = 0; i < 5; i++) {
      runAndKill(random, "synth", "--shape", SHAPE, "-o", out.toString(), "--force");
      if (Files.exists(out)) {
        assertEquals(-1L, Files.mismatch(ref, out), "half-written out.bin after a kill (seed " + seed + ")");
      }
    }
    CliRun last = CliRun.of("synth", "--shape", SHAPE, "-o", out.toString(), "--force");
    assertEquals(0, last.exitCode(), last.err());
    assertEquals(-1L, Files.mismatch(ref, out));
    assertEquals(List.of(), leftovers("out.bin"), "debris of killed runs (seed " + seed + ")");
  }

  @Test
  void aKilledDirectoryReplacementAlwaysLeavesAWholeModel() throws Exception {
    long seed = System.nanoTime();
    SplittableRandom random = new SplittableRandom(seed);
    String model = SharedData.sj7m().toString();
    Path ref = tmp.resolve("ref");
    assertEquals(0, CliRun.of("convert", "-m", model, "--to", "hf", "-o", ref.toString()).exitCode());
    Path out = tmp.resolve("out");
    assertEquals(0, CliRun.of("convert", "-m", model, "--to", "hf", "-o", out.toString()).exitCode());
    for (int i = 0; i < 5; i++) {
      runAndKill(random, "convert", "-m", model, "--to", "hf", "-o", out.toString(), "--force");
      if (Files.exists(out)) {
        assertSameTree(ref, out);
      } else {
        // Killed between its two renames: the complete old model is hidden beside it, and comes back next time.
        List<String> old = leftovers("out").stream().filter(n -> n.contains(".sparsej-old-")).toList();
        assertEquals(1, old.size(), "no model left after a kill (seed " + seed + "): " + leftovers("out"));
        assertSameTree(ref, tmp.resolve(old.get(0)));
      }
    }
    CliRun last = CliRun.of("convert", "-m", model, "--to", "hf", "-o", out.toString(), "--force");
    assertEquals(0, last.exitCode(), last.err());
    assertSameTree(ref, out);
    assertEquals(List.of(), leftovers("out"), "debris of killed runs (seed " + seed + ")");
  }
}
