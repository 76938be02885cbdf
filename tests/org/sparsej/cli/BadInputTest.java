package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.testing.SharedData;

/** Each kind of bad input gets one clear line, a non-zero exit, and no stack trace. */
class BadInputTest {
  private static final String MODEL = SharedData.sj7m().toString();

  @TempDir Path dir;

  private static void assertFailsWith(CliRun run, int exitCode, String... fragments) {
    run.assertFails(exitCode, fragments);
  }

  @Test
  void missingModelFile() {
    assertFailsWith(CliRun.of("generate", "-m", dir.resolve("nope.bin").toString(), "-n", "4"), 1,
        "model file not found", "nope.bin");
  }

  @Test
  void truncatedCheckpoint() throws IOException {
    byte[] full = Files.readAllBytes(Path.of(MODEL));
    Path cut = dir.resolve("cut.bin");
    Files.write(cut, Arrays.copyOf(full, full.length / 2));
    assertFailsWith(CliRun.of("generate", "-m", cut.toString(), "-z", tokenizer(), "-n", "4"), 1,
        "cut.bin", "truncated");
  }

  @Test
  void fileShorterThanHeader() throws IOException {
    Path tiny = dir.resolve("tiny.bin");
    Files.write(tiny, new byte[] {1, 2, 3});
    assertFailsWith(CliRun.of("bench", "-m", tiny.toString()), 1, "tiny.bin", "truncated");
  }

  @Test
  void checkpointWithTrailingData() throws IOException {
    byte[] full = Files.readAllBytes(Path.of(MODEL));
    Path longer = dir.resolve("longer.bin");
    Files.write(longer, Arrays.copyOf(full, full.length + 100));
    assertFailsWith(CliRun.of("generate", "-m", longer.toString(), "-z", tokenizer(), "-n", "4"), 1,
        "longer.bin", "trailing data");
  }

  @Test
  void garbageHeader() throws IOException {
    Path garbage = dir.resolve("garbage.bin");
    byte[] bytes = new byte[4096];
    Arrays.fill(bytes, (byte) 0x7f);
    Files.write(garbage, bytes);
    assertFailsWith(CliRun.of("bench", "-m", garbage.toString()), 1, "not a llama2.c checkpoint");
  }

  @Test
  void tokenizerFromAnotherVocabulary() {
    String llama2Tokenizer = SharedData.path("models/llama2-tokenizer/tokenizer.bin").toString();
    assertFailsWith(CliRun.of("generate", "-m", MODEL, "-z", llama2Tokenizer, "-n", "4"), 1, "tokenizer",
        "4096");
  }

  @Test
  void promptLongerThanContext() {
    String prompt = "the end of the morning ".repeat(80);
    assertFailsWith(CliRun.of("generate", "-m", MODEL, "-p", prompt, "-n", "4", "--backend", "java"), 1,
        "prompt", "context of 256");
  }

  @Test
  void stepsBeyondContext() {
    assertFailsWith(CliRun.of("generate", "-m", MODEL, "-p", "Once upon a time", "-n", "1000"), 1,
        "exceeds the model's context of 256");
  }

  @Test
  void unknownBackend() {
    assertFailsWith(CliRun.of("generate", "-m", MODEL, "-n", "4", "--backend", "tpu"), 1, "unknown backend 'tpu'");
  }

  @Test
  void unavailableCudaBackendSaysWhy() {
    org.junit.jupiter.api.Assumptions.assumeTrue(org.sparsej.backend.Backends.unavailableReason("cuda") != null,
        "a GPU is present here: cuda runs");
    CliRun run = CliRun.of("generate", "-m", MODEL, "-n", "4", "--backend", "cuda");
    assertFailsWith(run, 2, "cuda:");
  }

  @Test
  void unknownFlagIsAUsageError() {
    assertFailsWith(CliRun.of("generate", "-m", MODEL, "--frobnicate"), 2, "--frobnicate");
  }

  @Test
  void badNumberIsAUsageError() {
    assertFailsWith(CliRun.of("generate", "-m", MODEL, "--threads", "many"), 2, "many");
  }

  @Test
  void invalidTemperature() {
    // a value out of range is a usage error, as a malformed one is
    assertFailsWith(CliRun.of("generate", "-m", MODEL, "--temp", "-1", "-n", "3"), 2, "--temp must be >= 0");
  }

  @Test
  void unknownSynthShape() {
    assertFailsWith(CliRun.of("synth", "--shape", "gpt5", "-o", dir.resolve("x.bin").toString()), 1,
        "unknown shape 'gpt5'");
  }

  private static String tokenizer() {
    return SharedData.path("models/sj-7m/tokenizer.bin").toString();
  }
}
