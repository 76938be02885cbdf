package org.sparsej.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's API example is the file ReadmeExample.java, and it runs. */
class ReadmeExampleTest {
  @Test
  void readmeShowsTheExampleAndItRuns() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    String source = Files.readString(Path.of("tests/org/sparsej/api/ReadmeExample.java"));
    String body = source.substring(source.indexOf("    try (Model"), source.indexOf("\n  }\n}"));
    for (String line : body.lines().toList()) {
      assertTrue(readme.contains(line.substring(Math.min(4, line.length()))),
          "README lacks the example line: " + line);
    }
    PrintStream old = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      ReadmeExample.main(new String[0]);
    } finally {
      System.setOut(old);
    }
    String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
    assertEquals(4, lines.length, out.toString(StandardCharsets.UTF_8));
    assertTrue(lines[0].startsWith(" to the first time, and to the end of the morning"), lines[0]);
    assertTrue(lines[3].matches("perplexity [0-9]+\\.[0-9]{2}"), lines[3]);
  }
}
