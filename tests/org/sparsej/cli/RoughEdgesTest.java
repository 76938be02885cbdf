package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.testing.SharedData;
import picocli.CommandLine;

/** The rough edges of issue 12, one test each: a clear one-line error (or the right behaviour), no stack trace. */
class RoughEdgesTest {
  private static final String MODEL = SharedData.sj7m().toString();

  @TempDir Path tmp;

  private static void assertFailsWith(CliRun run, int exitCode, String... fragments) {
    run.assertFails(exitCode, fragments);
    assertEquals(1, run.err().lines().count(), "one line only:\n" + run.err());
  }

  @Test
  void absurdThreadCountIsBoundedNotAttempted() {
    assertFailsWith(CliRun.of("generate", "-m", MODEL, "-p", "hi", "-n", "2", "-t", "100000"), 2,
        "--threads must be at most", "got 100000", "sparsej generate --help");
    assertFailsWith(CliRun.of("bench", "kernels", "--threads", "1,100000"), 1, "--threads must be at most");
    assertFailsWith(CliRun.of("bench", "-m", MODEL, "--warmup", "-1"), 2, "--warmup must be between 0 and 3600");
  }

  @Test
  void zeroThreadsNamesTheCommandNotMainClass() {
    CliRun run = CliRun.of("generate", "-m", MODEL, "-p", "hi", "-n", "2", "-t", "0");
    assertFailsWith(run, 2, "--threads must be at least 1, got 0", "(see 'sparsej generate --help')");
    assertFalse(run.err().contains("<main class>"), run.err());
  }

  @Test
  void everyCommandsOwnUsageErrorNamesTheCommand() {
    CliRun run = CliRun.of("convert", "-m", MODEL, "-o", tmp.resolve("x").toString(), "--to", "onnx");
    assertFailsWith(run, 2, "--to must be hf or gguf", "(see 'sparsej convert --help')");
  }

  @Test
  void skipErrorIsOneLine() {
    assertFailsWith(CliRun.of("prune", "-m", MODEL, "--method", "magnitude", "--skip", "layers.99", "-o",
        tmp.resolve("p").toString()), 2, "--skip 'layers.99' names no linear", "(see 'sparsej prune --help')");
  }

  @Test
  void patternZeroZeroIsRefusedNotSilentlyUnstructured() {
    assertFailsWith(CliRun.of("prune", "-m", MODEL, "--method", "magnitude", "--pattern", "0:0", "-o",
        tmp.resolve("p").toString()), 2, "invalid n:m pattern 0:0");
    assertFalse(Files.exists(tmp.resolve("p")));
  }

  @Test
  void pruneRefusesAnUnwritableOutputBeforePruning() {
    CliRun run = CliRun.of("prune", "-m", MODEL, "--method", "magnitude", "-o",
        tmp.resolve("missing/p").toString());
    assertFailsWith(run, 1, "does not exist");
    assertFalse(run.err().contains("pruning:"), "pruned before checking the output:\n" + run.err());
  }

  @Test
  void synthDoesNotOverwriteWithoutForce() throws IOException {
    Path out = tmp.resolve("m.bin");
    Files.writeString(out, "precious");
    String shape = "dim=8,hidden=16,layers=1,heads=2,kv_heads=2,vocab=16,seq=8";
    assertFailsWith(CliRun.of("synth", "--shape", shape, "-o", out.toString()), 1, "m.bin", "already exists",
        "--force");
    assertEquals("precious", Files.readString(out));
    assertEquals(0, CliRun.of("synth", "--shape", shape, "-o", out.toString(), "--force").exitCode());
    assertEquals(16, org.sparsej.model.ModelLoader.load(out).config().vocabSize());
  }

  @Test
  void synthChecksFreeSpaceFirstAndLeavesNoPart() throws IOException {
    Path out = tmp.resolve("huge.bin");
    // ~120 TB of weights: refused up front instead of filling the disk and leaving huge.bin.part.
    assertFailsWith(CliRun.of("synth", "--shape", "dim=16384,hidden=65536,layers=7000,heads=128,kv_heads=128,"
        + "vocab=32000,seq=64", "-o", out.toString()), 1, "huge.bin", "needs", "GB free");
    try (var s = Files.list(tmp)) {
      assertEquals(0, s.count(), "nothing written");
    }
  }

  @Test
  void convertDoesNotCreateMissingParents() {
    Path out = tmp.resolve("nonexistent/dir/x.gguf");
    assertFailsWith(CliRun.of("convert", "-m", MODEL, "-o", out.toString(), "--to", "gguf"), 1,
        "does not exist");
    assertFalse(Files.exists(tmp.resolve("nonexistent")));
  }

  @Test
  void convertNeedsNoSpaceInJavaIoTmpdir() throws IOException {
    // The tokenizer is staged beside the output, not in java.io.tmpdir (which may be full): nothing is left.
    Path out = tmp.resolve("hf");
    CliRun run = CliRun.of("convert", "-m", MODEL, "-o", out.toString(), "--to", "hf");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
    try (var s = Files.list(tmp)) {
      assertEquals(1, s.count(), "only the output remains");
    }
  }

  @Test
  void undecodablePromptIsRefused() {
    // What the JVM makes of argument bytes that are not valid in the locale's charset.
    assertFailsWith(CliRun.of("generate", "-m", MODEL, "-p", "caf\uFFFD", "-n", "2"), 2, "--prompt holds U+FFFD",
        "UTF-8 locale");
  }

  @Test
  void topLevelHelpShowsWholeFirstSentences() {
    CliRun run = CliRun.of("--help");
    assertEquals(0, run.exitCode());
    String help = run.out().replaceAll("\\s+", " ");
    for (String command : new String[] {"inspect", "bench", "chat"}) {
      int at = help.indexOf(" " + command + " ");
      assertTrue(at >= 0, help);
      String rest = help.substring(at + command.length() + 2);
      int end = rest.indexOf('.');
      assertTrue(end > 0 && end < 200, "description of " + command + " is not a whole sentence: " + rest);
    }
  }

  @Test
  void handWrappedDescriptionLinesAreShownAsWritten() {
    // picocli re-wraps a description line longer than its width into a long and a short fragment.
    assertDescriptionLinesShown(new CommandLine(new Main()).getSubcommands().values());
  }

  private static void assertDescriptionLinesShown(Iterable<CommandLine> commands) {
    for (CommandLine command : commands) {
      String[] path = command.getCommandSpec().qualifiedName().split(" ");
      String[] args = java.util.Arrays.copyOf(java.util.Arrays.copyOfRange(path, 1, path.length), path.length);
      args[path.length - 1] = "--help";
      CliRun run = CliRun.of(args);
      assertEquals(0, run.exitCode(), String.join(" ", args) + ": " + run.err());
      for (String paragraph : command.getCommandSpec().usageMessage().description()) {
        for (String line : paragraph.formatted().split("\n")) {
          if (line.length() <= Main.HELP_WIDTH - 2) {  // longer ones are paragraphs left to picocli to wrap
            assertTrue(run.out().contains(line), String.join(" ", args) + " re-wrapped: " + line);
          }
        }
      }
      if (!command.getCommandName().equals("help")) {
        assertDescriptionLinesShown(command.getSubcommands().values());
      }
    }
  }
}
