package org.sparsej.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sparsej.format.ModelTokenizers;
import org.sparsej.util.SparsejException;

/**
 * SentencePiece's tokenizer.model read by the bounded protobuf reader: ids against sentencepiece's own encode()
 * on 607 varied strings (tests/resources/tokenizer/sentencepiece/gen_sentencepiece.py) for the two shared models,
 * the same pieces as their llama2.c export, and broken or unsupported files refused with one line.
 */
class SentencePieceModelFileTest {
  private static final Path EXPECTED = Path.of("tests/resources/tokenizer/sentencepiece/expected.json");

  private static Path model(String name) {
    return SharedFiles.require(name.equals("sj7m") ? "models/sj-7m/hf/tokenizer.model"
        : "models/llama2-tokenizer/tokenizer.model");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sj7m", "llama2"})
  void idsMatchSentencePiece(String name) throws Exception {
    JsonNode ref = new ObjectMapper().readTree(EXPECTED.toFile());
    Tokenizer tok = ModelTokenizers.fromFile(model(name), name.equals("sj7m") ? 4096 : 32000);
    List<String> wrong = new ArrayList<>();
    JsonNode strings = ref.get("strings");
    assertTrue(strings.size() > 600);
    for (int i = 0; i < strings.size(); i++) {
      String s = strings.get(i).asText();
      JsonNode e = ref.get(name).get(i);
      int[] want = new int[e.size()];
      for (int j = 0; j < want.length; j++) {
        want[j] = e.get(j).asInt();
      }
      int[] got = tok.encode(s, false, false);
      if (!Arrays.equals(want, got)) {
        wrong.add(i + ": want " + Arrays.toString(want) + " got " + Arrays.toString(got));
      }
    }
    if (!wrong.isEmpty()) {
      fail(wrong.size() + " strings differ: " + String.join("\n", wrong.subList(0, Math.min(5, wrong.size()))));
    }
  }

  @Test
  void hfDirectoryWithoutTokenizerJsonUsesTokenizerModel(@TempDir Path dir) throws Exception {
    Files.copy(SharedFiles.require("models/sj-7m/hf/config.json"), dir.resolve("config.json"));
    Files.copy(model("sj7m"), dir.resolve("tokenizer.model"));
    Tokenizer fallback = ModelTokenizers.forModel(dir, 4096);
    Tokenizer json = ModelTokenizers.forModel(SharedFiles.require("models/sj-7m/hf"), 4096);
    String text = "Once upon a time,  there were two\tcats 12345.";
    assertEquals(Arrays.toString(json.encode(text, true, false)), Arrays.toString(fallback.encode(text, true, false)));
  }

  @Test
  void samePiecesAsTheLlama2cExport() {
    Vocabulary fromModel = SentencePieceModelFile.read(model("llama2"));
    Vocabulary fromBin = Vocabularies.llama2c(SharedFiles.require("models/llama2-tokenizer/tokenizer.bin"), 32000);
    assertEquals(32000, fromModel.size());
    for (int i = 3; i < 32000; i++) {
      assertEquals(fromBin.tokens().get(i), fromModel.tokens().get(i), "piece " + i);
      assertEquals(fromBin.scores()[i], fromModel.scores()[i], "score " + i);
    }
  }

  private static void write(ByteArrayOutputStream out, int field, int wire) {
    varint(out, (long) field << 3 | wire);
  }

  private static void varint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7fL) != 0) {
      out.write((int) (v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.write((int) v);
  }

  private static void bytesField(ByteArrayOutputStream out, int field, byte[] b) {
    write(out, field, 2);
    varint(out, b.length);
    out.writeBytes(b);
  }

  /** A well-formed ModelProto of model type {@code type} with pieces unk, s, /s, a, b. */
  private static byte[] tinyModel(int type) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String[] pieces = {"<unk>", "<s>", "</s>", "\u2581a", "b"};
    int[] types = {2, 3, 3, 1, 1};
    for (int i = 0; i < pieces.length; i++) {
      ByteArrayOutputStream p = new ByteArrayOutputStream();
      bytesField(p, 1, pieces[i].getBytes(java.nio.charset.StandardCharsets.UTF_8));
      write(p, 2, 5);
      p.writeBytes(new byte[] {0, 0, (byte) 0x80, (byte) 0xbf});  // -1.0f
      write(p, 3, 0);
      varint(p, types[i]);
      bytesField(out, 1, p.toByteArray());
    }
    ByteArrayOutputStream t = new ByteArrayOutputStream();
    write(t, 3, 0);
    varint(t, type);
    bytesField(out, 2, t.toByteArray());
    ByteArrayOutputStream n = new ByteArrayOutputStream();
    bytesField(n, 1, "identity".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    write(n, 4, 0);
    varint(n, 0);
    bytesField(out, 3, n.toByteArray());
    return out.toByteArray();
  }

  @Test
  void tinyHandWrittenModelReads(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("tokenizer.model");
    Files.write(f, tinyModel(2));
    Vocabulary v = SentencePieceModelFile.read(f);
    assertEquals(List.of("<unk>", "<s>", "</s>", "\u2581a", "b"), v.tokens());
    assertEquals(-1.0f, v.scores()[3]);
    assertEquals(Vocabulary.CONTROL, v.types()[1]);
  }

  @Test
  void brokenOrUnsupportedFilesAreRefusedWithOneLine(@TempDir Path dir) throws Exception {
    byte[] good = Files.readAllBytes(model("sj7m"));
    byte[][] bad = {
        Arrays.copyOf(good, good.length / 2),                          // truncated mid-piece
        {0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f},  // a length past the end
        {0x0a, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
            (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01},              // an 11-byte varint
        {0x0b, 0x0c},                                                  // a group (wire type 3)
        tinyModel(1),                                                  // unigram
        new byte[0],
    };
    for (int i = 0; i < bad.length; i++) {
      Path f = dir.resolve("bad" + i + ".model");
      Files.write(f, bad[i]);
      SparsejException e = assertThrows(SparsejException.class, () -> SentencePieceModelFile.load(f), "case " + i);
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
      assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
    }
  }
}
