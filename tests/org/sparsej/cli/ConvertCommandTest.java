package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.testing.SharedData;

/** sparsej convert and inspect from the command line: every format converts, and generates the same text. */
class ConvertCommandTest {
  private static final String BIN = SharedData.sj7m().toString();

  private static String generate(String model) {
    CliRun run = CliRun.of("generate", "-m", model, "-p", "In the beginning", "-n", "24", "--temp", "0",
        "--backend", "cpu");
    assertEquals(0, run.exitCode(), run.err());
    return run.out();
  }

  @Test
  void everyFormatGeneratesTheSameText(@TempDir Path tmp) {
    String expected = generate(BIN);
    assertTrue(expected.length() > 40, expected);
    String hf = tmp.resolve("hf").toString();
    String gguf = tmp.resolve("m.gguf").toString();
    assertEquals(0, CliRun.of("convert", "-m", BIN, "-o", hf, "--to", "hf").exitCode());
    assertEquals(0, CliRun.of("convert", "-m", hf, "-o", gguf, "--to", "gguf").exitCode());
    assertTrue(Files.exists(tmp.resolve("hf/tokenizer.json")));
    // Each converted model finds its own tokenizer: tokenizer.json in the directory, the one embedded in the GGUF.
    assertEquals(expected, generate(hf));
    assertEquals(expected, generate(gguf));
    assertEquals(expected, generate(SharedData.path("models/sj-7m/hf").toString()));
    assertEquals(expected, generate(SharedData.path("models/sj-7m/gguf/sj-7m-f32.gguf").toString()));
  }

  @Test
  void sparseBitmaskConversionReportsItsSparsity(@TempDir Path tmp) {
    CliRun run = CliRun.of("convert", "-m", BIN, "-o", tmp.resolve("s").toString(), "--to", "hf",
        "--sparse-bitmask");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.err().contains("sparse-bitmask: 42 weights"), run.err());
    CliRun inspect = CliRun.of("inspect", "-m", tmp.resolve("s").toString(), "--backend", "java");
    assertEquals(0, inspect.exitCode(), inspect.err());
    assertTrue(inspect.out().contains("dense-f32=42"), inspect.out());
  }

  @Test
  void int8ConversionRunsAsW8A8AndConvertsAgainAsStored(@TempDir Path tmp) {
    CliRun run = CliRun.of("convert", "-m", BIN, "-o", tmp.resolve("q").toString(), "--to", "hf", "--int8", "w8a8");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.err().contains("int8 (compressed-tensors int-quantized, W8A8): 42 weights"), run.err());
    CliRun inspect = CliRun.of("inspect", "-m", tmp.resolve("q").toString(), "--backend", "cpu");
    assertEquals(0, inspect.exitCode(), inspect.err());
    assertTrue(inspect.out().contains("dense-w8a8=42"), inspect.out());
    // Per-row int8 of sj-7m still tells the story: the greedy text begins as the float model's does.
    String text = generate(tmp.resolve("q").toString());
    assertEquals(generate(BIN).substring(0, 20), text.substring(0, 20), text);
    // Converting the int8 model again keeps every tensor as it is.
    assertEquals(0, CliRun.of("convert", "-m", tmp.resolve("q").toString(), "-o", tmp.resolve("q2").toString(),
        "--to", "hf").exitCode());
    var a = org.sparsej.format.ModelFiles.hfTensors(tmp.resolve("q"));
    assertEquals(a, org.sparsej.format.ModelFiles.hfTensors(tmp.resolve("q2")));
  }

  @Test
  void int8LmHeadQuantizesTheClassifierToo(@TempDir Path tmp) {
    CliRun run = CliRun.of("convert", "-m", BIN, "-o", tmp.resolve("q").toString(), "--to", "hf", "--int8", "w8a16",
        "--int8-lm-head");
    assertEquals(0, run.exitCode(), run.err());
    CliRun inspect = CliRun.of("inspect", "-m", tmp.resolve("q").toString(), "--backend", "cpu");
    assertTrue(inspect.out().contains("{dense-w8a16=42}; classifier dense-w8a16"), inspect.out());
    CliRun alone = CliRun.of("convert", "-m", BIN, "-o", tmp.resolve("r").toString(), "--to", "hf", "--int8-lm-head");
    assertEquals(2, alone.exitCode());
    assertTrue(alone.err().contains("--int8-lm-head needs --int8"), alone.err());
  }

  @Test
  void unknownInt8SchemeIsAUsageError(@TempDir Path tmp) {
    CliRun run = CliRun.of("convert", "-m", BIN, "-o", tmp.resolve("q").toString(), "--to", "hf", "--int8", "w4a16");
    assertEquals(2, run.exitCode());
    assertTrue(run.err().contains("--int8 must be w8a8 or w8a16"), run.err());
    assertTrue(!Files.exists(tmp.resolve("q")));
  }

  @Test
  void existingOutputIsNotOverwrittenWithoutForce(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("m.gguf");
    Files.writeString(out, "keep me");
    CliRun run = CliRun.of("convert", "-m", BIN, "-o", out.toString(), "--to", "gguf");
    assertEquals(1, run.exitCode());
    assertTrue(run.errorLine().contains("already exists"), run.err());
    assertEquals("keep me", Files.readString(out));
    assertEquals(0, CliRun.of("convert", "-m", BIN, "-o", out.toString(), "--to", "gguf", "--force").exitCode());
    assertTrue(Files.size(out) > 1_000_000);
  }

  @Test
  void helpExplainsConvertAndInspect() {
    CliRun run = CliRun.of("convert", "--help");
    assertEquals(0, run.exitCode());
    for (String s : new String[] {"--to hf", "--to gguf", "compressed-tensors", "--sparse-bitmask", "--type"}) {
      assertTrue(run.out().contains(s), s + " in:\n" + run.out());
    }
    assertTrue(CliRun.of("inspect", "--help").out().contains("Usage: sparsej inspect"));
  }

  @Test
  void badTargetFormatIsAUsageError() {
    CliRun run = CliRun.of("convert", "-m", BIN, "-o", "x", "--to", "onnx");
    assertEquals(2, run.exitCode());
    assertTrue(run.errorLine().contains("--to must be hf or gguf"), run.err());
  }
}
