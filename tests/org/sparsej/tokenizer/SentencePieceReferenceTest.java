package org.sparsej.tokenizer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The two shared vocabularies against SentencePiece's own {@code encode()}: the tricky strings of
 * reference/tokenizer-samples.json, and whole evaluation files.
 */
class SentencePieceReferenceTest {
  private Tokenizer vocab(String name) {
    return name.equals("sj7m") ? SharedFiles.sj7m() : SharedFiles.llama2();
  }

  @TestFactory
  Stream<DynamicTest> samplesMatchSentencePiece() throws IOException {
    JsonNode samples = new ObjectMapper()
        .readTree(SharedFiles.require("reference/tokenizer-samples.json").toFile())
        .get("samples");
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode sample : samples) {
      String text = sample.get("text").asText();
      for (String name : List.of("sj7m", "llama2")) {
        int[] expected = new ObjectMapper().convertValue(sample.get(name + "_ids"), int[].class);
        tests.add(DynamicTest.dynamicTest(name + " " + shortName(text), () -> {
          Tokenizer tok = vocab(name);
          int[] ids = tok.encode(text, false, false);
          assertArrayEquals(expected, ids, () -> "encode(" + shortName(text) + ")");
          // SentencePiece's normalizer here is the identity, so decode gives the text back: the first piece's
          // leading space is the dummy prefix that encode added.
          assertEquals(text, tok.decode(ids));
          assertEquals(text, new String(streamed(tok, ids), UTF_8), "decodeBytes after BOS, token by token");
        }));
      }
    }
    return tests.stream();
  }

  /** Token count and {@code Arrays.hashCode} of SentencePiece 0.2.2's {@code encode()} of each whole file. */
  static Stream<Arguments> wholeFiles() {
    return Stream.of(
        Arguments.of("sj7m", "data/sj-corpus/eval-fortunes.txt", 39485, -891300666),
        Arguments.of("sj7m", "data/sj-corpus/eval-kjv.txt", 40085, 202564507),
        Arguments.of("sj7m", "data/sj-corpus/eval-shakespeare.txt", 15346, -1192314597),
        Arguments.of("sj7m", "data/sj-corpus/eval-wikitext2.txt", 14756, -147698144),
        Arguments.of("sj7m", "data/wikitext-2-raw/wiki.test.raw", 415350, 51773708),
        Arguments.of("llama2", "data/sj-corpus/eval-fortunes.txt", 33440, 535158079),
        Arguments.of("llama2", "data/sj-corpus/eval-kjv.txt", 38125, -1322033361),
        Arguments.of("llama2", "data/sj-corpus/eval-shakespeare.txt", 13944, -1389625918),
        Arguments.of("llama2", "data/sj-corpus/eval-wikitext2.txt", 11252, 1845187627),
        Arguments.of("llama2", "data/wikitext-2-raw/wiki.test.raw", 332754, -273111163));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("wholeFiles")
  void wholeFilesMatchSentencePiece(String name, String file, int count, int hash) throws IOException {
    Tokenizer tok = vocab(name);
    // wiki.test.raw has CRLF line ends: read the bytes as they are.
    String text = new String(Files.readAllBytes(SharedFiles.require(file)), UTF_8);
    int[] ids = tok.encode(text, false, false);
    assertAll(
        () -> assertEquals(count, ids.length, "token count"),
        () -> assertEquals(hash, Arrays.hashCode(ids), "hash of the ids"),
        () -> assertEquals(text, tok.decode(ids), "round trip"));
  }

  /** What a streaming generator prints after BOS: each token's decodeBytes given the one before it. */
  private static byte[] streamed(Tokenizer tok, int[] ids) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int prev = tok.bos();
    for (int id : ids) {
      out.writeBytes(tok.decodeBytes(prev, id));
      prev = id;
    }
    return out.toByteArray();
  }

  private static String shortName(String text) {
    String oneLine = text.replace("\n", "\\n").replace("\t", "\\t");
    return "\"" + (oneLine.length() > 40 ? oneLine.substring(0, 40) + "..." : oneLine) + "\"";
  }
}
