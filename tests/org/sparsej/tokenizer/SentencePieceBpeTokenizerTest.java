package org.sparsej.tokenizer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparsej.tokenizer.SharedFiles.llama2;
import static org.sparsej.tokenizer.SharedFiles.sj7m;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Encoding rules on tiny hand-made vocabularies, and decoding details on the Llama 2 vocabulary. */
class SentencePieceBpeTokenizerTest {
  // ---- the shared vocabularies' layout, which the tokenizer relies on

  @Test
  void sharedVocabulariesHaveLlamaSpecialAndByteTokens() {
    for (Tokenizer tok : List.of(sj7m(), llama2())) {
      assertEquals("<unk>", tok.piece(0));
      assertEquals("\n<s>\n", tok.piece(tok.bos())); // llama2.c's exporter decorates the control pieces
      assertEquals("\n</s>\n", tok.piece(tok.eos()));
      for (int b = 0; b < 256; b++) {
        assertEquals(String.format("<0x%02X>", b), tok.piece(3 + b));
      }
    }
    assertEquals(4096, sj7m().vocabSize());
    assertEquals(32000, llama2().vocabSize());
  }

  // ---- encode

  @Test
  void bosAndEosAreAddedOnlyWhenAsked() {
    assertArrayEquals(new int[] {1, 15043, 29892, 3186, 29991, 2}, llama2().encode("Hello, world!", true, true));
    assertArrayEquals(new int[] {15043, 29892, 3186, 29991}, llama2().encode("Hello, world!", false, false));
    assertArrayEquals(new int[] {1, 2}, llama2().encode("", true, true));
    assertArrayEquals(new int[0], llama2().encode("", false, false));
  }

  @Test
  void controlAndByteSpellingsInTextStayText() {
    for (Tokenizer tok : List.of(sj7m(), llama2())) {
      for (String text : List.of("<s>", "</s>", "<unk>", "<0x41>", "\n<s>\n")) {
        for (int id : tok.encode(text, false, false)) {
          // "\n" is byte-encoded in these vocabularies (<0x0A> = 13); nothing else may be special.
          assertTrue(id > 258 || id == 13, () -> text + " gave the special id " + id);
        }
      }
    }
  }

  @Test
  void literalWhitespaceSymbolIsASpace() {
    // SentencePiece escapes spaces as U+2581 before merging, so text cannot tell the two apart.
    assertArrayEquals(llama2().encode("a b", false, false), llama2().encode("a\u2581b", false, false));
  }

  @Test
  void unpairedSurrogateIsEncodedAsReplacementCharacter() {
    // Not valid UTF-8; SentencePiece's normalizer turns invalid input into U+FFFD.
    assertArrayEquals(llama2().encode("x\uFFFDy", false, false), llama2().encode("x\uD800y", false, false));
  }

  @Test
  void higherScoreMergesFirst() {
    Tiny v = new Tiny().normal(" ", "a", "b", "c").piece("ab", -2).piece("bc", -1);
    assertArrayEquals(v.ids(" ", "a", "bc"), v.tokenizer().encode("abc", false, false));
  }

  @Test
  void leftmostPairWinsATie() {
    Tiny v = new Tiny().normal(" ", "a").piece("aa", -1);
    assertArrayEquals(v.ids(" ", "aa", "a"), v.tokenizer().encode("aaa", false, false));
  }

  @Test
  void negativeZeroScoreTiesWithZero() {
    // SentencePiece compares scores with ==, so -0.0 and 0.0 tie and the leftmost pair wins.
    Tiny v = new Tiny().normal(" ", "a", "b", "c").piece("ab", -0.0f).piece("bc", 0.0f);
    assertArrayEquals(v.ids(" ", "ab", "c"), v.tokenizer().encode("abc", false, false));
  }

  @Test
  void mergedPiecesMergeFurther() {
    Tiny v = new Tiny().normal(" ", "a").piece("aa", -1).piece("aaaa", -2).piece(" aaaa", -3);
    assertArrayEquals(v.ids(" aaaa", "a"), v.tokenizer().encode("aaaaa", false, false));
  }

  @Test
  void mergingNeverProducesControlOrBytePieces() {
    // Here <s> and <0x41> are spelled plainly (llama2.c's exporter decorates <s>), and every shorter piece exists.
    Tiny v = new Tiny().normal(" ", "<", "s", ">", "0", "x", "4", "1").piece("<s", -1).piece("<0x4", -2)
        .piece("<0", -3).piece("<0x", -4);
    v.pieces.set(1, "<s>");
    assertArrayEquals(v.ids(" ", "<s", ">"), v.tokenizer().encode("<s>", false, false));
    assertArrayEquals(v.ids(" ", "<0x4", "1", ">"), v.tokenizer().encode("<0x41>", false, false));
  }

  @Test
  void unknownCharacterFallsBackToItsUtf8Bytes() {
    Tiny v = new Tiny().normal(" ", "a");
    assertArrayEquals(new int[] {v.id(" "), 3 + 0xC3, 3 + 0xA9, v.id("a")}, v.tokenizer().encode("éa", false, false));
  }

  @Test
  void unknownCharacterIsUnkWithoutByteTokens() {
    SentencePieceBpeTokenizer tok = new SentencePieceBpeTokenizer(
        new byte[][] {bytes("<unk>"), bytes("<s>"), bytes("</s>"), bytes(" "), bytes("a")}, new float[5]);
    assertArrayEquals(new int[] {3, 0, 4}, tok.encode("éa", false, false));
  }

  // ---- decode (expected strings checked with SentencePiece 0.2.2's decode() on Llama 2's tokenizer.model)

  @Test
  void decodeDropsControlTokensAndOnlyTheFirstDummySpace() {
    assertEquals("a a", llama2().decode(new int[] {1, 263, 2, 263}));
    assertEquals(" x", llama2().decode(new int[] {29871, 921})); // "▁" then "▁x": only the first loses its space
    assertEquals(" \u2047  a", llama2().decode(new int[] {0, 263})); // <unk> prints SentencePiece's " ⁇ "
  }

  @Test
  void decodeAssemblesByteTokensAndReplacesEachStrayByte() {
    assertEquals("\uD83E\uDD17 a", llama2().decode(new int[] {243, 162, 167, 154, 263})); // 🤗 in four bytes
    assertEquals("\uFFFD a", llama2().decode(new int[] {243, 263}));
    assertEquals("\uFFFD\uFFFD a", llama2().decode(new int[] {29871, 243, 162, 263}));
  }

  @Test
  void decodeBytesFollowsLlama2c() {
    assertEquals("a", text(llama2().decodeBytes(1, 263))); // the dummy space after BOS is not printed
    assertEquals(" a", text(llama2().decodeBytes(263, 263)));
    assertArrayEquals(new byte[] {(byte) 0xF0}, llama2().decodeBytes(263, 243)); // a raw byte, part of a character
    assertArrayEquals(new byte[0], llama2().decodeBytes(263, 2));
  }

  @Test
  void idsOutsideTheVocabularyAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> llama2().decode(new int[] {32000}));
    assertThrows(IllegalArgumentException.class, () -> llama2().decodeBytes(1, -1));
    assertThrows(IllegalArgumentException.class, () -> sj7m().piece(4096));
  }

  private static String text(byte[] bytes) {
    return new String(bytes, UTF_8);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  /** A small vocabulary laid out like Llama's: <unk>, <s>, </s>, 256 byte tokens, then normal pieces. */
  private static final class Tiny {
    final List<String> pieces = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
    final List<Float> scores = new ArrayList<>(List.of(0f, 0f, 0f));

    Tiny() {
      for (int b = 0; b < 256; b++) {
        piece(String.format("<0x%02X>", b), 0f);
      }
    }

    /** Single characters, scored below every merge as in a trained vocabulary. */
    Tiny normal(String... chars) {
      Arrays.stream(chars).forEach(c -> piece(c, -100f));
      return this;
    }

    Tiny piece(String piece, float score) {
      pieces.add(piece);
      scores.add(score);
      return this;
    }

    int id(String piece) {
      int id = pieces.lastIndexOf(piece);
      assertTrue(id > 258, "no normal piece " + piece);
      return id;
    }

    int[] ids(String... pieces) {
      return Arrays.stream(pieces).mapToInt(this::id).toArray();
    }

    SentencePieceBpeTokenizer tokenizer() {
      byte[][] bytes = pieces.stream().map(SentencePieceBpeTokenizerTest::bytes).toArray(byte[][]::new);
      float[] s = new float[scores.size()];
      for (int i = 0; i < s.length; i++) {
        s[i] = scores.get(i);
      }
      return new SentencePieceBpeTokenizer(bytes, s);
    }
  }
}
