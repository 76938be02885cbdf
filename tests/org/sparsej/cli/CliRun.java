package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs the CLI in-process and captures its exit code, stdout and stderr. */
record CliRun(int exitCode, String out, String err) {
  static CliRun of(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = Main.run(args);
      return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  /**
   * Asserts a clean failure: this exit code, one {@code error:} line naming every fragment, no stack trace and no
   * "internal error" (a cause the user can act on).
   */
  void assertFails(int expectedExit, String... fragments) {
    assertEquals(expectedExit, exitCode, "exit code; stderr:\n" + err);
    String line = errorLine();
    for (String f : fragments) {
      assertTrue(line.contains(f), "'" + line + "' should mention '" + f + "'");
    }
    assertFalse(err.contains("\tat "), "stack trace printed:\n" + err);
    assertFalse(line.contains("internal error"), line);
  }

  /** The error lines (those starting with "error:"), which must be exactly one. */
  String errorLine() {
    return err.lines().filter(l -> l.startsWith("error:")).reduce((a, b) -> {
      throw new AssertionError("more than one error line:\n" + err);
    }).orElseThrow(() -> new AssertionError("no error line in stderr:\n" + err));
  }
}
