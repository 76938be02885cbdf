package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.testing.SharedData;

/** generate's prompt file, --stop and --top-k, greedy so the text is fixed. */
class GenerateOptionsTest {
  private static final String MODEL = SharedData.sj7m().toString();

  @Test
  void promptFileGivesTheSameTextAsTheFlag(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("prompt.txt");
    Files.writeString(f, "Once upon a time");
    CliRun flag = CliRun.of("generate", "-m", MODEL, "-p", "Once upon a time", "-n", "12", "--temp", "0", "-t", "1");
    CliRun file = CliRun.of("generate", "-m", MODEL, "-f", f.toString(), "-n", "12", "--temp", "0", "-t", "1");
    assertEquals(0, file.exitCode(), file.err());
    assertEquals(flag.out(), file.out());
  }

  @Test
  void stopEndsTheTextBeforeTheString() {
    CliRun full = CliRun.of("generate", "-m", MODEL, "-p", "Once upon a time", "-n", "24", "--temp", "0", "-t", "1");
    String continuation = full.out().substring("Once upon a time".length()).strip();
    String word = continuation.split("\\s+")[3];  // a word well inside the greedy text
    CliRun stopped = CliRun.of("generate", "-m", MODEL, "-p", "Once upon a time", "-n", "24", "--temp", "0", "-t",
        "1", "--stop", "no such text", "--stop", word);
    assertEquals(0, stopped.exitCode(), stopped.err());
    assertFalse(stopped.out().substring("Once upon a time".length()).contains(word), stopped.out());
    assertTrue(full.out().startsWith(stopped.out().stripTrailing()), stopped.out() + " / " + full.out());
  }

  @Test
  void badPromptOptionsAreUsageErrors() {
    CliRun both = CliRun.of("generate", "-m", MODEL, "-p", "x", "-f", "y.txt");
    assertEquals(2, both.exitCode());
    assertTrue(both.errorLine().contains("not both"), both.err());
    CliRun k = CliRun.of("generate", "-m", MODEL, "--top-k", "-3");
    assertEquals(2, k.exitCode());
    assertTrue(k.errorLine().contains("--top-k must be >= 0"), k.err());
    CliRun missing = CliRun.of("generate", "-m", MODEL, "-f", "/nonexistent/prompt.txt");
    assertEquals(1, missing.exitCode());
    assertTrue(missing.errorLine().contains("prompt file not found"), missing.err());
  }
}
