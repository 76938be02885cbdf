package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.testing.SharedData;

/**
 * Hostile model, config and tokenizer files (issue 13), each built here by a small generator: every one ends in
 * exactly one "error:" line naming the file and the cause, exit code 1, no stack trace, no "internal error", and
 * none hangs or needs memory out of proportion to the file.
 */
class HostileFilesTest {
  private static final Path HF = SharedData.path("models/sj-7m/hf");
  private static final String BIN = SharedData.sj7m().toString();

  @TempDir Path tmp;
  private Path dir;

  @BeforeEach
  void hfCopy() throws IOException {
    dir = tmp.resolve("model");
    Files.createDirectories(dir);
    Files.copy(HF.resolve("config.json"), dir.resolve("config.json"));
    Files.copy(HF.resolve("model.safetensors"), dir.resolve("model.safetensors"));
  }

  static void assertFailsWith(CliRun run, String... fragments) {
    run.assertFails(1, fragments);
  }

  private static CliRun inspect(Path model) {
    return CliRun.of("inspect", "-m", model.toString(), "--backend", "java");
  }

  private static CliRun generateWith(Path tokenizer) {
    return CliRun.of("generate", "-m", BIN, "-z", tokenizer.toString(), "-p", "hi", "-n", "2", "--backend", "java");
  }

  private void editConfig(String from, String to) throws IOException {
    Path c = dir.resolve("config.json");
    String text = Files.readString(c);
    assertTrue(text.contains(from), "config.json of sj-7m should contain " + from);
    Files.writeString(c, text.replace(from, to));
  }

  /** A file of the given size that takes no disk space (a sparse file of zeros). */
  private static Path sparseFile(Path p, long size) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
      f.setLength(size);
    }
    return p;
  }

  @Test
  void threeGigabyteConfigIsRefusedBeforeReading() throws IOException {
    sparseFile(dir.resolve("config.json"), 3L << 30);
    assertFailsWith(inspect(dir), "config.json", "3221225472 bytes is beyond the 16 MiB");
  }

  @Test
  void hugeTokenizerJsonIsRefusedBeforeReading() throws IOException {
    Path t = sparseFile(tmp.resolve("tokenizer.json"), 1L << 32);
    assertFailsWith(generateWith(t), "tokenizer.json", "beyond the 64 MiB");
  }

  @Test
  void hugeShardIndexIsRefusedBeforeReading() throws IOException {
    Files.delete(dir.resolve("model.safetensors"));
    sparseFile(dir.resolve("model.safetensors.index.json"), 1L << 31);
    assertFailsWith(inspect(dir), "model.safetensors.index.json", "beyond the 16 MiB");
  }

  @Test
  void nonPositiveRmsNormEps() throws IOException {
    editConfig("\"rms_norm_eps\": 1e-05", "\"rms_norm_eps\": 0.0");
    assertFailsWith(inspect(dir), "config.json", "'rms_norm_eps' must be a positive number, got 0.0");
  }

  @Test
  void rmsNormEpsThatUnderflowsToZeroInFloat() throws IOException {
    editConfig("\"rms_norm_eps\": 1e-05", "\"rms_norm_eps\": 1e-60");
    assertFailsWith(inspect(dir), "config.json", "'rms_norm_eps' must be a positive number");
  }

  @Test
  void negativeRopeTheta() throws IOException {
    editConfig("\"rope_theta\": 10000.0", "\"rope_theta\": -1.0");
    assertFailsWith(inspect(dir), "config.json", "'rope_theta' must be a positive number, got -1.0");
  }

  @Test
  void ropeThetaInRopeParametersIsCheckedToo() throws IOException {
    editConfig("\"rope_theta\": 10000.0,", "\"rope_parameters\": {\"rope_theta\": 0},");
    assertFailsWith(inspect(dir), "config.json", "'rope_parameters.rope_theta' must be a positive number");
  }

  @Test
  void dimensionsWhoseProductOverflows() throws IOException {
    editConfig("\"vocab_size\": 4096", "\"vocab_size\": 2000000000");
    assertFailsWith(inspect(dir), "config.json", "vocab_size x dim", "beyond the 2^31 - 1");
  }

  @Test
  void safetensorsWithMillionsOfEmptyTensorsIsRefusedEarly() throws IOException {
    // 5000 empty tensors stand for millions: the limit trips at 4096, before the rest of the header is parsed.
    StringBuilder h = new StringBuilder("{");
    for (int i = 0; i < 5000; i++) {
      h.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":{\"dtype\":\"F32\",\"shape\":[0],")
          .append("\"data_offsets\":[0,0]}");
    }
    byte[] header = h.append('}').toString().getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(header.length).put(header);
    Files.write(dir.resolve("model.safetensors"), b.array());
    assertFailsWith(inspect(dir), "model.safetensors", "more than 4096 tensors without data");
  }

  @Test
  void safetensorsHeaderWithDuplicateNamesIsStillRefused() throws IOException {
    byte[] header = ("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}").getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + header.length + 8).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(header.length).put(header);
    Files.write(dir.resolve("model.safetensors"), b.array());
    assertFailsWith(inspect(dir), "model.safetensors", "not valid JSON", "Duplicate field 'a'");
  }

  @Test
  void safetensorsHeaderWithTrailingGarbageIsRefused() throws IOException {
    byte[] header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} {}"
        .getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + header.length + 4).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(header.length).put(header);
    Files.write(dir.resolve("model.safetensors"), b.array());
    assertFailsWith(inspect(dir), "model.safetensors", "not valid JSON");
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void tokenizerJsonWith120000AddedTokensLoadsWithoutAQuadraticScan() throws IOException {
    // SentencePiece-style vocabulary of 4096 (sj-7m's size), then 120,000 special added tokens: the scan per
    // token over the specials took minutes. The vocabulary no longer matches the model, which is the one error.
    StringBuilder j = new StringBuilder("{\"model\":{\"type\":\"BPE\",\"byte_fallback\":true,\"vocab\":{");
    j.append("\"<unk>\":0,\"<s>\":1,\"</s>\":2");
    for (int i = 3; i < 4096; i++) {
      j.append(",\"t").append(i).append("\":").append(i);
    }
    j.append("},\"merges\":[]},\"added_tokens\":[");
    j.append("{\"id\":0,\"content\":\"<unk>\",\"special\":true},{\"id\":1,\"content\":\"<s>\",\"special\":true},"
        + "{\"id\":2,\"content\":\"</s>\",\"special\":true}");
    for (int i = 0; i < 120_000; i++) {
      j.append(",{\"id\":").append(4096 + i).append(",\"content\":\"<x").append(i).append(">\",\"special\":true}");
    }
    Path t = tmp.resolve("tokenizer.json");
    Files.writeString(t, j.append("]}").toString());
    assertFailsWith(generateWith(t), "tokenizer.json", "124096 tokens, the model 4096");
  }

  @Test
  void fifoAsModelOrTokenizerIsRefusedInsteadOfBlocking() throws Exception {
    Path fifo = tmp.resolve("model.bin");
    Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assertEquals(0, p.waitFor(), "mkfifo");
    assertFailsWith(CliRun.of("generate", "-m", fifo.toString(), "-p", "hi", "-n", "2"), "model.bin",
        "neither a regular file nor a directory");
    assertFailsWith(generateWith(fifo), "model.bin", "not a regular file");
  }

  @Test
  void directoryAsTokenizer() {
    assertFailsWith(generateWith(tmp), tmp.toString(), "is a directory, expected a file");
  }

  @Test
  void truncatedSentencePieceModelFileAsTokenizer() throws IOException {
    // read as a SentencePiece protobuf (never as llama2.c), whose first piece runs past the end of the file
    Path t = tmp.resolve("tokenizer.model");
    Files.write(t, new byte[] {0x0a, 0x0b, 0x0a, 0x05, 0x3c, 0x75, 0x6e, 0x6b, 0x3e});
    assertFailsWith(generateWith(t), "tokenizer.model");
  }

  /** A llama2.c model (random weights) and a tokenizer.bin of the given vocabulary size. */
  private Path llama2cWithVocab(int vocab) throws IOException {
    Path d = tmp.resolve("v" + vocab);
    Files.createDirectories(d);
    Path model = d.resolve("model.bin");
    assertEquals(0, CliRun.of("synth", "--shape", "dim=8,hidden=16,layers=1,heads=2,kv_heads=2,vocab=" + vocab
        + ",seq=8", "-o", model.toString()).exitCode());
    String[] pieces = {"<unk>", "<s>", "</s>"};
    ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN).putInt(8);
    for (int i = 0; i < vocab; i++) {
      b.putFloat(0f).putInt(pieces[i].length()).put(pieces[i].getBytes(StandardCharsets.US_ASCII));
    }
    Files.write(d.resolve("tokenizer.bin"), java.util.Arrays.copyOf(b.array(), b.position()));
    return model;
  }

  @Test
  void vocabulariesOfOneAndTwoTokens() throws IOException {
    for (int vocab : new int[] {1, 2}) {
      Path model = llama2cWithVocab(vocab);
      for (String temp : new String[] {"0", "0.8"}) {
        assertFailsWith(CliRun.of("generate", "-m", model.toString(), "-p", "ab", "-n", "2", "--temp", temp,
            "--backend", "java"), "tokenizer.bin", "vocabulary of " + vocab + " token", "too small");
      }
    }
  }

  @Test
  void nanWeightsAreReportedNotSampled() throws IOException {
    Path model = llama2cWithVocab(3);
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(model,
        java.nio.file.StandardOpenOption.WRITE)) {
      ByteBuffer nan = ByteBuffer.allocate(3 * 8 * 4).order(ByteOrder.LITTLE_ENDIAN);
      while (nan.hasRemaining()) {
        nan.putFloat(Float.NaN);
      }
      ch.write(nan.flip(), 28);  // the embedding table, right after the 7-int header
    }
    for (String backend : new String[] {"java", "cpu"}) {
      for (String temp : new String[] {"0", "0.8"}) {
        assertFailsWith(CliRun.of("generate", "-m", model.toString(), "-p", "ab", "-n", "2", "--temp", temp,
            "--backend", backend), "NaN logit", "no token was sampled");
      }
    }
  }

  @Test
  void tokenizerJsonOfOneToken() throws IOException {
    Path t = tmp.resolve("tokenizer.json");
    Files.writeString(t, "{\"model\":{\"type\":\"BPE\",\"byte_fallback\":true,\"vocab\":{\"<unk>\":0}},"
        + "\"merges\":[]}");
    CliRun run = generateWith(t);
    assertFailsWith(run, "tokenizer.json");
  }
}
