package org.sparsej.tokenizer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.util.SparsejException;

/** Every malformed tokenizer.bin is refused with one line naming the file and the problem. */
class Llama2cTokenizerFileTest {
  @TempDir
  Path dir;

  /** A valid 3-token file: header max_token_length 5, then "<unk>", "<s>", "</s>". 4 + 13 + 11 + 12 = 40 bytes. */
  private static byte[] threeTokens() {
    return tokenizerBin(5, "<unk>", "<s>", "</s>");
  }

  @Test
  void readsAValidFile() {
    Llama2cTokenizerFile.Contents contents = Llama2cTokenizerFile.read(write("ok.bin", threeTokens()), 3);
    assertEquals(5, contents.maxTokenLength());
    assertEquals("</s>", new String(contents.pieces()[2], UTF_8));
    assertEquals(-2f, contents.scores()[2]);
  }

  @Test
  void missingFile() {
    Path file = dir.resolve("nope.bin");
    assertMessage("tokenizer file not found: " + file, file, 3);
  }

  @Test
  void directoryInsteadOfFile() {
    SparsejException e = assertThrows(SparsejException.class, () -> SentencePieceBpeTokenizer.load(dir, 3));
    assertOneLine(e.getMessage());
    assertTrue(e.getMessage().startsWith("cannot read tokenizer file " + dir + ": "), e.getMessage());
  }

  @Test
  void emptyFile() {
    Path file = write("empty.bin", new byte[0]);
    assertMessage("tokenizer file " + file + " is too short (0 bytes) to be a llama2.c tokenizer.bin", file, 3);
  }

  @Test
  void invalidHeader() {
    byte[] bytes = threeTokens();
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(0, -7);
    Path file = write("header.bin", bytes);
    assertMessage("tokenizer file " + file + " has an invalid max_token_length -7 in its header", file, 3);
  }

  @Test
  void truncatedInsideAToken() {
    Path file = write("cut.bin", Arrays.copyOf(threeTokens(), 38)); // token 2 starts at byte 28, its piece at 36
    assertMessage("tokenizer file " + file + " is truncated: token 2 starting at byte 28 runs past the end of the"
        + " file (38 bytes)", file, 3);
  }

  @Test
  void truncatedInsideATokenHeader() {
    Path file = write("cut.bin", Arrays.copyOf(threeTokens(), 31));
    assertMessage("tokenizer file " + file + " is truncated: token 2 starting at byte 28 runs past the end of the"
        + " file (31 bytes)", file, 3);
  }

  @Test
  void negativeLength() {
    Path file = write("neg.bin", withLength(threeTokens(), 17, -1)); // token 1 starts at byte 17
    assertMessage("tokenizer file " + file + " is corrupt: token 1 (at byte 17) has length -1, outside 0..5 (the"
        + " header's max_token_length)", file, 3);
  }

  @Test
  void hugeLength() {
    Path file = write("huge.bin", withLength(threeTokens(), 17, Integer.MAX_VALUE));
    assertMessage("tokenizer file " + file + " is corrupt: token 1 (at byte 17) has length 2147483647, outside 0..5"
        + " (the header's max_token_length)", file, 3);
  }

  @Test
  void fewerTokensThanTheModel() {
    Path file = write("small.bin", threeTokens());
    assertMessage("tokenizer " + file + " does not match the model's vocab (4 tokens expected, file has 3)", file, 4);
  }

  @Test
  void moreTokensThanTheModel() {
    Path file = write("big.bin", threeTokens());
    assertMessage("tokenizer " + file + " does not match the model's vocab (2 tokens expected, file has 3)", file, 2);
  }

  @Test
  void trailingBytes() {
    byte[] bytes = Arrays.copyOf(threeTokens(), 45); // five zero bytes: not a whole token
    Path file = write("trailing.bin", bytes);
    assertMessage("tokenizer " + file + " does not match the model's vocab (3 tokens expected, file has 3 and then"
        + " 5 more bytes)", file, 3);
  }

  @Test
  void sharedTokenizerWithAnotherModelsVocabSize() {
    Path sj7m = SharedFiles.require("models/sj-7m/tokenizer.bin");
    Path llama2 = SharedFiles.require("models/llama2-tokenizer/tokenizer.bin");
    assertMessage("tokenizer " + sj7m + " does not match the model's vocab (32000 tokens expected, file has 4096)",
        sj7m, 32000);
    assertMessage("tokenizer " + llama2 + " does not match the model's vocab (4096 tokens expected, file has 32000)",
        llama2, 4096);
  }

  private static void assertMessage(String expected, Path file, int vocabSize) {
    SparsejException e = assertThrows(SparsejException.class,
        () -> SentencePieceBpeTokenizer.load(file, vocabSize));
    assertEquals(expected, e.getMessage());
    assertOneLine(e.getMessage());
  }

  private static void assertOneLine(String message) {
    assertFalse(message.contains("\n") || message.contains("\r"), () -> "not one line: " + message);
  }

  /** llama2.c's layout; token i gets score -i. */
  private static byte[] tokenizerBin(int maxTokenLength, String... pieces) {
    ByteBuffer out = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(maxTokenLength);
    for (int i = 0; i < pieces.length; i++) {
      byte[] piece = pieces[i].getBytes(UTF_8);
      out.putFloat(-i).putInt(piece.length).put(piece);
    }
    return Arrays.copyOf(out.array(), out.position());
  }

  private static byte[] withLength(byte[] file, int tokenOffset, int length) {
    byte[] copy = file.clone();
    ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putInt(tokenOffset + 4, length);
    return copy;
  }

  private Path write(String name, byte[] bytes) {
    try {
      return Files.write(dir.resolve(name), bytes);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
