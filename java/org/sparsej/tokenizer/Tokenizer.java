package org.sparsej.tokenizer;

/** Text to token ids and back. Format-neutral: llama2.c tokenizer.bin today, tokenizer.json later. */
public interface Tokenizer {
  int vocabSize();

  int bos();

  int eos();

  /** Token ids of text, optionally with BOS first / EOS last. A literal "<s>" in the text is ordinary text. */
  int[] encode(String text, boolean addBos, boolean addEos);

  /** The bytes to print for {@code token} after {@code prevToken} while streaming (UTF-8 may span tokens). */
  byte[] decodeBytes(int prevToken, int token);

  /** Full decode of ids to text. */
  String decode(int[] ids);

  /** The raw piece of a token id. */
  String piece(int id);
}
