package org.sparsej.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparsej.tokenizer.Tokenizer;

/** Incremental detokenization: split UTF-8 characters and stop strings across tokens. */
class TextDecoderTest {
  /** A tokenizer whose token i is the single byte i (0..255). */
  private static final Tokenizer BYTES = new Tokenizer() {
    public int vocabSize() { return 256; }
    public int bos() { return -1; }
    public int eos() { return -1; }
    public int[] encode(String text, boolean addBos, boolean addEos) { throw new UnsupportedOperationException(); }
    public byte[] decodeBytes(int prevToken, int token) { return new byte[] {(byte) token}; }
    public String decode(int[] ids) { throw new UnsupportedOperationException(); }
    public String piece(int id) { return "" + id; }
  };

  private static String feed(TextDecoder d, String text, List<String> out) {
    StringBuilder all = new StringBuilder();
    for (byte b : text.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      String s = d.push(b & 0xff);
      out.add(s);
      all.append(s);
      if (d.stopped()) {
        break;
      }
    }
    all.append(d.finish());
    return all.toString();
  }

  @Test
  void multiByteCharactersWaitForTheirLastByte() {
    TextDecoder d = new TextDecoder(BYTES, 0, List.of());
    List<String> chunks = new java.util.ArrayList<>();
    assertEquals("héllo 😀!", feed(d, "héllo 😀!", chunks));
    for (String c : chunks) {
      assertFalse(c.contains("\uFFFD"), "no replacement characters mid-stream: " + chunks);
    }
    assertEquals("", chunks.get(1), "the first byte of é alone gives no text");
    assertEquals("é", chunks.get(2));
    assertEquals("héllo 😀!", d.text());
  }

  @Test
  void stopStringIsCutAndNeverStreamed() {
    TextDecoder d = new TextDecoder(BYTES, 0, List.of("END", "xyz"));
    List<String> chunks = new java.util.ArrayList<>();
    String out = feed(d, "abc ENx ENDING", chunks);
    assertEquals("abc ENx ", out);
    assertTrue(d.stopped());
    assertEquals("abc ENx ", d.text());
    assertFalse(String.join("|", chunks).contains("END"), chunks.toString());
  }

  @Test
  void heldBackPrefixIsReleasedAtTheEnd() {
    TextDecoder d = new TextDecoder(BYTES, 0, List.of("END"));
    List<String> chunks = new java.util.ArrayList<>();
    assertEquals("the EN", feed(d, "the EN", chunks));
    assertFalse(d.stopped());
    assertEquals("", chunks.get(chunks.size() - 1), "'EN' may start END: held until the end");
  }

  @Test
  void truncatedCharacterAtTheEndBecomesAReplacement() {
    TextDecoder d = new TextDecoder(BYTES, 0, List.of());
    assertEquals("", d.push(0xE2));
    assertEquals("\uFFFD", d.finish());
  }
}
