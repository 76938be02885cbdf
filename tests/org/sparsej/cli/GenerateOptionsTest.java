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
  void logitsWritesOneJsonLinePerTokenAndTheTextToStandardError() throws Exception {
    CliRun plain = CliRun.of("generate", "-m", MODEL, "-p", "Once upon a time", "-n", "6", "--temp", "0", "-t", "1");
    CliRun run = CliRun.of("generate", "-m", MODEL, "-p", "Once upon a time", "-n", "6", "--temp", "0", "-t", "1",
        "--logits", "3");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.err().contains(plain.out().strip()), run.err());
    String[] lines = run.out().strip().split("\n");
    assertEquals(6, lines.length, run.out());
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    for (int i = 0; i < lines.length; i++) {
      com.fasterxml.jackson.databind.JsonNode n = json.readTree(lines[i]);
      assertEquals(i, n.get("index").asInt());
      assertEquals(3, n.get("top").size());
      // Greedy: the token is the top logit; pairs are [id, logit], largest first.
      assertEquals(n.get("token").asInt(), n.get("top").get(0).get(0).asInt(), lines[i]);
      assertTrue(n.get("top").get(0).get(1).asDouble() >= n.get("top").get(1).get(1).asDouble(), lines[i]);
      assertTrue(lines[i].matches("\\{\"index\":\\d+,\"token\":\\d+,\"top\":\\[(\\[\\d+,-?[0-9.E-]+\\],?){3}\\]\\}"),
          lines[i]);
    }
  }

  @Test
  void badSamplingValuesAreOneLineUsageErrors() {
    String[][] bad = {{"--min-p", "1.5", "--min-p must be in [0, 1]"}, {"--min-p", "-0.1", "--min-p must be"},
        {"--repeat-penalty", "0", "--repeat-penalty must be in 0.01..100.0"},
        {"--repeat-penalty", "-2", "--repeat-penalty must be"},
        {"--repeat-last-n", "-1", "--repeat-last-n must be in 0..65536"},
        {"--logits", "-1", "--logits must be in 1..1000"}, {"--logits", "1001", "--logits must be"}};
    for (String[] b : bad) {
      CliRun r = CliRun.of("generate", "-m", MODEL, "-p", "x", b[0], b[1]);
      assertEquals(2, r.exitCode(), r.err());
      assertTrue(r.errorLine().contains(b[2]), r.err());
    }
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
