package org.sparsej.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparsej.format.ModelTokenizers;
import org.sparsej.format.gguf.GgufFile;
import org.sparsej.format.gguf.GgufVocabulary;
import org.sparsej.format.gguf.GgufWriter;
import org.sparsej.testing.SharedData;

/**
 * sj-7m's vocabulary from each of its files (tokenizer.json, the GGUF-embedded one, and a tokenizer.json SparseJ
 * writes from the GGUF) against SentencePiece's own ids in ../shared/reference/tokenizer-samples.json.
 */
class TokenizerFormatsTest {
  private static final JsonNode SAMPLES = SharedData.json("reference/tokenizer-samples.json");

  static Stream<Arguments> tokenizers(@TempDir Path tmp) throws Exception {
    Vocabulary fromGguf = ModelTokenizers.vocabularyFromFile(SharedData.path("models/sj-7m/gguf/sj-7m-q8_0.gguf"),
        4096);
    Path written = tmp.resolve("written");
    java.nio.file.Files.createDirectories(written);
    TokenizerJsonWriter.write(fromGguf, written);
    return Stream.of(
        Arguments.of("tokenizer.json", TokenizerJson.load(SharedData.path("models/sj-7m/hf/tokenizer.json"))),
        Arguments.of("gguf", ModelTokenizers.forModel(SharedData.path("models/sj-7m/gguf/sj-7m-f32.gguf"), 4096)),
        Arguments.of("tokenizer.json written from gguf", TokenizerJson.load(written.resolve("tokenizer.json"))),
        Arguments.of("hf directory default", ModelTokenizers.forModel(SharedData.path("models/sj-7m/hf"), 4096)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tokenizers")
  void encodesLikeSentencePiece(String source, Tokenizer t) {
    assertEquals(4096, t.vocabSize());
    assertEquals(1, t.bos());
    assertEquals(2, t.eos());
    for (JsonNode s : SAMPLES.get("samples")) {
      String text = s.get("text").asText();
      int[] expected = SharedData.ints(s.get("sj7m_ids"));
      assertArrayEquals(expected, t.encode(text, false, false), source + ": '" + text + "'");
      // A literal "<s>" is text, never the BOS id.
      int[] withBos = t.encode(text, true, false);
      assertEquals(1, withBos[0]);
      assertEquals(expected.length + 1, withBos.length);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tokenizers")
  void decodesBackToTheText(String source, Tokenizer t) {
    for (String text : new String[] {"Hello, world!", "na\u00efve caf\u00e9", "emoji \ud83e\udd17 mixed",
        "In the beginning God created the heaven and the earth."}) {
      assertEquals(text, t.decode(t.encode(text, true, false)), source);
    }
  }

  @Test
  void ggufVocabularySurvivesAWriteAndRead(@TempDir Path tmp) throws Exception {
    Vocabulary v = Vocabularies.llama2c(SharedData.path("models/sj-7m/tokenizer.bin"), 4096);
    Path p = tmp.resolve("v.gguf");
    GgufWriter w = new GgufWriter();
    GgufVocabulary.write(w, v);
    w.write(p);
    try (GgufFile g = GgufFile.open(p)) {
      Vocabulary back = GgufVocabulary.read(g);
      assertEquals(v.tokens(), back.tokens());
      assertArrayEquals(v.scores(), back.scores());
      assertArrayEquals(v.types(), back.types());
      assertInstanceOf(SentencePieceBpeTokenizer.class, back.tokenizer());
    }
  }
}
