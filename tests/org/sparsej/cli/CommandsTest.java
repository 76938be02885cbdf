package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.testing.SharedData;

/** The commands a user runs, end to end in-process. */
class CommandsTest {
  private static final String MODEL = SharedData.sj7m().toString();

  @Test
  void greedyGenerationPrintsTheReferenceContinuation() {
    CliRun run = CliRun.of("generate", "-m", MODEL, "-p", "Once upon a time", "-n", "20", "--temp", "0",
        "--backend", "cpu");
    assertEquals(0, run.exitCode(), run.err());
    // First words of the reference greedy text in ../shared/reference/sj-7m-greedy.json.
    assertTrue(run.out().startsWith("Once upon a time to the first time, and to the end of the morning"), run.out());
    assertTrue(run.err().contains("prefill:") && run.err().contains("decode:"), run.err());
  }

  @Test
  void sameSeedSameText() {
    String[] args = {"generate", "-m", MODEL, "-p", "In the beginning", "-n", "24", "--temp", "1.0", "-s", "7",
        "--backend", "java"};
    CliRun first = CliRun.of(args);
    CliRun second = CliRun.of(args);
    assertEquals(0, first.exitCode(), first.err());
    assertEquals(first.out(), second.out());
  }

  @Test
  void helpExplainsEveryCommand() {
    for (String command : new String[] {"generate", "bench", "synth", "info"}) {
      CliRun run = CliRun.of(command, "--help");
      assertEquals(0, run.exitCode());
      assertTrue(run.out().contains("Usage: sparsej " + command), run.out());
    }
  }

  @Test
  void infoListsBackendsAndIsa() {
    CliRun run = CliRun.of("info");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("cpu   available"), run.out());
    assertTrue(run.out().contains("kernels:"), run.out());
  }

  @Test
  void synthWritesALoadableModelOfTheAskedShape(@TempDir Path dir) {
    Path out = dir.resolve("small.bin");
    CliRun run = CliRun.of("synth", "--shape", "dim=64,hidden=160,layers=2,heads=4,kv_heads=2,vocab=300,seq=32",
        "-o", out.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.err().contains("RANDOM"), run.err());
    LlamaModel model = ModelLoader.load(out);
    assertEquals(64, model.config().dim());
    assertEquals(2, model.config().nKvHeads());
    assertEquals(300, model.config().vocabSize());
    CliRun bench = CliRun.of("bench", "-m", out.toString(), "--prompt-tokens", "8", "--decode-tokens", "8",
        "--repeat", "1", "--bandwidth-mb", "16", "--warmup", "0.2");
    assertEquals(0, bench.exitCode(), bench.err());
    assertTrue(bench.out().contains("decode:"), bench.out());
    // Warm-up is by time, at least one repetition, and stated.
    assertTrue(bench.out().matches("(?s).*run: +[1-9][0-9]* untimed warm-up repetition\\(s\\) in [0-9.]+ s "
        + "\\(--warmup 0.2.*"), bench.out());
    // The first prefill (pages mapped weights in) is measured, not left NaN as when no warm-up ran.
    assertTrue(bench.out().matches("(?s).*load: +[0-9.]+ s to load, [0-9.]+ s the first prefill.*"), bench.out());
  }
}
