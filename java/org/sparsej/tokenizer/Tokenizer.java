package org.sparsej.tokenizer;

/**
 * Text to token ids and back, independent of the file format the vocabulary came from (llama2.c's tokenizer.bin
 * today, Hugging Face's tokenizer.json later).
 */
public interface Tokenizer {
  int vocabSize();

  /** The beginning-of-sequence id (1 in Llama vocabularies). */
  int bos();

  /** The end-of-sequence id (2 in Llama vocabularies). */
  int eos();

  /**
   * Token ids of text, optionally with BOS first / EOS last. User text is ordinary text: a literal "<s>" in it is
   * NOT a control token.
   */
  int[] encode(String text, boolean addBos, boolean addEos);

  /**
   * The text of {@code token} as it should be printed when streaming, given the previous token (llama2.c semantics:
   * after BOS a leading space is dropped; byte tokens {@code <0xNN>} become raw bytes). Returns bytes because a
   * multi-byte UTF-8 character may be split over byte tokens.
   */
  byte[] decodeBytes(int prevToken, int token);

  /** Full decode of ids to a String (UTF-8, byte tokens assembled correctly). */
  String decode(int[] ids);

  /** The raw piece string of {@code id}, for debugging. */
  String piece(int id);
}
