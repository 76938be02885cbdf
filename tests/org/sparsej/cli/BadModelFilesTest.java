package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.format.gguf.GgmlType;
import org.sparsej.format.gguf.GgufWriter;
import org.sparsej.testing.SharedData;

/**
 * Crafted bad Hugging Face directories, safetensors, GGUF and tokenizer files: each gives exactly one "error:" line
 * that names the file and the problem, exit code 1, and no stack trace.
 */
class BadModelFilesTest {
  private static final Path HF = SharedData.path("models/sj-7m/hf");
  private static final Path Q8 = SharedData.path("models/sj-7m/gguf/sj-7m-q8_0.gguf");

  @TempDir Path tmp;
  private Path dir;

  @BeforeEach
  void copyConfig() throws IOException {
    dir = tmp.resolve("model");
    Files.createDirectories(dir);
    Files.copy(HF.resolve("config.json"), dir.resolve("config.json"));
  }

  private static void assertFailsWith(CliRun run, String... fragments) {
    run.assertFails(1, fragments);
  }

  private static CliRun inspect(Path model) {
    return CliRun.of("inspect", "-m", model.toString(), "--backend", "java");
  }

  /** A safetensors file from a header (JSON text) and data bytes. */
  private Path safetensors(String header, byte[] data) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h).put(data);
    Path p = dir.resolve("model.safetensors");
    Files.write(p, b.array());
    return p;
  }

  @Test
  void truncatedSafetensors() throws IOException {
    byte[] all = Files.readAllBytes(HF.resolve("model.safetensors"));
    Files.write(dir.resolve("model.safetensors"), Arrays.copyOf(all, all.length / 2));
    assertFailsWith(inspect(dir), "model.safetensors", "out of range", "truncated");
  }

  @Test
  void headerLengthBeyondFileSize() throws IOException {
    ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40);
    Files.write(dir.resolve("model.safetensors"), b.array());
    assertFailsWith(inspect(dir), "model.safetensors", "header length 1099511627776 is beyond the file size 64");
  }

  @Test
  void fileShorterThanTheHeaderLength() throws IOException {
    Files.write(dir.resolve("model.safetensors"), new byte[] {1, 2, 3});
    assertFailsWith(inspect(dir), "model.safetensors", "truncated");
  }

  @Test
  void overlappingTensors() throws IOException {
    safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[16]);
    assertFailsWith(inspect(dir), "model.safetensors", "'a' and 'b' overlap");
  }

  @Test
  void offsetsOutOfRange() throws IOException {
    safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,32]}}", new byte[16]);
    assertFailsWith(inspect(dir), "model.safetensors", "tensor 'a'", "out of range");
  }

  @Test
  void offsetsThatDisagreeWithTheShape() throws IOException {
    safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", new byte[16]);
    assertFailsWith(inspect(dir), "model.safetensors", "needs 12 bytes, data offsets give 16");
  }

  @Test
  void unknownDtype() throws IOException {
    safetensors("{\"a\":{\"dtype\":\"F17\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[16]);
    assertFailsWith(inspect(dir), "model.safetensors", "unknown dtype 'F17'");
  }

  @Test
  void malformedHeaderJson() throws IOException {
    safetensors("{\"a\": [1, 2", new byte[0]);
    assertFailsWith(inspect(dir), "model.safetensors", "not valid JSON");
  }

  @Test
  void missingTensor() throws IOException {
    safetensors("{\"model.embed_tokens.weight\":{\"dtype\":\"F32\",\"shape\":[4096,288],\"data_offsets\":[0,"
        + 4096 * 288 * 4 + "]}}", new byte[4096 * 288 * 4]);
    assertFailsWith(inspect(dir), "model", "tensor 'model.layers.0.self_attn.q_proj.weight' is missing");
  }

  @Test
  void shapeMismatchWithConfig() throws IOException {
    Files.copy(HF.resolve("model.safetensors"), dir.resolve("model.safetensors"));
    String config = Files.readString(dir.resolve("config.json")).replace("\"intermediate_size\": 768",
        "\"intermediate_size\": 800");
    Files.writeString(dir.resolve("config.json"), config);
    assertFailsWith(inspect(dir), "model.safetensors", "model.layers.0.mlp.gate_proj.weight",
        "has shape [768, 288], config.json implies [800, 288]");
  }

  @Test
  void malformedConfigJson() throws IOException {
    Files.copy(HF.resolve("model.safetensors"), dir.resolve("model.safetensors"));
    Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 288,");
    assertFailsWith(inspect(dir), "config.json", "malformed JSON");
  }

  @Test
  void unsupportedArchitecture() throws IOException {
    Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"GPT2LMHeadModel\"]}");
    assertFailsWith(inspect(dir), "config.json", "architecture GPT2LMHeadModel is not supported");
  }

  @Test
  void unsupportedRopeScaling() throws IOException {
    Files.copy(HF.resolve("model.safetensors"), dir.resolve("model.safetensors"));
    String config = Files.readString(dir.resolve("config.json")).replace("\"rope_theta\": 10000.0",
        "\"rope_theta\": 10000.0, \"rope_scaling\": {\"rope_type\": \"dynamic\", \"factor\": 4.0}");
    Files.writeString(dir.resolve("config.json"), config);
    assertFailsWith(inspect(dir), "config.json", "rope_scaling type 'dynamic' is not supported");
  }

  @Test
  void shardIndexCannotPointOutsideTheDirectory() throws IOException {
    Files.writeString(dir.resolve("model.safetensors.index.json"),
        "{\"weight_map\": {\"model.norm.weight\": \"../../etc/passwd\"}}");
    assertFailsWith(inspect(dir), "model.safetensors.index.json", "not a file name in this directory");
  }

  @Test
  void missingShard() throws IOException {
    Files.writeString(dir.resolve("model.safetensors.index.json"),
        "{\"weight_map\": {\"model.norm.weight\": \"model-00002-of-00002.safetensors\"}}");
    assertFailsWith(inspect(dir), "model.safetensors.index.json", "shard model-00002-of-00002.safetensors is missing");
  }

  @Test
  void directoryWithoutWeights() {
    assertFailsWith(inspect(dir), "no model.safetensors or model.safetensors.index.json");
  }

  @Test
  void unknownExtension() throws IOException {
    Path p = tmp.resolve("model.pt");
    Files.write(p, new byte[100]);
    assertFailsWith(inspect(p), "model.pt", "unknown model format");
  }

  @Test
  void truncatedGguf() throws IOException {
    byte[] all = Files.readAllBytes(Q8);
    Path p = tmp.resolve("cut.gguf");
    Files.write(p, Arrays.copyOf(all, all.length - 1000));
    assertFailsWith(inspect(p), "cut.gguf", "beyond the end of the file");
  }

  @Test
  void ggufCutInsideTheHeader() throws IOException {
    byte[] all = Files.readAllBytes(Q8);
    Path p = tmp.resolve("cut.gguf");
    Files.write(p, Arrays.copyOf(all, 5000));
    assertFailsWith(inspect(p), "cut.gguf", "truncated");
  }

  @Test
  void ggufWithBadMagic() throws IOException {
    Path p = tmp.resolve("bad.gguf");
    Files.write(p, new byte[64]);
    assertFailsWith(inspect(p), "bad.gguf", "not a GGUF file");
  }

  @Test
  void ggufWithUnsupportedTensorType() throws IOException {
    Path p = tmp.resolve("k.gguf");
    new GgufWriter().putString("general.architecture", "llama")
        .tensor("token_embd.weight", new long[] {256, 4}, GgmlType.Q2_K, () -> ByteBuffer.allocate(4 * 84))
        .write(p);
    CliRun run = inspect(p);
    assertFailsWith(run, "k.gguf");
    // The file's metadata is incomplete too: the first problem found is reported.
    assertTrue(run.errorLine().contains("is missing") || run.errorLine().contains("Q2_K"), run.errorLine());
  }

  @Test
  void ggufWithUnsupportedTypeInAWeight() throws IOException {
    Path p = tmp.resolve("k.gguf");
    GgufWriter w = new GgufWriter().putString("general.architecture", "llama")
        .putU32("llama.embedding_length", 256).putU32("llama.feed_forward_length", 512)
        .putU32("llama.block_count", 1).putU32("llama.attention.head_count", 4).putU32("llama.context_length", 64);
    w.tensor("token_embd.weight", new long[] {256, 8}, GgmlType.F32, () -> ByteBuffer.allocate(256 * 8 * 4));
    w.tensor("blk.0.attn_norm.weight", new long[] {256}, GgmlType.F32, () -> ByteBuffer.allocate(256 * 4));
    w.tensor("blk.0.attn_q.weight", new long[] {256, 256}, GgmlType.Q2_K, () -> ByteBuffer.allocate(256 * 84));
    w.write(p);
    assertFailsWith(inspect(p), "k.gguf", "tensor 'blk.0.attn_q.weight' has type Q2_K, which SparseJ does not read");
  }

  @Test
  void ggufWithHugeStringLength() throws IOException {
    ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0x46554747).putInt(3).putLong(0).putLong(1).putLong(Long.MAX_VALUE - 5);
    Path p = tmp.resolve("s.gguf");
    Files.write(p, b.array());
    assertFailsWith(inspect(p), "s.gguf", "claims");
  }

  @Test
  void malformedTokenizerJson() throws IOException {
    Path t = tmp.resolve("tokenizer.json");
    Files.writeString(t, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0,}}}");
    assertFailsWith(CliRun.of("generate", "-m", SharedData.sj7m().toString(), "-z", t.toString(), "-n", "2"),
        "tokenizer.json", "malformed JSON");
  }

  @Test
  void tokenizerJsonOfAnUnsupportedModel() throws IOException {
    Path t = tmp.resolve("tokenizer.json");
    Files.writeString(t, "{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", 0.0]]}}");
    assertFailsWith(CliRun.of("generate", "-m", SharedData.sj7m().toString(), "-z", t.toString(), "-n", "2"),
        "tokenizer.json", "tokenizer model 'Unigram' is not supported");
  }

  @Test
  void tokenizerJsonWithDuplicateIds() throws IOException {
    Path t = tmp.resolve("tokenizer.json");
    Files.writeString(t, "{\"model\": {\"type\": \"BPE\", \"byte_fallback\": true, \"vocab\": {\"a\": 0, \"b\": 0}},"
        + "\"merges\": []}");
    assertFailsWith(CliRun.of("generate", "-m", SharedData.sj7m().toString(), "-z", t.toString(), "-n", "2"),
        "tokenizer.json", "id 0 is given to both");
  }
}
