package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.sparsej.format.ModelTokenizers;
import org.sparsej.testing.SharedData;
import org.sparsej.tokenizer.Tokenizer;

/** tokenize and detokenize against the tokenizer API, round trips, and bad ids refused with one line. */
class TokenizeCommandTest {
  private static final String MODEL = SharedData.sj7m().toString();
  private static final String TEXT = "Once upon a time,  two cats\u3000met 42 times.";

  @Test
  void idsAreTheTokenizersAndRoundTrip() {
    Tokenizer tok = ModelTokenizers.forModel(SharedData.sj7m(), 4096);
    CliRun run = CliRun.of("tokenize", "-m", MODEL, "--ids", TEXT);
    assertEquals(0, run.exitCode(), run.err());
    int[] ids = Arrays.stream(run.out().trim().split(" ")).mapToInt(Integer::parseInt).toArray();
    assertEquals(Arrays.toString(tok.encode(TEXT, true, false)), Arrays.toString(ids));
    String[] args = new String[ids.length + 3];
    args[0] = "detokenize";
    args[1] = "-m";
    args[2] = MODEL;
    for (int i = 0; i < ids.length; i++) {
      args[i + 3] = Integer.toString(ids[i]);
    }
    CliRun back = CliRun.of(args);
    assertEquals(0, back.exitCode(), back.err());
    assertEquals(TEXT + "\n", back.out());
  }

  @Test
  void piecesOnePerLineWithoutBos() {
    CliRun run = CliRun.of("tokenize", "-m", SharedData.sj7m().getParent().resolve("hf").toString(), "--no-bos",
        "Hello world");
    assertEquals(0, run.exitCode(), run.err());
    String[] lines = run.out().split("\n");
    assertTrue(lines.length >= 2 && lines[0].matches("\\d+\t.*"), run.out());
    assertTrue(!run.out().startsWith("1\t"), "no BOS");
  }

  @Test
  void badIdsAreRefusedWithOneLine() {
    CliRun run = CliRun.of("detokenize", "-m", MODEL, "1", "99999");
    assertEquals(1, run.exitCode());
    assertTrue(run.errorLine().contains("token id 99999 is outside the vocabulary"), run.err());
    CliRun word = CliRun.of("detokenize", "-m", MODEL, "1,x");
    assertTrue(word.errorLine().contains("'x' is not a token id"), word.err());
  }
}
