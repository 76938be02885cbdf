package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.testing.ChildJvm;
import org.sparsej.testing.SharedData;

/** `sparsej serve` as its own process: loads, answers `bench serve`, stops cleanly on SIGTERM. */
class ServeCommandTest {
  private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+) ");

  @Test
  void serveAnswersTheLoadGeneratorAndStopsOnSigterm(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("serve.log");
    Process server = new ProcessBuilder(ChildJvm.sparsej("serve", "-m", SharedData.sj7m().toString(), "--port", "0",
        "-t", "1", "--slots", "2")).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      int port = -1;
      for (long end = System.nanoTime() + 60_000_000_000L; System.nanoTime() < end && server.isAlive(); ) {
        String out = Files.readString(log);
        Matcher m = LISTENING.matcher(out);
        if (m.find() && out.contains("\nready:")) {
          port = Integer.parseInt(m.group(1));
          break;
        }
        Thread.sleep(50);
      }
      assertTrue(port > 0, Files.readString(log));

      CliRun bench = CliRun.of("bench", "serve", "--port", Integer.toString(port), "--clients", "1,2",
          "--duration", "120", "--requests", "4", "--max-tokens", "8");
      assertEquals(0, bench.exitCode(), bench.err());
      List<String> rows = bench.out().lines().filter(l -> l.matches("\\| \\d+ \\|.*")).toList();
      assertEquals(2, rows.size(), bench.out());
      for (String row : rows) {
        String[] cells = row.split("\\|");
        assertEquals("4", cells[2].trim(), "requests done: " + row);
        assertEquals("0", cells[3].trim(), "no errors: " + row);
      }
      assertTrue(bench.out().contains("server RSS:"), bench.out());

      server.destroy();  // SIGTERM
      assertTrue(server.waitFor(20, TimeUnit.SECONDS), "the server stops on SIGTERM");
      String out = Files.readString(log);
      assertTrue(out.contains("\nstopping"), out);
      assertTrue(!out.contains("\tat ") && !out.contains("error:"), out);
    } finally {
      server.destroyForcibly();
    }
  }

  @Test
  void badFlagsAreUsageErrors() {
    CliRun port = CliRun.of("serve", "-m", SharedData.sj7m().toString(), "--port", "70000");
    assertEquals(2, port.exitCode(), port.err());
    assertTrue(port.errorLine().contains("--port"), port.err());
    CliRun missing = CliRun.of("serve", "-m", "no-such-model.bin", "--port", "0");
    assertEquals(1, missing.exitCode(), missing.err());
    assertTrue(missing.errorLine().contains("model file not found"), missing.err());
    CliRun noServer = CliRun.of("bench", "serve", "--port", "1", "--duration", "1");
    assertEquals(1, noServer.exitCode(), noServer.err());
    assertTrue(noServer.errorLine().contains("no server on 127.0.0.1:1"), noServer.err());
  }
}
