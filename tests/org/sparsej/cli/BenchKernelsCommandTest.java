package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `sparsej bench kernels`: its help, a tiny sweep end to end (table, markdown, CSV, plot), and bad options. */
class BenchKernelsCommandTest {
  @Test
  void helpExplainsTheOptions() {
    CliRun help = CliRun.of("bench", "kernels", "--help");
    assertEquals(0, help.exitCode(), help.err());
    for (String option : new String[] {"--shapes", "--sparsities", "--batches", "--kernels", "--threads",
        "--budget-ms", "--quick", "--plot"}) {
      assertTrue(help.out().contains(option), option + " missing from:\n" + help.out());
    }
  }

  @Test
  void tinySweepWritesTableMarkdownCsvAndPlot(@TempDir Path dir) throws Exception {
    Path md = dir.resolve("k.md");
    Path csv = dir.resolve("k.csv");
    Path png = dir.resolve("k.png");
    CliRun run = CliRun.of("bench", "kernels", "--shapes", "96x200", "--sparsities", "0,70", "--batches", "1,5",
        "-t", "1", "--kernels", "bitmask-f32,sparse-bitmask-w8a8,2:4-i8,dense-w8a8", "--budget-ms", "1",
        "--min-iterations", "1",
        "--bandwidth-mb", "64", "--markdown", md.toString(), "--csv", csv.toString(), "--plot", png.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("read bandwidth, 1 thread:"), run.out());  // -t after the subcommand: 1 thread
    assertTrue(run.out().contains("cache eviction: a "), run.out());
    // openblas + dense w8a8 + 2 bitmask kernels x 2 sparsities + 2:4 (not run: 50% is not swept), at 2 batches.
    assertEquals(1 + 1 + 2 * 2, csv(csv) / 2, Files.readString(csv));
    assertTrue(Files.readString(md).contains("| sparse-bitmask-w8a8 | 70% |"), Files.readString(md));
    assertTrue(Files.readString(md).contains("| dense-w8a8 | 0% |"), Files.readString(md));
    assertTrue(Files.size(png) > 1000);
  }

  private static long csv(Path csv) throws Exception {
    return Files.readAllLines(csv).size() - 1;
  }

  @Test
  void unknownKernelIsOneErrorLine() {
    CliRun run = CliRun.of("bench", "kernels", "--kernels", "dense-w4a4");
    assertEquals(1, run.exitCode());
    assertTrue(run.errorLine().contains("'dense-w4a4'") && run.errorLine().contains("dense-w8a8"), run.err());
  }

  @Test
  void badShapeIsOneErrorLine() {
    CliRun run = CliRun.of("bench", "kernels", "--shapes", "12by4");
    assertEquals(1, run.exitCode());
    assertTrue(run.errorLine().contains("'12by4'"), run.err());
  }
}
