package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.sparsej.testing.SharedData;

/** sparsej bench engine: a tiny run prints one table row per sequence count; bad numbers are one error line. */
class BenchEngineCommandTest {
  private static final String MODEL = SharedData.sj7m().toString();

  @Test
  void tinyRunPrintsTheTable() {
    CliRun run = CliRun.of("bench", "engine", "-m", MODEL, "--backend", "cpu", "-t", "1", "--sequences", "1,3",
        "--prompt-tokens", "4", "--decode-tokens", "3", "--warmup", "0.3");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().matches("(?s).*after [1-9][0-9]* untimed warm-up run\\(s\\) in [0-9.]+ s \\(--warmup 0.3\\).*"),
        run.out());
    assertTrue(run.out().contains("| sequences | decode tok/s |"), run.out());
    assertTrue(run.out().contains("\n| 1 | "), run.out());
    assertTrue(run.out().contains("\n| 3 | "), run.out());
  }

  @Test
  void badNumbersAreOneErrorLine() {
    CliRun run = CliRun.of("bench", "engine", "-m", MODEL, "--decode-tokens", "1");
    assertEquals(2, run.exitCode());
    assertTrue(run.err().contains("--decode-tokens"), run.err());
    CliRun warmup = CliRun.of("bench", "engine", "-m", MODEL, "--warmup", "NaN");
    assertEquals(2, warmup.exitCode());
    assertTrue(warmup.err().contains("--warmup must be between 0 and 3600 seconds"), warmup.err());
    CliRun tooLong = CliRun.of("bench", "engine", "-m", MODEL, "--backend", "cpu", "--prompt-tokens", "250",
        "--decode-tokens", "10");
    assertEquals(1, tooLong.exitCode(), tooLong.err());
    assertTrue(tooLong.err().startsWith("error: "), tooLong.err());
    assertFalse(tooLong.err().contains("\tat "), tooLong.err());
  }
}
